package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
	"github.com/taskcenter/taskcenter/sqlite"
)

// huaweiEnv is the Huawei dialect, mounted as serve mounts it, over a fresh
// store with one task of project p1.
type huaweiEnv struct {
	url, ak, sk string
	taskID      int64
}

func setupHuawei(t *testing.T) *huaweiEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	t.Cleanup(func() { store.Close() })
	svc := engine.New(store, engine.Config{})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry()})
	cfg := &Config{TimeZone: "Asia/Shanghai"}
	cfg.defaults()
	cfg.Listen = "127.0.0.1:0"
	require.NoError(t, cfg.Validate())
	mountDialects(srv, svc, nil, cfg, logger)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	cred, sk, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "p1", Kind: tc.KindHuaweiAKSK})
	require.NoError(t, err)
	_, err = svc.PutInstance(ctx, &tc.Instance{ID: "dds-1", Tenant: "p1", Name: "orders", Status: tc.InstanceNormal})
	require.NoError(t, err)
	task, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "p1", Type: "RestartInstance", InstanceIDs: []string{"dds-1"}})
	require.NoError(t, err)
	return &huaweiEnv{url: hs.URL, ak: cred.ID, sk: sk, taskID: task.ID}
}

// window is the hour around now, written with a raw '+', as people type it.
func window() (start, end string) {
	now := time.Now().In(time.FixedZone("", 8*3600))
	return now.Add(-time.Hour).Format("2006-01-02T15:04:05-0700"), now.Add(time.Hour).Format("2006-01-02T15:04:05-0700")
}

func TestCallHuaweiListTasks(t *testing.T) {
	t.Parallel()
	e := setupHuawei(t)
	start, end := window()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"call", "huawei", "ListTasks", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk,
		"--project-id", "p1", "--start-time", start, "--end-time", end, "--status", "Running", "--name", "RestartInstance", "--limit", "10"},
		&stdout, &stderr)
	require.NoError(t, err, stderr.String())
	var out struct {
		Jobs []struct {
			ID, Name, InstanceName, Status, Progress, CreatedAt string
		} `json:"jobs"`
		TotalCount int `json:"total_count"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Equal(t, 1, out.TotalCount)
	require.Equal(t, strconv.FormatInt(e.taskID, 10), out.Jobs[0].ID)
	require.Equal(t, "Running", out.Jobs[0].Status)
	require.Equal(t, "0%", out.Jobs[0].Progress)
	require.Contains(t, stdout.String(), `"created_at": "`)
	require.Contains(t, stdout.String(), `+0800"`)
}

func TestCallHuaweiShowJobDetail(t *testing.T) {
	t.Parallel()
	e := setupHuawei(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"call", "huawei", "ShowJobDetail", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk,
		"--project-id", "p1", "--id", strconv.FormatInt(e.taskID, 10)}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	var out struct {
		Job struct {
			ID       string `json:"id"`
			Instance struct{ ID, Name string }
		} `json:"job"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Equal(t, strconv.FormatInt(e.taskID, 10), out.Job.ID)
	require.Equal(t, "orders", out.Job.Instance.Name)
}

func TestCallHuaweiErrors(t *testing.T) {
	t.Parallel()
	e := setupHuawei(t)
	start, end := window()
	call := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"call", "huawei"}, args...), &stdout, &stderr)
		return stdout.String(), err
	}
	out, err := call("ListTasks", "--endpoint", e.url, "--ak", e.ak, "--sk", "wrong", "--project-id", "p1", "--start-time", start, "--end-time", end)
	require.ErrorContains(t, err, "HTTP 401 APIG.0301")
	require.Contains(t, out, `"error_code": "APIG.0301"`, "the error answer is printed")

	_, err = call("ListTasks", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk, "--project-id", "p1", "--start-time", start, "--end-time", end, "--limit", "101")
	require.ErrorContains(t, err, "HTTP 400 DBS.280439")

	_, err = call("ShowJobDetail", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk, "--project-id", "p1", "--id", "999")
	require.ErrorContains(t, err, "HTTP 400 DBS.280016")

	_, err = call("ListTasks", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk, "--project-id", "p1")
	require.ErrorContains(t, err, "--start-time and --end-time are required")
	_, err = call("ShowJobDetail", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk, "--project-id", "p1")
	require.ErrorContains(t, err, "--id is required")
	_, err = call("ListTasks", "--endpoint", e.url, "--ak", e.ak, "--sk", e.sk, "--start-time", start, "--end-time", end)
	require.ErrorContains(t, err, "--project-id is required")
	_, err = call("DescribeTasks")
	require.ErrorContains(t, err, "usage: taskcenter call huawei")
	_, err = call("ShowJobDetail", "--status", "Running")
	require.ErrorContains(t, err, "flag provided but not defined: -status")
}

// TestCallHuaweiEnvKeys takes the keys from the environment; it cannot run
// in parallel because it sets variables.
func TestCallHuaweiEnvKeys(t *testing.T) {
	e := setupHuawei(t)
	t.Setenv("TASKCENTER_HUAWEI_AK", e.ak)
	t.Setenv("TASKCENTER_HUAWEI_SK", e.sk)
	t.Setenv("TASKCENTER_ENDPOINT", e.url)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"call", "huawei", "ShowJobDetail", "--project-id", "p1", "--id", strconv.FormatInt(e.taskID, 10)}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	require.Contains(t, stdout.String(), `"name": "RestartInstance"`)

	t.Setenv("TASKCENTER_HUAWEI_SK", "")
	err = run(context.Background(), []string{"call", "huawei", "ShowJobDetail", "--project-id", "p1", "--id", "1"}, &stdout, &stderr)
	require.ErrorContains(t, err, "TASKCENTER_HUAWEI_SK")
}
