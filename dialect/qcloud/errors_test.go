package qcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
)

func decodeBody(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// stubService answers the three calls the handler makes with what a test
// sets; the embedded nil interface panics on any other.
type stubService struct {
	tc.Service
	cred        *tc.Credential
	credErr     error
	instance    *tc.Instance
	instanceErr error
	page        *tc.TaskPage
	tasksErr    error
}

func (s *stubService) Credential(context.Context, string) (*tc.Credential, error) {
	return s.cred, s.credErr
}

func (s *stubService) GetInstance(context.Context, string, string) (*tc.Instance, error) {
	return s.instance, s.instanceErr
}

func (s *stubService) ListTasks(context.Context, *tc.TaskFilter) (*tc.TaskPage, error) {
	return s.page, s.tasksErr
}

// syncBuffer is a log sink the handler writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const stubSecret = "stub-secret-key-never-logged"

func TestServiceFailures(t *testing.T) {
	t.Parallel()
	fault := errors.New("disk I/O error at /var/lib/taskcenter/secret-path")
	okCred := &tc.Credential{ID: "AKIDstub", Tenant: tenant, Kind: tc.KindTencent, Role: tc.RoleReader, Secret: stubSecret}
	okInst := &tc.Instance{ID: instance, Tenant: tenant, Status: tc.InstanceNormal}
	corrupt := &tc.TaskPage{Total: 1, Tasks: []*tc.Task{{
		ID: 7, Tenant: tenant, Type: tc.TypeRollback, Status: tc.StatusSucceed, InstanceIDs: []string{instance},
		CreatedAt: time.Now(), Context: json.RawMessage(`{"dbs":"not a list"}`),
	}}}
	for _, tt := range []struct {
		name   string
		svc    stubService
		code   int
		logged bool
	}{
		{"credential store down", stubService{credErr: fault}, 6000, true},
		{"credential not found", stubService{credErr: tc.ErrNotFound}, 4104, false},
		{"instance store down", stubService{cred: okCred, instanceErr: fault}, 9006, true},
		{"instance store unavailable", stubService{cred: okCred, instanceErr: tc.Errorf(tc.EUNAVAILABLE, "pool closed")}, 9006, true},
		{"instance not found", stubService{cred: okCred, instanceErr: tc.Errorf(tc.ENOTFOUND, "instance not found")}, 9003, false},
		{"task store down", stubService{cred: okCred, instance: okInst, tasksErr: fault}, 9590, true},
		{"corrupt task context", stubService{cred: okCred, instance: okInst, page: corrupt}, 9013, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			h := qcloud.NewHandler(&tt.svc, qcloud.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			c := &specClient{endpoint: srv.URL, secretID: "AKIDstub", secretKey: stubSecret}
			out := c.fails(t, tt.code, call{params: params()})
			require.NotContains(t, out.Message, "secret-path", "causes stay in the log")
			if tt.logged {
				require.Contains(t, logs.String(), `"code":`+itoa(int64(tt.code)))
			}
			require.NotContains(t, logs.String(), stubSecret)
		})
	}
}
