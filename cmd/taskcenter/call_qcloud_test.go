package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
	"github.com/taskcenter/taskcenter/sqlite"
)

// qcloudEnv is the native API and API 2.0, mounted as serve mounts them,
// over a fresh store, with an operator token and a tencent key of tenant
// acme and its instance cdb-1.
type qcloudEnv struct {
	url, token, secretID, secretKey string
}

func setupQcloud(t *testing.T) *qcloudEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	t.Cleanup(func() { store.Close() })
	svc := engine.New(store, engine.Config{})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry()})
	cfg := &Config{}
	cfg.defaults()
	require.NoError(t, cfg.Validate())
	srv.Handle("/api/v1/", api.NewHandler(svc, logger))
	mountDialects(srv, svc, nil, cfg, logger)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	_, token, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "acme", Kind: tc.KindNative, Role: tc.RoleOperator})
	require.NoError(t, err)
	key, secret, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "acme", Kind: tc.KindTencent})
	require.NoError(t, err)
	_, err = svc.PutInstance(ctx, &tc.Instance{ID: "cdb-1", Tenant: "acme", Name: "orders", Status: tc.InstanceNormal})
	require.NoError(t, err)
	return &qcloudEnv{url: hs.URL, token: token, secretID: key.ID, secretKey: secret}
}

const batchContext = `{"operator":"231323","rollbackTime":"2016-01-25 17:32:39",` +
	`"dbs":[{"dbname":"test","newname":"test_bakee"},{"dbname":"test_bak","newname":"test_bak_bak"}]}`

// submitRollback submits a BATCH ROLLBACK with the CLI, through the native API.
func (e *qcloudEnv) submitRollback(t *testing.T, taskContext string) error {
	t.Helper()
	var stdout, stderr bytes.Buffer
	return run(context.Background(), []string{"tasks", "submit", "--endpoint", e.url, "--token", e.token,
		"--type", "BATCH ROLLBACK", "--instance", "cdb-1", "--context", taskContext, "--json"}, &stdout, &stderr)
}

type rollbackAnswer struct {
	Code int `json:"code"`
	Data struct {
		TaskCount int `json:"taskCount"`
		TaskList  []struct {
			JobID       string `json:"jobId"`
			Type        string `json:"type"`
			Name        string `json:"name"`
			TaskContext struct {
				Data struct {
					Operator string `json:"operator"`
					DBs      []struct {
						DBName  string `json:"dbname"`
						NewName string `json:"newname"`
					} `json:"dbs"`
				} `json:"data"`
			} `json:"taskContext"`
		} `json:"taskList"`
	} `json:"data"`
}

func TestCallQcloudGetCdbRollbackJob(t *testing.T) {
	t.Parallel()
	e := setupQcloud(t)
	require.NoError(t, e.submitRollback(t, batchContext))
	require.NoError(t, e.submitRollback(t, batchContext))
	err := e.submitRollback(t, `{"dbs":[{"dbname":"test"}]}`)
	require.ErrorContains(t, err, "newname", "the native API refuses a rollback without new names")

	for _, flags := range [][]string{
		{},
		{"--method", "POST"},
		{"--signature-method", "HmacSHA1", "--offset", "1", "--limit", "1"},
		{"--method", "post", "--signature-method", "HmacSHA256", "--region", ""},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"call", "qcloud", "GetCdbRollbackJob", "--endpoint", e.url,
			"--secret-id", e.secretID, "--secret-key", e.secretKey, "--cdbInstanceId", "cdb-1"}, flags...)
		require.NoError(t, run(context.Background(), args, &stdout, &stderr), "%v: %s", flags, stderr.String())
		var out rollbackAnswer
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
		require.Equal(t, 2, out.Data.TaskCount, flags)
		job := out.Data.TaskList[0]
		require.Equal(t, "10", job.Type)
		require.Equal(t, "test, test_bak", job.Name)
		require.Equal(t, "231323", job.TaskContext.Data.Operator)
		require.Equal(t, "test_bak_bak", job.TaskContext.Data.DBs[1].NewName)
		if len(flags) > 2 && flags[2] == "--offset" {
			require.Len(t, out.Data.TaskList, 1)
			require.Equal(t, "1", job.JobID, "offset 1 skips the newest")
		} else {
			require.Equal(t, []string{"2", "1"}, []string{out.Data.TaskList[0].JobID, out.Data.TaskList[1].JobID})
		}
	}
}

func TestCallQcloudErrors(t *testing.T) {
	t.Parallel()
	e := setupQcloud(t)
	call := func(extra ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		args := append([]string{"call", "qcloud", "GetCdbRollbackJob", "--endpoint", e.url,
			"--secret-id", e.secretID, "--secret-key", e.secretKey}, extra...)
		err := run(context.Background(), args, &stdout, &stderr)
		return stdout.String(), err
	}
	out, err := call("--cdbInstanceId", "cdb-nothere")
	require.ErrorContains(t, err, "code 9003 (InvalidParameter)")
	require.Contains(t, out, `"code": 9003`, "the answer is printed too")

	_, err = call("--cdbInstanceId", "cdb-1", "--limit", "101")
	require.ErrorContains(t, err, "code 9003")
	_, err = call("--cdbInstanceId", "cdb-1", "--secret-key", "wrong")
	require.ErrorContains(t, err, "code 4100 (AuthFailure)")
	_, err = call()
	require.ErrorContains(t, err, "--cdbInstanceId is required")
	_, err = call("--cdbInstanceId", "cdb-1", "--method", "PUT")
	require.ErrorContains(t, err, "GET or POST")
	_, err = call("--cdbInstanceId", "cdb-1", "--signature-method", "HmacMD5")
	require.ErrorContains(t, err, "HmacSHA256")

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"call", "qcloud", "DescribeCdbInstances"}, &stdout, &stderr)
	require.ErrorContains(t, err, "only GetCdbRollbackJob")
	err = run(context.Background(), []string{"call", "qcloud"}, &stdout, &stderr)
	require.ErrorContains(t, err, "usage")
}

// TestCallQcloudEnv reads the key from the environment, so it cannot run
// in parallel.
func TestCallQcloudEnv(t *testing.T) {
	e := setupQcloud(t)
	require.NoError(t, e.submitRollback(t, batchContext))
	t.Setenv("TASKCENTER_TENCENT_SECRET_ID", e.secretID)
	t.Setenv("TASKCENTER_TENCENT_SECRET_KEY", e.secretKey)
	t.Setenv("TASKCENTER_ENDPOINT", e.url)
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"call", "qcloud", "GetCdbRollbackJob", "--cdbInstanceId", "cdb-1"}, &stdout, &stderr))
	var out rollbackAnswer
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Equal(t, 1, out.Data.TaskCount)

	t.Setenv("TASKCENTER_TENCENT_SECRET_KEY", "")
	err := run(context.Background(), []string{"call", "qcloud", "GetCdbRollbackJob", "--cdbInstanceId", "cdb-1"}, &stdout, &stderr)
	require.ErrorContains(t, err, "TASKCENTER_TENCENT_SECRET_KEY")
}
