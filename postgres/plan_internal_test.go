package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// setupPlan returns a migrated store holding 40,000 tasks of a big tenant
// over 90 days and a few of small ones, vacuumed and analyzed as autovacuum
// would leave them.
func setupPlan(t *testing.T) (*Store, time.Time) {
	t.Helper()
	ctx := context.Background()
	s := migratedStore(t)
	end := time.Now().UTC().Truncate(time.Millisecond)
	statuses := []taskcenter.Status{taskcenter.StatusSucceed, taskcenter.StatusSucceed, taskcenter.StatusSucceed,
		taskcenter.StatusFailed, taskcenter.StatusKilled, taskcenter.StatusRemoved}
	types := []string{taskcenter.TypeReboot, taskcenter.TypeRollback, taskcenter.TypeSQLOperation,
		taskcenter.TypeModifyParam, "RestartInstance", "EnlargeMongoDBVolume"}
	var instances []*taskcenter.Instance
	for i := range 10 {
		instances = append(instances, &taskcenter.Instance{Tenant: fmt.Sprintf("t%d", i), ID: fmt.Sprintf("i%d", i),
			Status: taskcenter.InstanceNormal})
	}
	const n = 40000
	tasks := make([]*taskcenter.Task, n)
	for i := range tasks {
		tenant := "t0"
		if i%10 == 0 {
			tenant = fmt.Sprintf("t%d", i/10%10)
		}
		created := end.Add(-90 * 24 * time.Hour * time.Duration(n-i) / n)
		tasks[i] = &taskcenter.Task{Tenant: tenant, Type: types[i%len(types)], Status: statuses[i/len(types)%len(statuses)],
			InstanceIDs: []string{"i" + tenant[1:]}, AsyncRequestID: fmt.Sprintf("r%d", i), CreatedAt: created,
			UpdatedAt: created, Context: []byte("{}")}
	}
	require.NoError(t, s.BulkLoad(ctx, instances, tasks))
	require.NoError(t, s.TaskCountsCompact(ctx))
	require.NoError(t, s.Analyze(ctx))
	return s, end
}

// explain returns the plan of q as TaskList runs a page: planned for its
// arguments, with a total of 1 in listTotalSetting.
func explain(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	return explainAs(t, s, pageSettings("1"), "EXPLAIN", q, args...)
}

// pageSettings are the statements before a counted list's page, with total
// in listTotalSetting.
func pageSettings(total string) []string {
	return []string{fmt.Sprintf("SELECT set_config('%s', '%s', true)", listTotalSetting, total), customPlanSQL}
}

// explainAs returns the output of explain, an EXPLAIN command, of q after
// the settings statements in the same transaction.
func explainAs(t *testing.T, s *Store, settings []string, explain, q string, args ...any) string {
	t.Helper()
	var lines []string
	err := s.readTx(context.Background(), func(tx pgx.Tx) error {
		for _, setting := range settings {
			if _, err := tx.Exec(context.Background(), setting); err != nil {
				return err
			}
		}
		rows, _ := tx.Query(context.Background(), explain+" "+q, args...)
		var err error
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// TestPagePlan: the page of every shape of filter of the big tenant walks an
// index in id order and stops at the page: nothing is sorted, and the walks
// of several statuses are merged.
func TestPagePlan(t *testing.T) {
	t.Parallel()
	s, end := setupPlan(t)
	month := end.Add(-30 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		f    taskcenter.TaskFilter
	}{
		{"tenant", taskcenter.TaskFilter{}},
		{"status", taskcenter.TaskFilter{Statuses: []taskcenter.Status{taskcenter.StatusFailed}}},
		{"statuses", taskcenter.TaskFilter{Statuses: []taskcenter.Status{taskcenter.StatusFailed, taskcenter.StatusKilled}}},
		{"types", taskcenter.TaskFilter{Types: []string{taskcenter.TypeReboot, taskcenter.TypeRollback}}},
		{"window", taskcenter.TaskFilter{CreatedAfter: month, CreatedBefore: end}},
		{"window+statuses", taskcenter.TaskFilter{CreatedAfter: month, CreatedBefore: end,
			Statuses: []taskcenter.Status{taskcenter.StatusFailed, taskcenter.StatusKilled}}},
		{"window+type", taskcenter.TaskFilter{CreatedAfter: month, CreatedBefore: end, Types: []string{"RestartInstance"}}},
	} {
		c.f.Tenant, c.f.Limit = "t0", 20
		q, args := countedPageQuery(&c.f)
		plan := explain(t, s, q, args...)
		require.Contains(t, plan, "Index Scan Backward", "%s:\n%s", c.name, plan)
		require.NotRegexp(t, `Sort\s+\(`, plan, "%s:\n%s", c.name, plan) // a sort, not a merge's sort key
		if len(c.f.Statuses) > 1 {
			require.Contains(t, plan, "Merge Append", "%s:\n%s", c.name, plan)
		}
	}
}

// TestInstancePagePlan: the page of an instance alone reads each task by its
// primary key, on a plan for its arguments and on the generic plan its pool
// comes to, with a cursor or without; a total of 0 reads no task.
func TestInstancePagePlan(t *testing.T) {
	t.Parallel()
	s, _ := setupPlan(t)
	for _, f := range []*taskcenter.TaskFilter{
		{Tenant: "t0", InstanceID: "i0", Limit: 20},
		{Tenant: "t0", InstanceID: "i0", Limit: 20, Offset: 40, BeforeID: 30000, Summary: true},
	} {
		totalSQL, totalArgs := totalQuery(f)
		q, args := listQuery(f, totalSQL, totalArgs)
		for _, mode := range []string{customPlanSQL, genericPlanSQL} {
			plan := explainAs(t, s, []string{mode}, "EXPLAIN", q, args...)
			// How the links are read varies with the statistics of this
			// small table, whose one instance holds most links, and with
			// how far a vacuum could mark its pages visible while other
			// tests run: the tasks are read by key whatever the plan.
			require.Contains(t, plan, "Index Scan using tasks_pkey on tasks", "%s\n%s", mode, plan)
			require.NotContains(t, plan, "tasks_tenant_id", "%s\n%s", mode, plan)
		}
	}
	f := &taskcenter.TaskFilter{Tenant: "t0", InstanceID: "nowhere", Limit: 20}
	totalSQL, totalArgs := totalQuery(f)
	q, args := listQuery(f, totalSQL, totalArgs)
	read := explainAs(t, s, nil, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)", q, args...)
	require.Contains(t, read, "One-Time Filter", read)
	require.Regexp(t, `Index Scan using tasks_pkey on tasks \(never executed\)`, read)
}

// TestEmptyTotalReadsNoPage: the page of a counted list whose total is 0
// reads no index at all, whatever its plan.
func TestEmptyTotalReadsNoPage(t *testing.T) {
	t.Parallel()
	s, end := setupPlan(t)
	f := &taskcenter.TaskFilter{Tenant: "t0", Limit: 20, Types: []string{"RestartInstance"},
		CreatedAfter: end.Add(-30 * 24 * time.Hour), CreatedBefore: end}
	q, args := countedPageQuery(f)
	read := explainAs(t, s, pageSettings("5"), "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)", q, args...)
	require.NotContains(t, read, "never executed", read)
	require.Contains(t, read, "rows=20", read)
	skipped := explainAs(t, s, pageSettings("0"), "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)", q, args...)
	require.Contains(t, skipped, "One-Time Filter", skipped)
	require.Contains(t, skipped, "never executed", skipped)
}

// TestCountPlan: the days of a window are summed within the index of
// task_counts' folded rows, the deltas not folded yet within theirs, and its
// edges counted within the index of (tenant, created_at), without visiting
// tasks. (task_totals holds a few rows per tenant; how it is read matters
// little.)
func TestCountPlan(t *testing.T) {
	t.Parallel()
	s, _ := setupPlan(t)
	f := &taskcenter.TaskFilter{Tenant: "t0", Types: []string{taskcenter.TypeReboot, taskcenter.TypeRollback},
		Statuses: []taskcenter.Status{taskcenter.StatusFailed}}
	day := window.DayOf(time.Now().UnixMilli())
	q, args := daysQuery(nil, f, day-30, day)
	plan := explain(t, s, q, args...)
	// Index only, or a bitmap of a few rows: the planner's choice varies
	// with the statistics.
	require.Contains(t, plan, "task_counts_folded", plan)
	q, args = deltasQuery(nil, f, (day-30)*24, day*24)
	plan = explain(t, s, q, args...)
	require.Contains(t, plan, "task_counts_delta", plan)
	q, args = rangeQuery(nil, f, 1, 2)
	plan = explain(t, s, q, args...)
	require.Contains(t, plan, "Index Only Scan using tasks_tenant_created_at_status_type", plan)

	// Without types, days and hours come from task_status_counts.
	f.Types = nil
	for _, hourly := range []bool{false, true} {
		q, args = periodsQuery(nil, f, hourly, day-30, day)
		plan = explain(t, s, q, args...)
		require.Contains(t, plan, "task_status_counts_key", plan)
	}

	// An instance of a few hundred tasks, alone, sums its folded count and
	// its deltas (index only here; a table of ten rows may be read whole),
	// without a link or a task's row; with a status it reads the tasks.
	q, args = totalQuery(&taskcenter.TaskFilter{Tenant: "t1", InstanceID: "i1"})
	plan = explain(t, s, q, args...)
	require.Contains(t, plan, "on instance_task_counts", plan)
	require.NotContains(t, plan, "task_instances", plan)
	require.NotContains(t, plan, "on tasks", plan)
	q, args = totalQuery(&taskcenter.TaskFilter{Tenant: "t1", InstanceID: "i1",
		Statuses: []taskcenter.Status{taskcenter.StatusFailed}})
	plan = explain(t, s, q, args...)
	require.Contains(t, plan, "on tasks", plan)
}

// TestWidenPlan: finding the tasks on several instances queued on a set of
// instances probes the partial index of shared queue rows, whatever the
// length of the queues.
func TestWidenPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	// Queue rows only: the plan reads nothing else.
	_, err := s.pool.Exec(ctx, `INSERT INTO task_queue (tenant, instance_id, task_id, shared)
		SELECT 't' || (n % 50), 'i' || (n % 2000), n, n % 1000 = 0 FROM generate_series(1, 20000) AS n`)
	require.NoError(t, err)
	require.NoError(t, s.Analyze(ctx))
	plan := explain(t, s, widenSQL, []string{"t1", "t2"}, []string{"i1", "i2"})
	require.Contains(t, plan, "task_queue_shared", plan)
}

// TestParamsNumbered: the statements built of several parts (a window's
// total, a page of several statuses, a scanned list with its total) use
// each of their arguments, by the number of its place: $1 to $len(args).
func TestParamsNumbered(t *testing.T) {
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	win := taskcenter.TaskFilter{Tenant: "t0", CreatedAfter: day.Add(3*time.Hour + 17*time.Minute),
		CreatedBefore: day.Add(9*24*time.Hour + 20*time.Hour + 41*time.Minute), Limit: 20, Offset: 5, BeforeID: 900}
	typed, statuses := win, win
	typed.Types = []string{taskcenter.TypeReboot}
	statuses.Statuses = []taskcenter.Status{taskcenter.StatusFailed, taskcenter.StatusKilled, taskcenter.StatusRunning}
	instance := taskcenter.TaskFilter{Tenant: "t0", InstanceID: "cdb-1", Types: []string{"a", "b"}, Limit: 20}
	ref := regexp.MustCompile(`\$([0-9]+)`)
	check := func(name, q string, args []any) {
		used := map[int]bool{}
		for _, m := range ref.FindAllStringSubmatch(q, -1) {
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			used[n] = true
		}
		require.Len(t, used, len(args), "%s: %s", name, q)
		for n := 1; n <= len(args); n++ {
			require.True(t, used[n], "%s: $%d unused in %s", name, n, q)
		}
	}
	for name, f := range map[string]*taskcenter.TaskFilter{"window": &win, "typed": &typed, "statuses": &statuses} {
		q, args := totalQuery(f)
		require.Greater(t, strings.Count(q, "SELECT"), 3, "%s: several terms", name)
		check(name+" total", q, args)
		q, args = countedPageQuery(f)
		check(name+" page", q, args)
		for _, status := range f.Statuses {
			require.Contains(t, args, string(status), "%s page: each branch keeps its own arguments", name)
		}
	}
	totalSQL, totalArgs := totalQuery(&instance)
	q, args := listQuery(&instance, totalSQL, totalArgs)
	check("instance list", q, args)
	alone := taskcenter.TaskFilter{Tenant: "t0", InstanceID: "cdb-1", Limit: 20, Offset: 5, BeforeID: 900}
	totalSQL, totalArgs = totalQuery(&alone)
	q, args = listQuery(&alone, totalSQL, totalArgs)
	check("instance alone", q, args)
}

// TestListsPlannedPerRun: the pool of the lists plans every run for its
// arguments, while the other pool keeps PostgreSQL's default.
func TestListsPlannedPerRun(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	var lists, writes string
	require.NoError(t, s.lists.QueryRow(context.Background(), "SHOW plan_cache_mode").Scan(&lists))
	require.NoError(t, s.pool.QueryRow(context.Background(), "SHOW plan_cache_mode").Scan(&writes))
	require.Equal(t, "force_custom_plan", lists)
	require.Equal(t, "auto", writes)
}

// TestClaimPlan: a claim walks the partial index of ready tasks in id order,
// which stops at the claim's last task and marks the entries of tasks no
// longer ready as dead on its way, even when that index holds mostly such
// entries and the statistics count so few ready tasks that a bitmap of the
// whole index looks cheaper, as under the engine's load between vacuums.
func TestClaimPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	now := loadTasks(t, s, 20000, nil)
	// Claimed and done since, not vacuumed yet; the rows rewritten since
	// lie in no particular order of id.
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET status = 'SUCCEED' WHERE id % 200 <> 0`)
	require.NoError(t, err)
	for range 4 {
		_, err = s.pool.Exec(ctx, `UPDATE tasks SET progress = progress + 1 WHERE random() < 0.5`)
		require.NoError(t, err)
	}
	_, err = s.pool.Exec(ctx, `ANALYZE tasks`)
	require.NoError(t, err)
	q, args := claimQuery(&taskcenter.TaskClaimParams{Tenant: taskcenter.AllTenants, WorkerID: "w", Max: 100,
		Lease: time.Minute, Now: now})
	plan := explainAs(t, s, []string{claimPlanSQL}, "EXPLAIN", q, args...)
	require.Contains(t, plan, "Index Scan using tasks_ready on", plan)
	require.NotContains(t, plan, "Bitmap", plan)
}

// TestClaimTypesPlan: a claim of all tenants' tasks of given types walks
// the ready tasks of each type alone, even where the statistics, which take
// the types to be spread evenly over the ready tasks in id order, make a
// walk of all ready tasks look shorter; a claim that names no type, or a
// tenant, walks the ready tasks in id order.
func TestClaimTypesPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	types := []string{taskcenter.TypeReboot, taskcenter.TypeModifyParam, taskcenter.TypeSQLOperation,
		taskcenter.TypeRollback, taskcenter.TypeImportData, "RestartInstance"}
	now := loadTasks(t, s, 40000, func(i int, task *taskcenter.Task) {
		task.Type = types[i%len(types)]
		if i%50 != 0 { // one task in fifty ready, the rest ended
			task.Status, task.EndedAt = taskcenter.StatusSucceed, task.CreatedAt
		}
	})
	_, err := s.pool.Exec(ctx, `ANALYZE tasks`)
	require.NoError(t, err)
	claim := func(tenant string, types ...string) string {
		q, args := claimQuery(&taskcenter.TaskClaimParams{Tenant: tenant, WorkerID: "w", Max: 10,
			Lease: time.Minute, Now: now, Types: types})
		plan := explainAs(t, s, []string{claimPlanSQL}, "EXPLAIN", q, args...)
		require.NotContains(t, plan, "Bitmap", plan)
		require.NotContains(t, plan, "Seq Scan on tasks", plan)
		return plan
	}
	plan := claim(taskcenter.AllTenants, taskcenter.TypeReboot, taskcenter.TypeModifyParam)
	require.Contains(t, plan, "Index Scan using tasks_ready_type on", plan)
	require.NotContains(t, plan, "tasks_ready on", plan)
	plan = claim(taskcenter.AllTenants)
	require.Contains(t, plan, "Index Scan using tasks_ready on", plan)
	plan = claim("t0", taskcenter.TypeReboot)
	require.Contains(t, plan, "Index Scan using tasks_ready on", plan)
	require.NotContains(t, plan, "tasks_ready_type", plan)
}

// TestPromotePlan: a promotion probes its tasks by id, even when the
// statistics count few waiting tasks and the partial index of waiting tasks
// holds many, as when tasks were queued since the last ANALYZE: planned for
// its arguments, and on the generic plan a prepared statement keeps.
func TestPromotePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	now := loadTasks(t, s, 20000, nil)
	_, err := s.pool.Exec(ctx, `ANALYZE tasks`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `UPDATE tasks SET status = 'WAITING'`)
	require.NoError(t, err)
	ids := make([]int64, 100)
	for i := range ids {
		ids[i] = int64(100 + i)
	}
	custom := explainAs(t, s, nil, "EXPLAIN", promoteSQL, ids, timeArg(now), taskcenter.ActorEngine, []int64{})
	generic := explainAs(t, s, []string{"SET LOCAL plan_cache_mode = force_generic_plan",
		"PREPARE promote_plan (bigint[], timestamptz, text, bigint[]) AS " + promoteSQL},
		"EXPLAIN", "EXECUTE promote_plan ('{100,101,102}', now(), 'engine', '{}')")
	require.Contains(t, generic, "$1", "a generic plan names its parameters")
	for _, plan := range []string{custom, generic} {
		require.NotContains(t, plan, "tasks_waiting", plan)
		require.Contains(t, plan, "tasks_pkey", plan)
	}
}

// loadTasks bulk-loads n ready REBOOT tasks of instance i0 of tenant t0,
// each changed by mod (when not nil) first, and returns their creation time.
func loadTasks(t *testing.T, s *Store, n int, mod func(i int, task *taskcenter.Task)) time.Time {
	t.Helper()
	now := time.Now().UTC()
	tasks := make([]*taskcenter.Task, n)
	for i := range tasks {
		tasks[i] = &taskcenter.Task{Tenant: "t0", Type: taskcenter.TypeReboot, Status: taskcenter.StatusInitial,
			InstanceIDs: []string{"i0"}, CreatedAt: now, UpdatedAt: now, Context: []byte("{}")}
		if mod != nil {
			mod(i, tasks[i])
		}
	}
	instance := &taskcenter.Instance{Tenant: "t0", ID: "i0", Status: taskcenter.InstanceNormal}
	require.NoError(t, s.BulkLoad(context.Background(), []*taskcenter.Instance{instance}, tasks))
	return now
}
