package sdktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/sqlite"
)

// binPath is the taskcenter binary built once for the whole run.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sdktest")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "taskcenter")
	// Built in the main module, with its own go.sum, as users build it.
	build := exec.Command("go", "build", "-o", binPath, "./cmd/taskcenter")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build taskcenter: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "sdktest-admin-token-0123456789"

// Server is a real taskcenter process on a loopback port with an SQLite
// store in its own directory. Store is the same SQLite file opened by the
// test, to seed tasks in any state; WAL lets both processes use it.
type Server struct {
	Addr   string // host:port
	URL    string // http://host:port
	Admin  *client.Client
	Store  tc.Store
	stderr *lockedBuffer
}

// ServerOption changes the environment of the server process.
type ServerOption func(env []string) []string

// WithEnv sets one TASKCENTER_* variable, e.g. WithEnv("TASKCENTER_RATE_LIMIT", "5").
func WithEnv(name, value string) ServerOption {
	return func(env []string) []string { return append(env, name+"="+value) }
}

// StartServer starts taskcenter serve and stops it when the test ends.
func StartServer(t *testing.T, opts ...ServerOption) *Server {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), "TASKCENTER_ADMIN_TOKEN="+adminToken, "TASKCENTER_DATA_DIR="+dir,
		"TASKCENTER_STORE=", "TASKCENTER_LISTEN=127.0.0.1:0", "TASKCENTER_LOG_LEVEL=warn")
	for _, o := range opts {
		env = o(env)
	}
	cmd := exec.Command(binPath, "serve", "--log-level", "info")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s := &Server{stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	require.NoError(t, cmd.Start())
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "taskcenter listening" {
				addrc <- rec["addr"].(string)
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("taskcenter stderr:\n%s", s.stderr)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	select {
	case s.Addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatalf("taskcenter did not start: %s", s.stderr)
	}
	s.URL = "http://" + s.Addr
	s.Admin = client.New(s.URL, adminToken)
	store, err := sqlite.Open(filepath.Join(dir, "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	s.Store = store
	return s
}

// Credential creates a credential of a kind (tencent, huawei-aksk,
// huawei-token, native) for a tenant and returns its id and secret.
func (s *Server) Credential(t *testing.T, tenant string, kind tc.CredentialKind) (id, secret string) {
	t.Helper()
	cred, err := s.Admin.CreateCredential(context.Background(), api.CreateCredential{Tenant: tenant, Kind: kind, Role: tc.RoleReader})
	require.NoError(t, err)
	return cred.ID, cred.Secret
}

// Instance registers an instance of a tenant; status "" means normal.
func (s *Server) Instance(t *testing.T, tenant, id, name, status string) {
	t.Helper()
	_, err := s.Admin.PutInstance(context.Background(), id, api.PutInstance{Tenant: tenant, Name: name, Engine: "mysql", Status: status})
	require.NoError(t, err)
}

// Seed stores a task directly and walks it through the given statuses, so
// tests get tasks in any state at any time. mod may set any field of the
// task before it is inserted (CreatedAt, Context, AsyncRequestID...);
// finish may set fields (Progress, Code, Message, AttachInfo, times) after
// the last transition.
func (s *Server) Seed(t *testing.T, tenant, typ string, instances []string, mod func(*tc.Task), path []tc.Status, finish func(*tc.Task)) *tc.Task {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	task := &tc.Task{Tenant: tenant, Type: typ, Status: tc.StatusInitial, InstanceIDs: instances,
		CreatedAt: now, Context: json.RawMessage(`{}`), MaxAttempts: 3}
	if mod != nil {
		mod(task)
	}
	got, _, err := s.Store.TaskInsert(ctx, &tc.TaskInsertParams{Task: task, Actor: "sdktest"})
	require.NoError(t, err)
	at := got.CreatedAt
	for i, st := range path {
		at = at.Add(time.Second)
		last := i == len(path)-1
		got, err = s.Store.TaskUpdate(ctx, &tc.TaskUpdateParams{Tenant: tenant, ID: got.ID, Actor: "sdktest", Now: at,
			Update: func(t *tc.Task) error {
				var err error
				if st == tc.StatusRunning {
					// Leased for a day to a worker that never reports, so the
					// server's rescue leaves the task RUNNING during the test.
					err = tc.Claim(t, "sdktest", at, 0)
					t.LeaseExpiresAt = time.Now().Add(24 * time.Hour) // whatever the seeded times
				} else {
					err = t.Transition(st, at)
				}
				if err != nil {
					return err
				}
				if last && finish != nil {
					finish(t)
				}
				return nil
			}})
		require.NoError(t, err)
	}
	return got
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestHarness(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	s.Instance(t, "acme", "cdb-1", "orders", "")
	task := s.Seed(t, "acme", tc.TypeReboot, []string{"cdb-1"}, nil,
		[]tc.Status{tc.StatusRunning, tc.StatusFailed}, func(t *tc.Task) { t.Code, t.Message = 9013, "lock failed" })
	got, err := s.Admin.GetTask(context.Background(), "acme", task.ID)
	require.NoError(t, err)
	require.Equal(t, tc.StatusFailed, got.Status)
	require.Equal(t, 9013, got.Code)
}
