package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
)

// TestFullDiskReadiness: end to end over HTTP, wired as serve wires them
// (the engine's Ping is the server's readiness): once the database is full, a
// submission is a 503 and so is /readyz; once there is room again, a
// submission succeeds and /readyz is 200. It lives here because the page
// limit that stands for a full disk is a setting of the writer's connection.
func TestFullDiskReadiness(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	svc := engine.New(s, engine.Config{})
	logger := slog.New(slog.DiscardHandler)
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry(), Ready: svc.Ping})
	srv.Handle("/api/v1/", api.NewHandler(svc, logger))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	_, token, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "ta", Kind: tc.KindNative, Role: tc.RoleOperator})
	require.NoError(t, err)
	_, err = svc.PutInstance(ctx, &tc.Instance{ID: "cdb-full1", Tenant: "ta", Name: "db"})
	require.NoError(t, err)

	submit := func() (int, string) {
		t.Helper()
		body, _ := json.Marshal(api.SubmitTask{Type: tc.TypeReboot, InstanceIDs: []string{"cdb-full1"},
			Context: json.RawMessage(`{"note":"` + strings.Repeat("x", 500) + `"}`)})
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/tasks", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return do(t, req)
	}
	readyz := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/readyz", nil)
		return do(t, req)
	}
	code, body := readyz()
	require.Equal(t, http.StatusOK, code, body)

	limitPages(t, s, 2)
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "the database never filled")
		if code, body = submit(); code != http.StatusCreated {
			break
		}
	}
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.Contains(t, body, `"unavailable"`)
	code, body = readyz()
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.Equal(t, "not ready: database full\n", body)

	unlimitPages(t, s)
	code, body = submit()
	require.Equal(t, http.StatusCreated, code, body)
	code, body = readyz()
	require.Equal(t, http.StatusOK, code, body)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}
