package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/sqlite"
)

// benchTasks is how many tasks each iteration of a benchmark writes; the
// batched variants write them benchBatch at a time.
const (
	benchTasks = 2000
	benchBatch = 100
)

// benchSetup is a fresh store with n instances of tenant "ta", i0 to i(n-1).
func benchSetup(b *testing.B, n int) (*sqlite.Store, time.Time) {
	b.Helper()
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "taskcenter.db"))
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	require.NoError(b, s.Migrate(ctx))
	now := time.Now().UTC().Truncate(time.Millisecond)
	instances := make([]*tc.Instance, n)
	for i := range instances {
		instances[i] = &tc.Instance{Tenant: "ta", ID: fmt.Sprintf("i%d", i), Status: tc.InstanceNormal,
			CreatedAt: now, UpdatedAt: now}
	}
	require.NoError(b, s.BulkLoad(ctx, instances, nil))
	return s, now
}

// submissions are n exclusive tasks as the engine submits them, each with an
// async request id, spread over instances so that every instance gets two:
// half start at once, half queue behind them.
func submissions(n int, now time.Time) []*tc.TaskInsertParams {
	ps := make([]*tc.TaskInsertParams, n)
	for i := range ps {
		ps[i] = &tc.TaskInsertParams{Actor: "bench", Task: &tc.Task{
			Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusWaiting, Exclusive: true,
			InstanceIDs: []string{fmt.Sprintf("i%d", i%(n/2))}, AsyncRequestID: fmt.Sprintf("req-%d", i),
			CreatedAt: now, Context: []byte(`{}`), MaxAttempts: 3,
		}}
	}
	return ps
}

// completions are the updates a worker makes when tasks succeed.
func completions(tasks []*tc.Task, now time.Time) []*tc.TaskUpdateParams {
	ps := make([]*tc.TaskUpdateParams, len(tasks))
	for i, t := range tasks {
		ps[i] = &tc.TaskUpdateParams{Tenant: t.Tenant, ID: t.ID, Actor: "worker", Now: now,
			Update: func(t *tc.Task) error {
				t.Message = "done"
				return t.Transition(tc.StatusSucceed, now)
			}}
	}
	return ps
}

// insertAll inserts ps one by one, or in batches of batch when batch > 1.
func insertAll(b *testing.B, s *sqlite.Store, ps []*tc.TaskInsertParams, batch int) []*tc.Task {
	b.Helper()
	ctx := context.Background()
	var tasks []*tc.Task
	for len(ps) > 0 {
		if batch <= 1 {
			task, _, err := s.TaskInsert(ctx, ps[0])
			require.NoError(b, err)
			tasks, ps = append(tasks, task), ps[1:]
			continue
		}
		n := min(batch, len(ps))
		res, err := s.TaskInsertMany(ctx, ps[:n])
		require.NoError(b, err)
		for _, r := range res {
			require.NoError(b, r.Err)
			tasks = append(tasks, r.Task)
		}
		ps = ps[n:]
	}
	return tasks
}

// updateAll applies ps one by one, or in batches of batch when batch > 1.
func updateAll(b *testing.B, s *sqlite.Store, ps []*tc.TaskUpdateParams, batch int) {
	b.Helper()
	ctx := context.Background()
	for len(ps) > 0 {
		if batch <= 1 {
			_, err := s.TaskUpdate(ctx, ps[0])
			require.NoError(b, err)
			ps = ps[1:]
			continue
		}
		n := min(batch, len(ps))
		res, err := s.TaskUpdateMany(ctx, ps[:n])
		require.NoError(b, err)
		for _, r := range res {
			require.NoError(b, r.Err)
		}
		ps = ps[n:]
	}
}

func claimAll(b *testing.B, s *sqlite.Store, max int, now time.Time) []*tc.Task {
	b.Helper()
	claimed, err := s.TaskClaim(context.Background(), &tc.TaskClaimParams{
		Tenant: tc.AllTenants, WorkerID: "worker", Max: max, Lease: time.Minute, Now: now})
	require.NoError(b, err)
	return claimed
}

// clock times the measured parts of a benchmark in CPU time as well: on a
// shared machine, the CPU a task costs varies less than the wall time.
type clock struct {
	b   *testing.B
	cpu time.Duration
	at  time.Duration
}

func (c *clock) start() {
	c.at = cpuTime(c.b)
	c.b.StartTimer()
}

func (c *clock) stop() {
	c.b.StopTimer()
	c.cpu += cpuTime(c.b) - c.at
}

// report adds tasks/s and the CPU time of a task, for tasks per iteration.
func (c *clock) report(tasks int) {
	n := float64(tasks * c.b.N)
	c.b.ReportMetric(n/c.b.Elapsed().Seconds(), "tasks/s")
	c.b.ReportMetric(float64(c.cpu.Microseconds())/n, "cpu-µs/task")
}

// cpuTime is the user and system time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// byBatch runs round b.N times for one task at a time and for batches,
// each a sub-benchmark reporting the tasks/s of what round times with c.
func byBatch(b *testing.B, round func(b *testing.B, c *clock, batch int)) {
	for _, batch := range []int{1, benchBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			c := &clock{b: b}
			b.StopTimer()
			for range b.N {
				round(b, c, batch)
			}
			c.report(benchTasks)
		})
	}
}

// BenchmarkTaskInsert submits exclusive tasks, so that each insert checks
// its request id and instances, queues the task and plans its instance.
func BenchmarkTaskInsert(b *testing.B) {
	byBatch(b, func(b *testing.B, c *clock, batch int) {
		s, now := benchSetup(b, benchTasks/2)
		ps := submissions(benchTasks, now)
		c.start()
		insertAll(b, s, ps, batch)
		c.stop()
	})
}

// BenchmarkTaskUpdate makes running exclusive tasks SUCCEED; each has a
// WAITING successor on its instance, which the replan promotes.
func BenchmarkTaskUpdate(b *testing.B) {
	byBatch(b, func(b *testing.B, c *clock, batch int) {
		s, now := benchSetup(b, benchTasks)
		insertAll(b, s, submissions(2*benchTasks, now), benchBatch)
		running := claimAll(b, s, benchTasks, now)
		require.Len(b, running, benchTasks)
		ps := completions(running, now)
		c.start()
		updateAll(b, s, ps, batch)
		c.stop()
	})
}

// BenchmarkTaskCycle is the store's share of the engine's work: submit,
// claim and complete, one task at a time or batch by batch.
func BenchmarkTaskCycle(b *testing.B) {
	byBatch(b, func(b *testing.B, c *clock, batch int) {
		s, now := benchSetup(b, benchTasks/2)
		ps := submissions(benchTasks, now)
		c.start()
		for len(ps) > 0 {
			n := min(benchBatch, len(ps))
			insertAll(b, s, ps[:n], batch)
			var claimed []*tc.Task
			if batch <= 1 {
				for range n {
					claimed = append(claimed, claimAll(b, s, 1, now)...)
				}
			} else {
				claimed = claimAll(b, s, n, now)
			}
			updateAll(b, s, completions(claimed, now), batch)
			ps = ps[n:]
		}
		c.stop()
	})
}

// BenchmarkTaskHeartbeat reports progress on running tasks and extends
// their leases, as a worker's heartbeat does: no status changes.
func BenchmarkTaskHeartbeat(b *testing.B) {
	byBatch(b, func(b *testing.B, c *clock, batch int) {
		s, now := benchSetup(b, benchTasks)
		insertAll(b, s, submissions(2*benchTasks, now), benchBatch)
		running := claimAll(b, s, benchTasks, now)
		require.Len(b, running, benchTasks)
		at := now.Add(time.Second)
		ps := make([]*tc.TaskUpdateParams, len(running))
		for i, t := range running {
			ps[i] = &tc.TaskUpdateParams{Tenant: t.Tenant, ID: t.ID, Actor: "worker", Now: at,
				Update: func(t *tc.Task) error {
					t.Progress, t.Message, t.LeaseExpiresAt = 50, "working", at.Add(time.Minute)
					return nil
				}}
		}
		c.start()
		updateAll(b, s, ps, batch)
		c.stop()
	})
}
