package bench_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/bench"
	"github.com/taskcenter/taskcenter/sqlite"
)

func setup(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// The benchmark runs and reports a positive rate; no threshold is checked.
// It runs for 3 s: under CI's race detector beside other packages' tests,
// a 1 s run once completed no task at all.
func TestRunEngineContinuous(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := bench.RunEngine(t.Context(), bench.EngineConfig{Store: setup(t), Instances: 20,
		Duration: 3 * time.Second, Report: 500 * time.Millisecond, Out: &out})
	require.NoError(t, err)
	require.Positive(t, res.Rate(), out.String())
	require.Contains(t, out.String(), "overall: continuous")
	requireCPU(t, res, out.String())
}

// requireCPU: where the platform tells a process's CPU time, the summary
// says how much of it each task took.
func requireCPU(t *testing.T, res *bench.EngineResult, out string) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		return
	}
	require.Positive(t, res.CPUPerTask(), out)
	require.Contains(t, out, "of this process's CPU per task", out)
}

func TestRunEngineBurnDown(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := bench.RunEngine(t.Context(), bench.EngineConfig{Store: setup(t), Instances: 20, Tasks: 100, Out: &out})
	require.NoError(t, err)
	require.EqualValues(t, 100, res.Completed, out.String())
	require.Contains(t, out.String(), "overall: burn-down of 100 tasks")
	requireCPU(t, res, out.String())
}

// TestRunEngineTenants: with several tenants, the instances and so the
// tasks are spread over them, and every task is drained.
func TestRunEngineTenants(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var out bytes.Buffer
	res, err := bench.RunEngine(t.Context(), bench.EngineConfig{Store: s, Tenant: "bt", Tenants: 3, Instances: 9,
		Tasks: 90, Out: &out})
	require.NoError(t, err)
	require.EqualValues(t, 90, res.Completed, out.String())
	for _, tenant := range []string{"bt-000", "bt-001", "bt-002"} {
		counts, err := s.TaskCounts(t.Context(), tenant)
		require.NoError(t, err)
		require.Equal(t, map[tc.Status]int{tc.StatusSucceed: 30}, counts, tenant)
	}
}

// foldCounter is a store that counts the folds of its counts, and fails
// them with err when set.
type foldCounter struct {
	tc.Store
	folds atomic.Int32
	err   error
}

func (s *foldCounter) TaskCountsCompact(ctx context.Context) error {
	s.folds.Add(1)
	if s.err != nil {
		return s.err
	}
	return s.Store.TaskCountsCompact(ctx)
}

// TestRunEngineMaintenance: the engine's maintenance runs beside the
// benchmark, as in a server, and folds the counts, unless left out; a
// failing round shows in the output.
func TestRunEngineMaintenance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		off      bool
		err      error
		wantOut  string
		wantFold bool
	}{
		{name: "on", wantFold: true},
		{name: "off", off: true},
		{name: "failing", err: errors.New("fold refused"), wantOut: "fold refused", wantFold: true},
	} {
		s := &foldCounter{Store: setup(t), err: c.err}
		var out bytes.Buffer
		res, err := bench.RunEngine(t.Context(), bench.EngineConfig{Store: s, Instances: 4, Tasks: 20,
			NoMaintenance: c.off, Out: &out})
		require.NoError(t, err, c.name)
		require.EqualValues(t, 20, res.Completed, out.String())
		require.Equal(t, c.wantFold, s.folds.Load() > 0, c.name)
		require.Contains(t, out.String(), c.wantOut, c.name)
		if c.wantOut == "" {
			require.NotContains(t, out.String(), "maintenance", c.name)
		}
	}
}

// TestRunEngineWatch: with Watch, a subscriber of every tenant receives the
// changes of the measured phase, and the summary says so; without, no feed
// runs. Each task of the burn-down has three or four changes in that phase
// (a promotion, its claim, its completion), and the last few may still be
// on their way when it ends: at least one a task is asked.
func TestRunEngineWatch(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := bench.RunEngine(t.Context(), bench.EngineConfig{Store: setup(t), Instances: 4, Tasks: 40,
		Watch: true, Out: &out})
	require.NoError(t, err)
	require.EqualValues(t, 40, res.Completed, out.String())
	m := regexp.MustCompile(`event feed: (\d+) changes received, \d+/s, (\d+) events behind at the end\n`).
		FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	got, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.GreaterOrEqual(t, got, 40, out.String())
	require.NotContains(t, out.String(), "the watch ended")

	out.Reset()
	_, err = bench.RunEngine(t.Context(), bench.EngineConfig{Store: setup(t), Instances: 4, Tasks: 8, Out: &out})
	require.NoError(t, err)
	require.NotContains(t, out.String(), "event feed")
}
