package sqlite

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// queryPlan returns the EXPLAIN QUERY PLAN lines of a query, joined.
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		lines = append(lines, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}

// TestInstanceListPlan: a per-instance list reads the instance's rows of
// task_instances and then the tasks by id, never a scan of the tenant.
func TestInstanceListPlan(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	w := taskWhere(&tc.TaskFilter{Tenant: "ta", InstanceID: "cdb-1"})
	all := queryPlan(t, s, "SELECT count(*) FROM tasks"+w.String(), w.args...)
	require.Contains(t, all, "task_instances", all)
	require.Contains(t, all, "INTEGER PRIMARY KEY", all)
	require.NotContains(t, all, "tasks_tenant_status_id", all)

	// With its count in one statement: the count is a subquery run once,
	// not once per row, and both walk the instance's rows of task_instances
	// in order, with no temporary list of ids and no sort.
	q, args := pageTotalQuery(&tc.TaskFilter{Tenant: "ta", InstanceID: "cdb-1", Limit: 20, BeforeID: 9})
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "SCALAR SUBQUERY", all)
	require.Contains(t, all, "SEARCH i USING COVERING INDEX sqlite_autoindex_task_instances_1 (tenant=? AND instance_id=?", all)
	require.NotContains(t, all, "CORRELATED", all)
	require.NotContains(t, all, "LIST SUBQUERY", all)
	require.NotContains(t, all, "tasks_tenant_status_id", all)
	require.NotContains(t, all, "TEMP B-TREE", all)

	// The count of an instance alone is its links less its removed links
	// (011), each read by its key: the only task the statement reads is the
	// page's. Of an instance and a status, it reads each task for its status.
	require.Contains(t, all, "SEARCH task_instances USING COVERING INDEX sqlite_autoindex_task_instances_1 (tenant=? AND instance_id=?)", all)
	require.Contains(t, all, "SEARCH task_instances_removed USING PRIMARY KEY (tenant=? AND instance_id=?)", all)
	require.Equal(t, 1, strings.Count(all, "SEARCH t USING INTEGER PRIMARY KEY"), all)
	q, args = pageTotalQuery(&tc.TaskFilter{Tenant: "ta", InstanceID: "cdb-1", Statuses: []tc.Status{tc.StatusRunning}, Limit: 20})
	all = queryPlan(t, s, q, args...)
	require.Equal(t, 2, strings.Count(all, "SEARCH t USING INTEGER PRIMARY KEY"), all)
	require.NotContains(t, all, "task_instances_removed", all)
}

// TestPagePlan: the page of every shape of filter walks a covering index in
// id order, newest first, and stops at the page: nothing is sorted.
func TestPagePlan(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	now := time.Now().UTC()
	month := now.Add(-30 * 24 * time.Hour)
	for _, c := range []struct {
		name  string
		f     tc.TaskFilter
		index string
	}{
		{"tenant", tc.TaskFilter{}, "tasks_tenant_id_cov"},
		{"status", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed}}, "tasks_tenant_end_status_id_cov"},
		// A living status walks the living tasks, whose end_status is ''.
		{"living status", tc.TaskFilter{Statuses: []tc.Status{tc.StatusRunning}}, "tasks_tenant_end_status_id_cov"},
		{"ended and living", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed, tc.StatusRunning}}, "tasks_tenant_id_cov"},
		{"statuses", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed, tc.StatusKilled}}, "tasks_tenant_id_cov"},
		{"type", tc.TaskFilter{Types: []string{tc.TypeReboot}}, "tasks_tenant_type_id_cov"},
		{"types", tc.TaskFilter{Types: []string{tc.TypeReboot, tc.TypeRollback, tc.TypeSQLOperation}}, "tasks_tenant_id_cov"},
		{"window", tc.TaskFilter{CreatedAfter: month, CreatedBefore: now}, "tasks_tenant_id_cov"},
		{"window+statuses", tc.TaskFilter{CreatedAfter: month, CreatedBefore: now,
			Statuses: []tc.Status{tc.StatusFailed, tc.StatusKilled}}, "tasks_tenant_id_cov"},
		{"window+type", tc.TaskFilter{CreatedAfter: month, CreatedBefore: now, Types: []string{"RestartInstance"}},
			"tasks_tenant_type_id_cov"},
		{"status+type+cursor", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed}, Types: []string{tc.TypeReboot},
			BeforeID: 1000}, "tasks_tenant_end_status_id_cov"},
	} {
		c.f.Tenant, c.f.Limit = "ta", 20
		q, args := pageQuery(&c.f)
		all := queryPlan(t, s, q, args...)
		require.Contains(t, all, "USING INDEX "+c.index+" (tenant=?", "%s:\n%s", c.name, all)
		require.NotContains(t, all, "TEMP B-TREE", "%s:\n%s", c.name, all)
	}
}

// TestCountPlan: totals are summed from the keys or covering indexes of
// task_totals, task_count_deltas, task_counts and task_status_counts, and
// the edges of a window are counted in the covering index of (tenant,
// created_at): no row of any table is read.
func TestCountPlan(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	f := &tc.TaskFilter{Tenant: "ta", Types: []string{tc.TypeReboot, tc.TypeRollback},
		Statuses: []tc.Status{tc.StatusFailed}}
	q, args := totalsQuery(f)
	all := queryPlan(t, s, q, args...)
	require.Contains(t, all, "SEARCH task_totals USING PRIMARY KEY (tenant=? AND type=? AND status=?)", all)
	require.Contains(t, all, "SEARCH task_count_deltas USING PRIMARY KEY (tenant=?)", all)
	q, args = deltasQuery(f, 1, 2)
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "SEARCH task_count_deltas USING PRIMARY KEY (tenant=? AND hour>? AND hour<?)", all)
	q, args = daysQuery(f, 1, 2)
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "USING COVERING INDEX task_counts_sum (tenant=? AND day>? AND day<?)", all)
	q, args = rangeQuery(f, 1, 2)
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "USING COVERING INDEX tasks_tenant_created_at_end_status_type (tenant=? AND created_at>? AND created_at<?)", all)
	// A living status is read from the rows of the living tasks only.
	q, args = rangeQuery(&tc.TaskFilter{Tenant: "ta", Statuses: []tc.Status{tc.StatusRunning}}, 1, 2)
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "USING INDEX tasks_tenant_created_at_end_status_type (tenant=? AND created_at>? AND created_at<?)", all)
	// Without types, days and hours are ranges of task_status_counts' key.
	f.Types = nil
	q, args = periodsQuery(f, true, 1, 2)
	all = queryPlan(t, s, q, args...)
	require.Contains(t, all, "SEARCH task_status_counts USING PRIMARY KEY (tenant=? AND hourly=? AND period>? AND period<?)", all)
}

// TestStablePlans: a plan does not depend on the values bound to the
// statement (stablePlans). A bound status that matches a partial index's
// condition would otherwise select that index, and binding it anew would
// make SQLite plan the statement again on each run.
func TestStablePlans(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	all := queryPlan(t, s, "SELECT id FROM tasks WHERE status = ? ORDER BY id", tc.StatusInitial)
	require.NotContains(t, all, "tasks_ready", all)
	all = queryPlan(t, s, "SELECT id FROM tasks WHERE status = 'INITIAL' ORDER BY id")
	require.Contains(t, all, "tasks_ready", "a status written in the text still selects it: %s", all)
}

// TestCredentialByTokenPlan: a bearer token finds its credential through the
// partial index of token hashes, not a scan of the credentials.
func TestCredentialByTokenPlan(t *testing.T) {
	t.Parallel()
	all := queryPlan(t, migrated(t), credentialByTokenSQL, "hash")
	require.Contains(t, all, "USING INDEX credentials_token_hash", all)
}

// TestReadyOfTypePlan: the ready tasks of a type are read from the index of
// ready tasks by type alone, oldest first, and the walk stops at the limit:
// neither the tasks' rows nor the ready tasks of other types are read.
func TestReadyOfTypePlan(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	plan := queryPlan(t, s, readyOfTypeSQL, tc.TypeReboot, 0, 10)
	require.Contains(t, plan, "SEARCH tasks USING COVERING INDEX tasks_ready_type (type=?)", plan)
	require.NotContains(t, plan, "TEMP B-TREE", plan)
}

// TestPrunePlan: the prune walks the partial index of ended tasks in the
// order it deletes them, not the whole table.
func TestPrunePlan(t *testing.T) {
	t.Parallel()
	plan := queryPlan(t, migrated(t), pruneSQL, 0, 10)
	require.Contains(t, plan, "USING INDEX tasks_ended (ended_at>? AND ended_at<?)", plan)
	require.NotContains(t, plan, "TEMP B-TREE", plan)
}

// TestRowWritesBuildNoTemporaryTable: the statements the engine runs once
// per task, its insert and the save of its state, check the conditions of
// the partial indexes of tasks without building a temporary b-tree (as IN
// with more than two constants did, 012) for each row.
func TestRowWritesBuildNoTemporaryTable(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	for _, q := range []string{insertTaskSQL, saveStateSQL, saveProgressSQL, appendEventSQL, addDeltaSQL} {
		ops := opcodes(t, s, q)
		require.NotContains(t, ops, "OpenEphemeral", q)
		require.Contains(t, ops, "IdxInsert", "the listing is the statement's own: %s", q)
	}
}

// opcodes returns the names of the operations of the program SQLite
// compiles a statement to (EXPLAIN), one a line.
func opcodes(t *testing.T, s *Store, q string) string {
	t.Helper()
	rows, err := s.reader.Query("EXPLAIN "+q, make([]any, strings.Count(q, "?"))...)
	require.NoError(t, err)
	defer rows.Close()
	var ops []string
	for rows.Next() {
		var addr, p1, p2, p3, p5 int
		var op string
		var p4, comment sql.NullString
		require.NoError(t, rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment))
		ops = append(ops, op)
	}
	require.NoError(t, rows.Err())
	return strings.Join(ops, "\n")
}

// TestQueueOnPlan: a plan reads of each instance its holder from the
// partial index of holders, and its oldest due waiting task by walking the
// queue in id order: never the whole queue, nor a sort of it.
func TestQueueOnPlan(t *testing.T) {
	t.Parallel()
	plan := queryPlan(t, migrated(t), queueOnSQL, `[["ta","i1"]]`, 0)
	require.Contains(t, plan, "USING INDEX task_queue_holders (tenant=? AND instance_id=?)", plan)
	require.Contains(t, plan, "SEARCH q USING COVERING INDEX sqlite_autoindex_task_queue_1 (tenant=? AND instance_id=?)", plan)
	require.NotContains(t, plan, "TEMP B-TREE", plan)
	require.NotContains(t, plan, "SCAN q", plan)
}
