package server_test

import (
	"context"
	"errors"
	"fmt"
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

// TestReadyzReason: /readyz answers 503 with the caller-safe message of what
// Ready reports, and nothing of a cause that is not a taskcenter error.
func TestReadyzReason(t *testing.T) {
	t.Parallel()
	var ready error
	srv := server.New(server.Config{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return ready }})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(hs.URL + "/readyz")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}

	code, body := get()
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ready\n", body)

	cause := errors.New("dial postgres://tc:s3cret@db.internal:5432: no space left on device")
	ready = fmt.Errorf("%w: %w", tc.Errorf(tc.EUNAVAILABLE, "database full"), cause)
	code, body = get()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "not ready: database full\n", body)

	ready = cause
	code, body = get()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "not ready: internal error\n", body)
	require.NotContains(t, body, "s3cret")
}
