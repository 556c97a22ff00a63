package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/server"
)

// TestMetricsWithoutStore: while the store cannot count the tasks, a scrape
// still answers with every other metric.
func TestMetricsWithoutStore(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&server.TaskCollector{Logger: slog.New(slog.DiscardHandler),
		Counts: func(context.Context) (map[tc.Status]int, error) { return nil, errors.New("database unavailable") }})
	srv := server.New(server.Config{Logger: slog.New(slog.DiscardHandler), Registry: reg})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	resp, err := http.Get(hs.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()

	resp, err = http.Get(hs.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), `taskcenter_http_requests_total{code="200",route="GET /healthz"} 1`)
	require.NotContains(t, string(body), "taskcenter_tasks{")
}
