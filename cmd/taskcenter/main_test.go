package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds taskcenter once for the whole test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "taskcenter-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "taskcenter")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// proc is a running taskcenter serve.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	stdout *logLines // the JSON log
	stderr *fileOutput
	done   chan error
}

// logLines keeps the lines a process wrote, while the test reads them.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// fileOutput is a process's output written straight to a file: what the
// process wrote before a later line on another stream is always there.
type fileOutput struct{ f *os.File }

func (o *fileOutput) String() string {
	b, _ := os.ReadFile(o.f.Name())
	return string(b)
}

// start runs "taskcenter serve" in dir on a free loopback port and waits
// until it listens.
func start(t *testing.T, bin, dir string, env ...string) *proc {
	t.Helper()
	return startArgs(t, bin, dir, nil, env...)
}

// startArgs is start with more flags for serve.
func startArgs(t *testing.T, bin, dir string, args []string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	errFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	t.Cleanup(func() { errFile.Close() })
	p := &proc{cmd: cmd, stdout: &logLines{}, stderr: &fileOutput{errFile}, done: make(chan error, 1)}
	cmd.Stderr = errFile
	require.NoError(t, cmd.Start())
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.stdout.add(sc.Text())
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "taskcenter listening" {
				addrc <- rec["addr"].(string)
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case p.addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start: %s", p.stderr)
	}
	return p
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

// firstSession returns the curl session of the README, as written.
func firstSession(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- first-session[^>]*-->\n```sh\n(.*?)```\n<!-- /first-session -->").FindSubmatch(readme)
	require.NotNil(t, m, "README has the first-session block")
	return string(m[1])
}

// TestREADMEFirstSession runs the README's curl session against a real
// server started the README's way, restarts it, and finds the task again.
func TestREADMEFirstSession(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's session as written")
	}
	bin := binary(t)
	dir := t.TempDir()
	p := start(t, bin, dir)
	require.Contains(t, p.stderr.String(), "Created the admin token")

	info, err := os.Stat(filepath.Join(dir, "taskcenter-data", "admin-token"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	script := "set -euo pipefail\n" + strings.ReplaceAll(firstSession(t), "localhost:8080", p.addr)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 3, string(out))
	var inst, task map[string]any
	var list struct {
		Tasks []map[string]any `json:"tasks"`
		Total int              `json:"total"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &inst), lines[0])
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &task), lines[1])
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &list), lines[2])
	require.Equal(t, "acme", inst["tenant"])
	require.Equal(t, "REBOOT", task["type"])
	require.Equal(t, "INITIAL", task["status"])
	require.Equal(t, 1, list.Total)
	require.Equal(t, task["id"], list.Tasks[0]["id"])

	p.stop(t)
	p = start(t, bin, dir)
	require.NotContains(t, p.stderr.String(), "Created the admin token", "the token is made once")
	token, err := os.ReadFile(filepath.Join(dir, "taskcenter-data", "admin-token"))
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"tasks", "list", "--endpoint", "http://" + p.addr,
		"--token", strings.TrimSpace(string(token)), "--tenant", "acme", "--async-request-id", "first-reboot"}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	require.Regexp(t, `(?m)^1\s+REBOOT\s+INITIAL\s+0%\s+cdb-c1nl9rpv`, stdout.String())
	require.Contains(t, stdout.String(), "1 of 1 tasks")
	p.stop(t)
}

// TestCLI drives the client commands against a server with a chosen admin token.
func TestCLI(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	const admin = "admin-token-for-the-cli-test"
	p := start(t, bin, dir, "TASKCENTER_ADMIN_TOKEN="+admin)
	require.NotContains(t, p.stderr.String(), admin, "a chosen token is not printed")
	cli := func(token string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		args = append(args, "--endpoint", "http://"+p.addr, "--token", token)
		err := run(context.Background(), args, &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	out, err := cli(admin, "credentials", "create", "--tenant", "acme", "--role", "operator", "--json")
	require.NoError(t, err, out)
	var cred struct{ Secret string }
	require.NoError(t, json.Unmarshal([]byte(out), &cred))
	op := cred.Secret

	out, err = cli(op, "instances", "put", "cdb-1", "--name", "orders", "--engine", "mysql")
	require.NoError(t, err, out)
	require.Regexp(t, `cdb-1\s+acme\s+orders\s+mysql`, out)
	out, err = cli(op, "instances", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "cdb-1")

	out, err = cli(op, "tasks", "submit", "--type", "BATCH ROLLBACK", "--instance", "cdb-1",
		"--context", `{"dbs":[{"dbname":"orders","newname":"orders_bak"}]}`, "--json")
	require.NoError(t, err, out)
	var task struct {
		ID     int64
		Status string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &task))
	require.Equal(t, "INITIAL", task.Status)

	out, err = cli(op, "tasks", "get", "1")
	require.NoError(t, err, out)
	require.Regexp(t, `type\s+BATCH ROLLBACK`, out)
	require.Contains(t, out, "orders_bak")

	out, err = cli(op, "tasks", "cancel", "1")
	require.NoError(t, err, out)
	require.Regexp(t, `status\s+KILLED`, out)
	out, err = cli(op, "tasks", "events", "1")
	require.NoError(t, err, out)
	require.Regexp(t, `INITIAL\s+KILLED`, out)

	// Errors reach the user with the field they concern.
	out, err = cli(op, "tasks", "submit", "--type", "REBOOT", "--instance", "cdb-404")
	require.Error(t, err)
	require.Contains(t, describe(err), "instance_ids")
	_, err = cli(op, "tasks", "list", "--limit", "5000")
	require.Error(t, err)
	require.Contains(t, describe(err), "limit")
	p.stop(t)
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "taskcenter.yaml")
	require.NoError(t, os.WriteFile(file, []byte("listen: 127.0.0.1:9000\ndata_dir: /from/file\nlog_level: warn\n"), 0o600))
	t.Setenv("TASKCENTER_DATA_DIR", "/from/env")
	t.Setenv("TASKCENTER_LOG_LEVEL", "")
	fs := newFlagSet()
	build := serverFlags(fs)
	require.NoError(t, fs.Parse([]string{"--config", file, "--log-level", "debug"}))
	cfg, err := build()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9000", cfg.Listen, "from the file")
	require.Equal(t, "/from/env", cfg.DataDir, "the environment beats the file")
	require.Equal(t, "debug", cfg.LogLevel, "a flag beats both")

	fs = newFlagSet()
	build = serverFlags(fs)
	require.NoError(t, fs.Parse([]string{"--listen", "nope", "--store", "mysql://x", "--log-level", "loud"}))
	_, err = build()
	require.Error(t, err)
	for _, want := range []string{"listen", "store", "log_level"} {
		require.Contains(t, err.Error(), want, "every problem is reported at once")
	}

	// An empty variable counts as unset; a rate that is not a number is refused.
	require.NoError(t, os.WriteFile(file, []byte("store: postgres://db.internal/tc?password=s3cret\n"), 0o600))
	t.Setenv("TASKCENTER_STORE", "")
	fs = newFlagSet()
	build = serverFlags(fs)
	require.NoError(t, fs.Parse([]string{"--config", file}))
	cfg, err = build()
	require.NoError(t, err)
	require.Equal(t, "postgres://db.internal/tc?password=s3cret", cfg.Store, "not SQLite")
	require.Equal(t, "postgres postgres://db.internal/tc?password=xxxxx", storeName(cfg), "no password in the logs")
	fs = newFlagSet()
	build = serverFlags(fs)
	require.NoError(t, fs.Parse([]string{"--rate-limit", "NaN"}))
	_, err = build()
	require.ErrorContains(t, err, "rate_limit")

	require.NoError(t, os.WriteFile(file, []byte("listen: :1\ncolour: blue\n"), 0o600))
	fs = newFlagSet()
	build = serverFlags(fs)
	require.NoError(t, fs.Parse([]string{"--config", file}))
	_, err = build()
	require.ErrorContains(t, err, "colour")
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func TestPrintable(t *testing.T) {
	require.Equal(t, "ok �[2Jdone�", printable("ok \x1b[2Jdone\r"))
	require.Equal(t, "设置参数成功", printable("设置参数成功"))
}

// TestShutdownAnswersLongPolls: SIGTERM does not wait for a worker's long
// poll to run out (here 60 s against a 5 s grace): the poll is answered,
// empty, and the server exits cleanly.
func TestShutdownAnswersLongPolls(t *testing.T) {
	const admin = "admin-token-shutdown-0123"
	p := start(t, binary(t), t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin, "TASKCENTER_SHUTDOWN_TIMEOUT=5s")
	cli := client.New("http://"+p.addr, admin)
	cred, err := cli.CreateCredential(context.Background(), api.CreateCredential{Tenant: "acme", Kind: tc.KindNative, Role: tc.RoleWorker})
	require.NoError(t, err)
	type answer struct {
		status int
		body   string
	}
	polled := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+p.addr+"/api/v1/workers/claim",
			strings.NewReader(`{"worker_id":"agent","wait_seconds":60}`))
		req.Header.Set("Authorization", "Bearer "+cred.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			polled <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		polled <- answer{resp.StatusCode, string(b)}
	}()
	waitMetric(t, p.addr, "taskcenter_claims_waiting 1") // the poll is waiting
	start := time.Now()
	p.stop(t)
	require.Less(t, time.Since(start), 5*time.Second, "the shutdown did not wait for its grace to run out")
	a := <-polled
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.JSONEq(t, `{"tasks":[]}`, a.body)
}

// waitMetric waits until the server's /metrics has a line.
func waitMetric(t *testing.T, addr, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		if slices.Contains(strings.Split(string(b), "\n"), line) {
			return
		}
		require.True(t, time.Now().Before(deadline), "no %q in /metrics:\n%s", line, b)
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdownDemoWithinGrace: the demo executor gives its running tasks
// back within the server's grace (here 1 s, against tasks of a minute),
// not after a grace of its own.
func TestShutdownDemoWithinGrace(t *testing.T) {
	const admin = "admin-token-demo-grace-0123"
	p := startArgs(t, binary(t), t.TempDir(), []string{"--demo"}, "TASKCENTER_ADMIN_TOKEN="+admin,
		"TASKCENTER_SHUTDOWN_TIMEOUT=1s", "TASKCENTER_DEMO_STEP=5s")
	cli := client.New("http://"+p.addr, admin)
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := cli.ListTasks(context.Background(), client.TaskFilter{Tenant: "demo", Statuses: []string{"RUNNING"}})
		require.NoError(t, err)
		if list.Total > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no demo task started")
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	p.stop(t)
	require.Less(t, time.Since(start), 5*time.Second, "the demo's tasks were given back within the grace")
	require.Contains(t, p.stdout.String(), `"msg":"stopped"`)
}
