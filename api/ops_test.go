package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/api"
)

// TestOpenAPICoversRoutes: the served document describes every route the
// handler serves, with its method, and nothing else.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.call("", "GET", "/api/v1/openapi.json", nil, 200, &doc)
	require.Equal(t, "3.1.0", doc.OpenAPI)
	want := map[string]bool{}
	for _, r := range api.NewHandler(nil, nil).Routes() {
		want[strings.ToLower(r.Method)+" "+r.Path] = true
	}
	got := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			got[method+" "+path] = true
		}
	}
	require.Equal(t, want, got)
}

func TestMetricsAndLogs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	e.call(e.readA, "GET", "/api/v1/tasks/77", nil, 404, nil)
	resp, err := http.Get(e.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	text := string(body)
	require.Contains(t, text, `taskcenter_http_requests_total{code="201",route="POST /api/v1/tasks"} 1`)
	require.Contains(t, text, `taskcenter_http_requests_total{code="404",route="GET /api/v1/tasks/{id}"} 1`)
	require.Contains(t, text, `taskcenter_http_request_duration_seconds_bucket{route="POST /api/v1/tasks"`)
	require.Contains(t, text, `taskcenter_tasks{status="INITIAL"} 1`)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.url + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, path)
	}

	// Every access-log line carries the request id the client was given,
	// and no secret appears in the logs.
	req, _ := http.NewRequest("GET", e.url+"/api/v1/tasks", nil)
	req.Header.Set("Authorization", "Bearer "+e.readA)
	req.Header.Set("X-Request-Id", "trace-1234567")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "trace-1234567", resp.Header.Get("X-Request-Id"))
	logs := e.logs.String()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "request" {
			n++
			require.NotEmpty(t, rec["request_id"], line)
		}
	}
	require.Positive(t, n)
	require.Contains(t, logs, `"request_id":"trace-1234567"`)
	require.Regexp(t, `"credential":"tok-[A-Z0-9]+","request_id":"trace-1234567"`, logs, "the access log names the caller")
	for _, secret := range []string{e.admin, e.opA, e.readA, e.opB} {
		require.NotContains(t, logs, secret)
	}
}
