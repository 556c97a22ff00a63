package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
	"github.com/taskcenter/taskcenter/sqlite"
)

// env is a running server over a fresh SQLite store, with tokens of two
// tenants: ta and tb.
type env struct {
	t       *testing.T
	url     string
	svc     *engine.Service
	logs    *syncBuffer
	admin   string
	opA     string // operator of ta
	readA   string // reader of ta
	workerA string
	opB     string // operator of tb
	readB   string
}

func setup(t *testing.T) *env {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, store.Migrate(context.Background()))
	t.Cleanup(func() { store.Close() })
	svc := engine.New(store, engine.Config{})
	logs := &syncBuffer{}
	logger := slog.New(server.LogHandler{Handler: slog.NewJSONHandler(logs, nil)})
	reg := prometheus.NewRegistry()
	reg.MustRegister(&server.TaskCollector{Counts: func(ctx context.Context) (map[tc.Status]int, error) {
		return svc.CountTasks(ctx, tc.AllTenants)
	}, Logger: logger})
	srv := server.New(server.Config{Logger: logger, Registry: reg, Ready: svc.Ping})
	feed := svc.NewFeed(engine.FeedConfig{Logger: logger})
	feed.Start(context.Background())
	srv.Handle("/api/v1/", api.NewHandler(svc, logger, api.WithWatcher(feed)))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(feed.Stop) // first: it ends the event streams that hs.Close waits for

	e := &env{t: t, url: hs.URL, svc: svc, logs: logs}
	admin, created, err := svc.BootstrapAdmin(context.Background(), "")
	require.NoError(t, err)
	require.True(t, created)
	e.admin = admin
	e.opA = e.credential(admin, "ta", tc.RoleOperator)
	e.readA = e.credential(admin, "ta", tc.RoleReader)
	e.workerA = e.credential(admin, "ta", tc.RoleWorker)
	e.opB = e.credential(admin, "tb", tc.RoleOperator)
	e.readB = e.credential(admin, "tb", tc.RoleReader)
	e.instance(e.opA, "cdb-a1")
	e.instance(e.opA, "cdb-a2")
	e.instance(e.opB, "cdb-b1")
	return e
}

func (e *env) credential(token, tenant string, role tc.Role) string {
	e.t.Helper()
	var out api.NewCredential
	e.call(token, "POST", "/api/v1/credentials", api.CreateCredential{Tenant: tenant, Kind: tc.KindNative, Role: role}, 201, &out)
	require.NotEmpty(e.t, out.Secret)
	return out.Secret
}

func (e *env) instance(token, id string) {
	e.t.Helper()
	e.call(token, "PUT", "/api/v1/instances/"+id, api.PutInstance{Name: id, Engine: "mysql", Region: "ap-guangzhou"}, 200, nil)
}

func (e *env) submit(token string, body any) api.Task {
	e.t.Helper()
	var out api.Task
	e.call(token, "POST", "/api/v1/tasks", body, 201, &out)
	return out
}

// call sends a request, requires the status and decodes the answer into out.
// body may be a string (sent as is) or a value (sent as JSON).
func (e *env) call(token, method, path string, body any, status int, out any) {
	e.t.Helper()
	code, raw := e.raw(token, method, path, body)
	require.Equal(e.t, status, code, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(raw, out), string(raw))
	}
}

func (e *env) raw(token, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.NotEmpty(e.t, resp.Header.Get("X-Request-Id"))
	return resp.StatusCode, raw
}

// apiError calls and returns the error the API answered.
func (e *env) apiError(token, method, path string, body any) (int, api.ErrorDetail) {
	e.t.Helper()
	code, raw := e.raw(token, method, path, body)
	var out api.ErrorBody
	require.NoError(e.t, json.Unmarshal(raw, &out), string(raw))
	require.NotEmpty(e.t, out.Error.Code, string(raw))
	require.NotEmpty(e.t, out.Error.Message, string(raw))
	return code, out.Error
}

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
