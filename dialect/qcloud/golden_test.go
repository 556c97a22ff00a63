package qcloud_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got))
}

// seedExample stores the task of the document's example: a batch rollback
// of two databases, in Beijing time.
func seedExample(t *testing.T) *fixture {
	t.Helper()
	beijing, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	f := setup(t, qcloud.Options{Location: beijing})
	start := time.Date(2016, 1, 25, 17, 32, 59, 0, beijing)
	f.seedTask(t, tenant, tc.TypeBatchRollback, instance, start, dbsContext, func(t *tc.Task) {
		t.Status, t.Progress, t.Message = tc.StatusSucceed, 100, "Rollback is successful"
		t.StartedAt, t.EndedAt = start, time.Date(2016, 1, 25, 17, 35, 2, 0, beijing)
	})
	return f
}

func TestGoldenBatchRollback(t *testing.T) {
	t.Parallel()
	f := seedExample(t)
	_, body := f.client.send(t, call{params: params()})
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, body, "", "    "))
	golden(t, "batch_rollback.golden", pretty.Bytes())
}

// TestSeedExample checks the answer against the document's example itself:
// equal once the differences docs/qcloud.md lists are undone: numbers the
// parameter tables type Int that the example quotes, the job id, and the
// uInstanceId the document names but its example leaves out.
func TestSeedExample(t *testing.T) {
	t.Parallel()
	f := seedExample(t)
	_, body := f.client.send(t, call{params: params()})
	var got, want map[string]any
	require.NoError(t, json.Unmarshal(body, &got))
	raw, err := os.ReadFile(filepath.Join("testdata", "seed_example.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &want))

	quote := func(m map[string]any, key string) {
		n, ok := m[key].(float64)
		require.True(t, ok, "%s is a JSON number", key)
		m[key] = strconv.FormatFloat(n, 'f', -1, 64)
	}
	quote(got, "code")
	data := got["data"].(map[string]any)
	quote(data, "taskCount")
	job := data["taskList"].([]any)[0].(map[string]any)
	quote(job, "status")
	require.Regexp(t, `^[1-9][0-9]*$`, job["jobId"])
	job["jobId"] = "1343"
	ctxData := job["taskContext"].(map[string]any)["data"].(map[string]any)
	require.Equal(t, instance, ctxData["uInstanceId"])
	delete(ctxData, "uInstanceId")
	require.Equal(t, want, got)
}

func TestGoldenErrors(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	f.instance(t, tenant, "cdb-isolated", "isolated")
	var out bytes.Buffer
	for _, tt := range []struct {
		name string
		c    call
	}{
		{"missing cdbInstanceId", call{params: map[string]string{}}},
		{"limit 101", call{params: params("limit", "101")}},
		{"unknown instance", call{params: params("cdbInstanceId", "cdb-nothere")}},
		{"abnormal instance", call{params: params("cdbInstanceId", "cdb-isolated")}},
		{"token", call{params: params("Token", "t")}},
	} {
		_, body := f.client.send(t, tt.c)
		fmt.Fprintf(&out, "%s\n%s\n", tt.name, body)
	}
	golden(t, "errors.golden", out.Bytes())
}
