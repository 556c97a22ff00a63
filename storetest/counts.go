package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// bulkLoader is the optional bulk-load capability of a store.
type bulkLoader interface {
	BulkLoad(ctx context.Context, instances []*tc.Instance, tasks []*tc.Task) error
}

// countsFixture is a store with tasks of two tenants created over a few days,
// whose totals are checked against the rows themselves after each write.
type countsFixture struct {
	*fixture
	rng   *rand.Rand
	start time.Time // midnight UTC, three days before f.now's day
	types []string
}

func setupCounts(t *testing.T, open OpenFunc) *countsFixture {
	t.Helper()
	f := &countsFixture{fixture: setup(t, open), rng: rand.New(rand.NewPCG(3, 4)),
		types: []string{tc.TypeReboot, tc.TypeModifyParam, tc.TypeRollback}}
	f.start = f.now.Truncate(24*time.Hour).AddDate(0, 0, -3)
	for _, tenant := range []string{"ta", "tb"} {
		f.instance(t, tenant, tenant+"-a")
		f.instance(t, tenant, tenant+"-b")
	}
	return f
}

// newTask is a non-exclusive task of tenant at a random time of the four days.
func (f *countsFixture) newTask(tenant string) *tc.TaskInsertParams {
	created := f.start.Add(time.Duration(f.rng.Int64N(int64(96 * time.Hour)))).Truncate(time.Millisecond)
	return f.fixture.newTask(tenant, f.types[f.rng.IntN(len(f.types))], []string{tenant + "-a"}, func(task *tc.Task) {
		task.CreatedAt, task.UpdatedAt = created, created
	})
}

// insert adds n tasks to each tenant one by one.
func (f *countsFixture) insert(t *testing.T, n int) {
	t.Helper()
	for range n {
		for _, tenant := range []string{"ta", "tb"} {
			_, created, err := f.store.TaskInsert(f.ctx, f.newTask(tenant))
			require.NoError(t, err)
			require.True(t, created)
		}
	}
}

// all returns every task of the tenant, whatever its status, from the rows.
func (f *countsFixture) all(t *testing.T, tenant string) []*tc.Task {
	t.Helper()
	page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: tenant, Statuses: tc.Statuses, Limit: 100000})
	require.NoError(t, err)
	return page.Tasks
}

// setStatus moves some of the tenant's tasks to random statuses, one update
// at a time, ending them an hour before f.now.
func (f *countsFixture) setStatus(tenant string, tasks []*tc.Task) []*tc.TaskUpdateParams {
	statuses := []tc.Status{tc.StatusRunning, tc.StatusSucceed, tc.StatusFailed, tc.StatusKilled, tc.StatusRemoved}
	var ups []*tc.TaskUpdateParams
	for _, task := range tasks {
		if f.rng.IntN(3) > 0 {
			continue
		}
		status := statuses[f.rng.IntN(len(statuses))]
		ups = append(ups, &tc.TaskUpdateParams{Tenant: tenant, ID: task.ID, Actor: "test", Now: f.now,
			Update: func(task *tc.Task) error {
				task.Status = status
				if status.Terminal() {
					task.EndedAt = f.now.Add(-time.Hour)
				}
				return nil
			}})
	}
	return ups
}

// check compares the totals of many filters, and TaskCounts, with counts of
// the rows themselves.
func (f *countsFixture) check(t *testing.T, step string) {
	t.Helper()
	for _, tenant := range []string{"ta", "tb"} {
		rows := f.all(t, tenant)
		perStatus := map[tc.Status]int{}
		for _, task := range rows {
			require.Equal(t, tenant, task.Tenant)
			perStatus[task.Status]++
		}
		counts, err := f.store.TaskCounts(f.ctx, tenant)
		require.NoError(t, err)
		require.Equal(t, perStatus, counts, "%s: TaskCounts of %s", step, tenant)
		for i := range 40 {
			filter := f.randomFilter(tenant, i)
			want := 0
			for _, task := range rows {
				if matches(filter, task) {
					want++
				}
			}
			page, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err)
			require.Equal(t, want, page.Total, "%s: %s", step, describe(filter))
			require.Len(t, page.Tasks, min(want, filter.Limit), "%s: %s", step, describe(filter))
		}
	}
}

// randomFilter is a filter on statuses, types, a window whose sides fall
// at random milliseconds, on day or hour boundaries or outside the data,
// and an instance.
func (f *countsFixture) randomFilter(tenant string, i int) tc.TaskFilter {
	filter := tc.TaskFilter{Tenant: tenant, Limit: f.rng.IntN(3) * 5}
	if f.rng.IntN(2) == 0 {
		for _, s := range []tc.Status{tc.StatusInitial, tc.StatusSucceed, tc.StatusFailed, tc.StatusRemoved} {
			if f.rng.IntN(2) == 0 {
				filter.Statuses = append(filter.Statuses, s)
			}
		}
	}
	if f.rng.IntN(2) == 0 {
		filter.Types = []string{f.types[f.rng.IntN(len(f.types))]}
	}
	at := func() time.Time {
		switch f.rng.IntN(5) {
		case 0:
			return f.start.AddDate(0, 0, f.rng.IntN(6)-1)
		case 1:
			return time.Time{}
		case 2:
			return f.start.Add(time.Duration(f.rng.IntN(100)) * time.Hour)
		}
		return f.start.Add(time.Duration(f.rng.Int64N(int64(100 * time.Hour)))).Truncate(time.Millisecond)
	}
	if i%4 != 0 { // a quarter without a window at all
		filter.CreatedAfter, filter.CreatedBefore = at(), at()
	}
	if i%3 == 0 { // a third of an instance, some of those of nothing else
		filter.InstanceID = tenant + []string{"-a", "-b"}[f.rng.IntN(2)]
		if i%2 == 0 {
			filter.Statuses, filter.Types = nil, nil
			filter.CreatedAfter, filter.CreatedBefore = time.Time{}, time.Time{}
		}
	}
	return filter
}

// matches is what a task filter means, computed on a task.
func matches(filter tc.TaskFilter, task *tc.Task) bool {
	switch {
	case len(filter.Types) > 0 && !slices.Contains(filter.Types, task.Type):
		return false
	case len(filter.Statuses) > 0 && !slices.Contains(filter.Statuses, task.Status):
		return false
	case len(filter.Statuses) == 0 && task.Status == tc.StatusRemoved:
		return false
	case filter.InstanceID != "" && !slices.Contains(task.InstanceIDs, filter.InstanceID):
		return false
	case !filter.CreatedAfter.IsZero() && task.CreatedAt.Before(filter.CreatedAfter):
		return false
	case !filter.CreatedBefore.IsZero() && !task.CreatedAt.Before(filter.CreatedBefore):
		return false
	}
	return true
}

func describe(filter tc.TaskFilter) string {
	return fmt.Sprintf("tenant %s instance %q types %v statuses %v window [%s, %s)", filter.Tenant, filter.InstanceID,
		filter.Types, filter.Statuses, filter.CreatedAfter.Format(time.RFC3339Nano), filter.CreatedBefore.Format(time.RFC3339Nano))
}

func init() {
	register("CountsExact", func(t *testing.T, open OpenFunc) {
		f := setupCounts(t, open)
		f.check(t, "empty")
		f.insert(t, 30)
		f.check(t, "inserts")

		for _, tenant := range []string{"ta", "tb"} {
			for _, up := range f.setStatus(tenant, f.all(t, tenant)) {
				_, err := f.store.TaskUpdate(f.ctx, up)
				require.NoError(t, err)
			}
		}
		f.check(t, "status changes")

		require.NoError(t, f.store.TaskCountsCompact(f.ctx))
		f.check(t, "compact")

		var ins []*tc.TaskInsertParams
		for i := range 25 {
			ins = append(ins, f.newTask("ta"), f.newTask("tb"))
			if i%5 == 0 { // a store takes a task in any status, an ended one too
				for _, p := range ins[len(ins)-2:] {
					p.Task.Status, p.Task.EndedAt = tc.StatusRemoved, f.now.Add(-time.Hour)
				}
			}
		}
		res, err := f.store.TaskInsertMany(f.ctx, ins)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		f.check(t, "TaskInsertMany")

		ups := append(f.setStatus("ta", f.all(t, "ta")), f.setStatus("tb", f.all(t, "tb"))...)
		res, err = f.store.TaskUpdateMany(f.ctx, ups)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		f.check(t, "TaskUpdateMany")

		n, err := f.store.TaskPrune(f.ctx, f.now, 7)
		require.NoError(t, err)
		require.Equal(t, 7, n)
		f.check(t, "prune")

		require.NoError(t, f.store.TaskCountsCompact(f.ctx))
		f.check(t, "second compact")
		require.NoError(t, f.store.TaskCountsCompact(f.ctx))
		f.check(t, "compact with nothing to fold")
	})

	register("CountsEngineMoves", func(t *testing.T, open OpenFunc) {
		// The moves the engine makes, not only updates: exclusive tasks
		// queued and started at once, claims, promotions when an instance
		// frees, and waiting tasks promoted when due.
		f := setupCounts(t, open)
		for _, tenant := range []string{"ta", "tb"} {
			for i := range 6 {
				inst := []string{tenant + "-a", tenant + "-b"}[i%2]
				_, _, err := f.store.TaskInsert(f.ctx, f.fixture.newTask(tenant, tc.TypeReboot, []string{inst},
					func(task *tc.Task) { task.Status, task.Exclusive = tc.StatusWaiting, true }))
				require.NoError(t, err)
			}
			_, _, err := f.store.TaskInsert(f.ctx, f.fixture.newTask(tenant, tc.TypeReboot, []string{tenant + "-a"},
				func(task *tc.Task) { task.Status, task.RunAfter = tc.StatusWaiting, f.now.Add(-time.Second) }))
			require.NoError(t, err)
		}
		f.check(t, "exclusive inserts")

		claimed := f.claim(t, tc.AllTenants, 100)
		require.NotEmpty(t, claimed)
		f.check(t, "claims")

		var ups []*tc.TaskUpdateParams
		for _, task := range claimed {
			ups = append(ups, f.to(task.Tenant, task.ID, tc.StatusSucceed))
		}
		res, err := f.store.TaskUpdateMany(f.ctx, ups)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		f.check(t, "completions that promote")

		n, err := f.store.TaskPromoteDue(f.ctx, f.now)
		require.NoError(t, err)
		require.Positive(t, n)
		f.check(t, "due promotions")
	})

	register("CountsCompactConcurrent", func(t *testing.T, open OpenFunc) {
		f := setupCounts(t, open)
		f.insert(t, 5)
		// Writers insert and end tasks while folds run: every delta is
		// folded once or left for the next fold, never lost or doubled.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 4 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 9))
				for i := range 15 {
					tenant := []string{"ta", "tb"}[rng.IntN(2)]
					p := f.fixture.newTask(tenant, tc.TypeReboot, []string{tenant + "-b"}, func(task *tc.Task) {
						task.CreatedAt = f.start.Add(time.Duration(rng.Int64N(int64(96 * time.Hour)))).Truncate(time.Millisecond)
						task.AsyncRequestID = fmt.Sprintf("w%d-%d", w, i)
					})
					task, _, err := f.store.TaskInsert(f.ctx, p)
					if err == nil && i%2 == 0 {
						_, err = f.store.TaskUpdate(f.ctx, f.to(tenant, task.ID, tc.StatusKilled))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range 10 {
				if err := f.store.TaskCountsCompact(f.ctx); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		f.check(t, "concurrent writes and folds")
		require.NoError(t, f.store.TaskCountsCompact(f.ctx))
		f.check(t, "a last fold")
	})

	register("CountsBulkLoad", func(t *testing.T, open OpenFunc) {
		f := setupCounts(t, open)
		loader, ok := f.store.(bulkLoader)
		if !ok {
			t.Skip("the store has no BulkLoad")
		}
		load := func(instances []*tc.Instance) {
			var tasks []*tc.Task
			for range 200 {
				for _, tenant := range []string{"ta", "tb"} {
					task := f.newTask(tenant).Task
					task.Status = []tc.Status{tc.StatusSucceed, tc.StatusFailed, tc.StatusRemoved}[f.rng.IntN(3)]
					task.EndedAt = f.now.Add(-time.Hour)
					tasks = append(tasks, task)
				}
			}
			require.NoError(t, loader.BulkLoad(f.ctx, instances, tasks))
		}
		load([]*tc.Instance{{Tenant: "ta", ID: "ta-bulk", Status: tc.InstanceNormal, CreatedAt: f.now, UpdatedAt: f.now}})
		f.check(t, "bulk load into no tasks")
		f.insert(t, 10)
		f.check(t, "inserts after a bulk load")
		load(nil)
		f.check(t, "second bulk load")
		f.insert(t, 10)
		require.NoError(t, f.store.TaskCountsCompact(f.ctx))
		f.check(t, "inserts after bulk loads, and a compact")
	})
}
