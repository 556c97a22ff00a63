package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// batchSize is the number of tasks each benchmark iteration moves.
const batchSize = 100

// The benchmarks report tasks/s: batchSize tasks per iteration, divided by
// the time the timer ran. Run them with
//
//	go test ./postgres -run '^$' -bench . -benchtime 3x
//
// Each opens a store on a schema of its own (pgtest), so they skip loudly,
// as the tests do, when no server is reachable.

// benchStore is a migrated store for a benchmark.
type benchStore struct {
	ctx   context.Context
	store *postgres.Store
	next  int // instances created so far, to name new ones
}

func setupBench(b *testing.B, url string) *benchStore {
	b.Helper()
	return &benchStore{ctx: context.Background(), store: setup(b, url)}
}

// instances creates n new instances and returns their ids.
func (s *benchStore) instances(b *testing.B, tenant string, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		s.next++
		ids[i] = fmt.Sprintf("cdb-%06d", s.next)
		_, err := s.store.InstancePut(s.ctx, &tc.Instance{ID: ids[i], Tenant: tenant, Status: tc.InstanceNormal})
		require.NoError(b, err)
	}
	return ids
}

// params returns insert params for one task per instance of the tenant:
// plain INITIAL tasks, or exclusive ones submitted WAITING.
func params(tenant string, instances []string, exclusive bool) []*tc.TaskInsertParams {
	now := time.Now()
	ps := make([]*tc.TaskInsertParams, len(instances))
	for i, inst := range instances {
		task := &tc.Task{Tenant: tenant, Type: tc.TypeReboot, Status: tc.StatusInitial, InstanceIDs: []string{inst},
			CreatedAt: now, Context: []byte(`{}`), MaxAttempts: 3}
		if exclusive {
			task.Status, task.Exclusive = tc.StatusWaiting, true
		}
		ps[i] = &tc.TaskInsertParams{Task: task, Actor: "bench"}
	}
	return ps
}

// insertMany inserts the tasks in one batch and fails on any error.
func (s *benchStore) insertMany(b *testing.B, ps []*tc.TaskInsertParams) []*tc.Task {
	b.Helper()
	res, err := s.store.TaskInsertMany(s.ctx, ps)
	require.NoError(b, err)
	tasks := make([]*tc.Task, len(res))
	for i, r := range res {
		require.NoError(b, r.Err)
		tasks[i] = r.Task
	}
	return tasks
}

// claim claims up to max tasks of tenant "ta" for worker "w".
func (s *benchStore) claim(b *testing.B, max int) []*tc.Task {
	b.Helper()
	claimed, err := s.store.TaskClaim(s.ctx, &tc.TaskClaimParams{Tenant: "ta", WorkerID: "w",
		Types: []string{tc.TypeReboot}, Max: max, Lease: time.Minute, Now: time.Now()})
	require.NoError(b, err)
	return claimed
}

// succeed is the update that completes a running task of the tenant.
func succeed(tenant string, id int64) *tc.TaskUpdateParams {
	now := time.Now()
	return &tc.TaskUpdateParams{Tenant: tenant, ID: id, Actor: "w", Now: now,
		Update: func(t *tc.Task) error { return t.Transition(tc.StatusSucceed, now) }}
}

// reportRate reports the tasks moved per second of timed work.
func reportRate(b *testing.B, tasks int) {
	b.ReportMetric(float64(tasks)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkTaskInsert stores plain tasks one insert at a time and in
// batches.
func BenchmarkTaskInsert(b *testing.B) {
	for _, mode := range []string{"one", "batch100"} {
		b.Run(mode, func(b *testing.B) {
			s := setupBench(b, pgtest.URL(b))
			instances := s.instances(b, "ta", batchSize)
			for b.Loop() {
				ps := params("ta", instances, false)
				if mode == "one" {
					for _, p := range ps {
						_, _, err := s.store.TaskInsert(s.ctx, p)
						require.NoError(b, err)
					}
				} else {
					s.insertMany(b, ps)
				}
			}
			reportRate(b, b.N*batchSize)
		})
	}
}

// BenchmarkTaskComplete makes RUNNING exclusive tasks SUCCEED, each with a
// WAITING successor on its instance, so that every completion replans a
// queue and promotes a task.
func BenchmarkTaskComplete(b *testing.B) {
	for _, mode := range []string{"one", "batch100"} {
		b.Run(mode, func(b *testing.B) {
			s := setupBench(b, pgtest.URL(b))
			b.ResetTimer()
			b.StopTimer()
			for range b.N {
				instances := s.instances(b, "ta", batchSize)
				s.insertMany(b, params("ta", instances, true))
				waiting := s.insertMany(b, params("ta", instances, true))
				running := s.claim(b, batchSize)
				require.Len(b, running, batchSize)
				ups := make([]*tc.TaskUpdateParams, len(running))
				for i, t := range running {
					ups[i] = succeed(t.Tenant, t.ID)
				}

				b.StartTimer()
				if mode == "one" {
					for _, p := range ups {
						_, err := s.store.TaskUpdate(s.ctx, p)
						require.NoError(b, err)
					}
				} else {
					res, err := s.store.TaskUpdateMany(s.ctx, ups)
					require.NoError(b, err)
					for _, r := range res {
						require.NoError(b, r.Err)
					}
				}
				b.StopTimer()

				got, err := s.store.TaskGet(s.ctx, "ta", waiting[0].ID)
				require.NoError(b, err)
				require.Equal(b, tc.StatusInitial, got.Status, "the successor was promoted")
				require.Len(b, s.claim(b, batchSize), batchSize) // the successors, out of the way
			}
			reportRate(b, b.N*batchSize)
		})
	}
}

// BenchmarkTaskClaim claims batchSize ready tasks at once.
func BenchmarkTaskClaim(b *testing.B) {
	s := setupBench(b, pgtest.URL(b))
	instances := s.instances(b, "ta", batchSize)
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		s.insertMany(b, params("ta", instances, false))
		b.StartTimer()
		claimed := s.claim(b, batchSize)
		b.StopTimer()
		require.Len(b, claimed, batchSize)
	}
	reportRate(b, b.N*batchSize)
}

// BenchmarkLifecycle submits, claims and completes plain tasks: one at a
// time, or in batches of batchSize, by one goroutine or by several at once,
// and with synchronous_commit off for the session, which trades the
// durability of the last commits on a server crash for not waiting on the
// WAL flush. Off is not a default of the store; the figure shows what an
// operator would gain by setting it.
func BenchmarkLifecycle(b *testing.B) {
	cases := []struct {
		name    string
		batch   bool
		workers int
		async   bool
	}{
		{"one", false, 1, false},
		{"batch100", true, 1, false},
		{"batch100x4", true, 4, false},
		{"batch100x4/sync_commit_off", true, 4, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			url := pgtest.URL(b)
			if c.async {
				url = withParam(url, "synchronous_commit", "off")
			}
			s := setupBench(b, url)
			// Each worker has a tenant of its own, so it claims what it submitted.
			instances := make([][]string, c.workers)
			for w := range instances {
				instances[w] = s.instances(b, fmt.Sprint("t", w), batchSize)
			}
			for b.Loop() {
				errs := make(chan error, c.workers)
				for w := range c.workers {
					go func() { errs <- s.cycle(fmt.Sprint("t", w), instances[w], c.batch) }()
				}
				for range c.workers {
					require.NoError(b, <-errs)
				}
			}
			reportRate(b, b.N*batchSize*c.workers)
		})
	}
}

// cycle submits one task per instance of the tenant, then claims and
// completes the tenant's tasks until none is ready.
func (s *benchStore) cycle(tenant string, instances []string, batch bool) error {
	ps := params(tenant, instances, false)
	if batch {
		if _, err := batchErr(s.store.TaskInsertMany(s.ctx, ps)); err != nil {
			return err
		}
	} else {
		for _, p := range ps {
			if _, _, err := s.store.TaskInsert(s.ctx, p); err != nil {
				return err
			}
		}
	}
	claimP := &tc.TaskClaimParams{Tenant: tenant, WorkerID: "w-" + tenant, Types: []string{tc.TypeReboot},
		Max: batchSize, Lease: time.Minute, Now: time.Now()}
	if !batch {
		claimP.Max = 1
	}
	for {
		claimed, err := s.store.TaskClaim(s.ctx, claimP)
		if err != nil || len(claimed) == 0 {
			return err
		}
		ups := make([]*tc.TaskUpdateParams, len(claimed))
		for i, t := range claimed {
			ups[i] = succeed(t.Tenant, t.ID)
		}
		if batch {
			if _, err := batchErr(s.store.TaskUpdateMany(s.ctx, ups)); err != nil {
				return err
			}
			continue
		}
		for _, p := range ups {
			if _, err := s.store.TaskUpdate(s.ctx, p); err != nil {
				return err
			}
		}
	}
}

// batchErr is the first error of a batch call or of one of its items.
func batchErr(res []tc.TaskResult, err error) ([]tc.TaskResult, error) {
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if r.Err != nil {
			return nil, r.Err
		}
	}
	return res, nil
}

// withParam adds a run-time parameter to a connection string, a URL or
// key=value pairs, as pgtest returns either.
func withParam(url, key, value string) string {
	if strings.Contains(url, "://") {
		return url + "&" + key + "=" + value
	}
	return url + " " + key + "=" + value
}

// BenchmarkTaskListInstance reads the summary page of 20 of an instance
// that has 105 tasks, with its exact total, as a per-instance DescribeTasks
// does. Its allocations per page, steady from run to run where its time is
// not on a shared machine, measure the Go work of reading the rows.
func BenchmarkTaskListInstance(b *testing.B) {
	s := setupBench(b, pgtest.URL(b))
	instance := s.instances(b, "ta", 1)[0]
	for range 105 {
		s.insertMany(b, params("ta", []string{instance}, false))
	}
	f := &tc.TaskFilter{Tenant: "ta", InstanceID: instance, Limit: 20, Summary: true}
	b.ReportAllocs()
	for b.Loop() {
		page, err := s.store.TaskList(s.ctx, f)
		require.NoError(b, err)
		require.Equal(b, 105, page.Total)
		require.Len(b, page.Tasks, 20)
	}
}
