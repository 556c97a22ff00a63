package main

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchQuery: the query benchmark generates its data on SQLite, serves
// it in its process and runs every shape; each answers with an exact total,
// the same through Tencent's API and the native one, a positive rate and,
// where the platform tells, the process's CPU per request. A second run
// queries the data already there, for the same totals. No rate or latency
// is checked.
func TestBenchQuery(t *testing.T) {
	dir := t.TempDir()
	first := benchQuery(t, "--tasks", "3000", "--instances", "300", "--tenants", "20", "--duration", "150ms", "--data-dir", dir)
	require.Len(t, first, 15)
	for _, shape := range []string{"instance", "status", "types", "window", "request", "tenant"} {
		require.Positive(t, first["tencent/"+shape], shape)
		require.Equal(t, first["tencent/"+shape], first["native/"+shape], shape)
	}
	for _, shape := range []string{"huawei/window", "huawei/window+status", "huawei/window+name"} {
		require.Positive(t, first[shape], shape)
	}
	again := benchQuery(t, "--only", "tencent/", "--duration", "150ms", "--data-dir", dir)
	require.Len(t, again, 6)
	for shape, total := range again {
		require.Equal(t, first[shape], total, shape)
	}
}

// benchQuery runs bench query with args and returns each shape's total,
// checking its line's requests, rate and CPU.
func benchQuery(t *testing.T, args ...string) map[string]int {
	t.Helper()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), append([]string{"bench", "query"}, args...), &stdout, &stderr), stderr.String())
	out := stdout.String()
	require.Contains(t, out, "server resident memory", out)
	totals := map[string]int{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 7 || !strings.Contains(f[0], "/") {
			continue
		}
		total, err := strconv.Atoi(f[1])
		require.NoError(t, err, line)
		requests, err := strconv.Atoi(f[2])
		require.NoError(t, err, line)
		require.Positive(t, requests, line)
		rate, err := strconv.ParseFloat(f[5], 64)
		require.NoError(t, err, line)
		require.Positive(t, rate, line)
		if runtime.GOOS == "linux" {
			cpu, err := strconv.Atoi(f[6])
			require.NoError(t, err, line)
			require.Positive(t, cpu, line)
		}
		totals[f[0]] = total
	}
	return totals
}
