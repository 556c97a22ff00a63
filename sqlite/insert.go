package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// insertTasksSQL inserts tasks from a JSON array of rows, each as insertRow
// encodes it, in the array's order, so that ids increase in that order.
var insertTasksSQL = func() string {
	cols := append([]string{"tenant", "type", "instance_ids", "async_request_id", "created_at", "exclusive"},
		stateColumns...)
	values := make([]string, len(cols))
	for i := range cols {
		values[i] = fmt.Sprintf("j.value->>%d", i)
	}
	return `INSERT INTO tasks (` + strings.Join(cols, ", ") + `) SELECT ` + strings.Join(values, ", ") +
		` FROM json_each(?) AS j ORDER BY j.key RETURNING ` + taskColumns
}()

// TaskInsert stores one task, as TaskInsertMany does.
func (s *Store) TaskInsert(ctx context.Context, p *tc.TaskInsertParams) (*tc.Task, bool, error) {
	res, err := s.TaskInsertMany(ctx, []*tc.TaskInsertParams{p})
	if err != nil {
		return nil, false, err
	}
	return res[0].Task, res[0].Created, res[0].Err
}

// TaskInsertMany stores new tasks, their instances and first events in one
// transaction with a fixed number of statements, whatever their number.
// The single writer makes the checks of request ids and instances atomic
// with the inserts. A queued exclusive task that may start at once is
// stored INITIAL with one submission event, not a WAITING one and a
// promotion.
func (s *Store) TaskInsertMany(ctx context.Context, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	var out []tc.TaskResult
	err := s.write(ctx, func(tx *sql.Tx) (err error) {
		out, err = insertTasks(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requestKey is an async request id of a tenant.
type requestKey struct{ tenant, id string }

func insertTasks(ctx context.Context, tx *sql.Tx, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	existing, err := tasksByRequest(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	unknown, err := unknownInstances(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	out := make([]tc.TaskResult, len(ps))
	first := map[requestKey]int{} // the item of the batch that inserts a request id
	again := map[int]int{}        // items naming a request id an earlier item inserts
	var inserts []int
	var rows [][]any
	for i, p := range ps {
		t := p.Task
		k := requestKey{t.Tenant, t.AsyncRequestID}
		if t.AsyncRequestID != "" {
			if found, ok := existing[k]; ok {
				out[i].Task = found
				continue
			}
			if j, ok := first[k]; ok {
				again[i] = j
				continue
			}
		}
		if id := firstUnknown(t, unknown); id != "" {
			out[i].Err = tc.UnknownInstance(id)
			continue
		}
		row, err := insertRow(t)
		if err != nil {
			return nil, err
		}
		if t.AsyncRequestID != "" {
			first[k] = i
		}
		inserts, rows = append(inserts, i), append(rows, row)
	}
	if len(rows) > 0 {
		if err := storeTasks(ctx, tx, ps, inserts, rows, out); err != nil {
			return nil, err
		}
	}
	for i, j := range again {
		out[i].Task = cloneTask(out[j].Task)
	}
	return out, nil
}

// storeTasks inserts the rows of the items inserts, links and queues them,
// plans their instances and appends their first events, and sets their
// results in out.
func storeTasks(ctx context.Context, tx *sql.Tx, ps []*tc.TaskInsertParams, inserts []int, rows [][]any, out []tc.TaskResult) error {
	result, err := tx.QueryContext(ctx, insertTasksSQL, jsonText(rows))
	if err != nil {
		return dbError("insert tasks", err)
	}
	stored, err := scanTasks(result)
	if err != nil {
		return dbError("insert tasks", err)
	}
	if len(stored) != len(inserts) {
		return fmt.Errorf("insert tasks: %d rows stored of %d", len(stored), len(inserts))
	}
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO task_instances (tenant, instance_id, task_id)
		SELECT t.tenant, i.value, t.id FROM tasks AS t CROSS JOIN json_each(t.instance_ids) AS i
		WHERE t.id BETWEEN ? AND ?`, stored[0].ID, stored[len(stored)-1].ID)
	if err != nil {
		return dbError("link instances", err)
	}
	if err := planInserted(ctx, tx, stored); err != nil {
		return err
	}
	events := make([][]any, len(stored))
	for k, t := range stored {
		i := inserts[k]
		out[i].Task, out[i].Created = t, true
		events[k] = []any{t.ID, t.Tenant, millis(t.CreatedAt), tc.Status(""), t.Status, t.Progress, "", ps[i].Actor}
	}
	return appendEvents(ctx, tx, events)
}

// planInserted queues the new exclusive tasks among stored and replans
// their instances, promoting new tasks in place, without an event.
func planInserted(ctx context.Context, tx *sql.Tx, stored []*tc.Task) error {
	var exclusive []*tc.Task
	var silent []int64
	var now time.Time
	for _, t := range stored {
		if t.Exclusive {
			exclusive = append(exclusive, t)
			silent = append(silent, t.ID)
			now = later(now, t.CreatedAt)
		}
	}
	if len(exclusive) == 0 {
		return nil
	}
	if err := syncQueue(ctx, tx, exclusive); err != nil {
		return err
	}
	promoted, err := replan(ctx, tx, queueKeys(exclusive), now, silent)
	if err != nil {
		return err
	}
	index := byID(promoted)
	for k, t := range stored {
		if p, ok := index[t.ID]; ok {
			stored[k] = p
		}
	}
	return nil
}

// insertRow encodes a new task as a row of insertTasksSQL.
func insertRow(t *tc.Task) ([]any, error) {
	n := *t
	n.UpdatedAt = n.CreatedAt
	state, err := stateValues(&n)
	if err != nil {
		return nil, err
	}
	return append([]any{n.Tenant, n.Type, jsonText(nonNil(n.InstanceIDs)), n.AsyncRequestID,
		millis(n.CreatedAt), n.Exclusive}, state...), nil
}

// tasksByRequest returns the stored tasks that the async request ids of ps
// name.
func tasksByRequest(ctx context.Context, tx *sql.Tx, ps []*tc.TaskInsertParams) (map[requestKey]*tc.Task, error) {
	var pairs [][2]string
	for _, p := range ps {
		if p.Task.AsyncRequestID != "" {
			pairs = append(pairs, [2]string{p.Task.Tenant, p.Task.AsyncRequestID})
		}
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	// The redundant <> '' lets SQLite use the partial unique index.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT `+prefixed("t.", taskColumns)+` FROM json_each(?) AS j
		CROSS JOIN tasks AS t ON t.tenant = j.value->>0 AND t.async_request_id = j.value->>1
		WHERE t.async_request_id <> ''`, jsonText(pairs))
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	tasks, err := scanTasks(rows)
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	found := make(map[requestKey]*tc.Task, len(tasks))
	for _, t := range tasks {
		found[requestKey{t.Tenant, t.AsyncRequestID}] = t
	}
	return found, nil
}

// unknownInstances returns the instances that the tasks of ps name and
// their tenants do not have.
func unknownInstances(ctx context.Context, tx *sql.Tx, ps []*tc.TaskInsertParams) (map[queueKey]bool, error) {
	tasks := make([]*tc.Task, len(ps))
	for i, p := range ps {
		tasks[i] = p.Task
	}
	keys := queueKeys(tasks)
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k.tenant, k.instance}
	}
	rows, err := tx.QueryContext(ctx, `SELECT j.value->>0, j.value->>1 FROM json_each(?) AS j
		WHERE NOT EXISTS (SELECT 1 FROM instances AS i WHERE i.tenant = j.value->>0 AND i.id = j.value->>1)`,
		jsonText(pairs))
	if err != nil {
		return nil, dbError("check instances", err)
	}
	defer rows.Close()
	unknown := map[queueKey]bool{}
	for rows.Next() {
		var k queueKey
		if err := rows.Scan(&k.tenant, &k.instance); err != nil {
			return nil, dbError("check instances", err)
		}
		unknown[k] = true
	}
	return unknown, dbError("check instances", rows.Err())
}

// firstUnknown returns the first instance of t that its tenant does not
// have, or "".
func firstUnknown(t *tc.Task, unknown map[queueKey]bool) string {
	for _, id := range t.InstanceIDs {
		if unknown[queueKey{t.Tenant, id}] {
			return id
		}
	}
	return ""
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
