package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// taskColumns are a task's columns in the order scanTask reads them: first
// summaryColumns, those of a summary (TaskFilter.Summary), then the rest.
const taskColumns = summaryColumns + `, context, attempts, max_attempts,
	run_after, timeout_ms, lease_owner, lease_expires_at, cancel_requested, pause_requested,
	exclusive, claimed_at, claims`

// taskColumnNames and summaryColumnNames are taskColumns and
// summaryColumns one by one, in order.
var (
	taskColumnNames    = columnNames(taskColumns)
	summaryColumnNames = columnNames(summaryColumns)
)

const summaryColumns = `id, tenant, type, status, progress, code, message, instance_ids, async_request_id,
	created_at, started_at, ended_at, updated_at, attach_info`

// taskColumnsOfT and summaryColumnsOfT are qualified by the alias t, for joins.
var (
	taskColumnsOfT    = prefixed("t.", taskColumns)
	summaryColumnsOfT = prefixed("t.", summaryColumns)
)

// stateColumns are the columns an update writes, in the order of stateValues.
// The others are the task's identity, which never changes, and claims, which
// only claims raise.
var stateColumns = []string{
	"status", "progress", "code", "message", "started_at", "ended_at", "updated_at", "context",
	"attach_info", "attempts", "max_attempts", "run_after", "timeout_ms", "lease_owner",
	"lease_expires_at", "cancel_requested", "pause_requested", "claimed_at", "end_status",
}

// TaskGet returns a task of the tenant, or ErrNotFound.
func (s *Store) TaskGet(ctx context.Context, tenant string, id int64) (*tc.Task, error) {
	return getTask(ctx, s.reads, tenant, id)
}

// taskGetManySQL reads tasks by [tenant, id] pairs; a pair's tenant "*"
// (AllTenants) matches any.
const taskGetManySQL = `SELECT ` + taskColumns + ` FROM tasks WHERE id IN (
	SELECT t.id FROM json_each(?) AS j
	JOIN tasks AS t ON t.id = j.value->>1 AND (j.value->>0 = '` + tc.AllTenants + `' OR t.tenant = j.value->>0))`

// TaskGetMany returns the named tasks that exist, by id, in one read.
func (s *Store) TaskGetMany(ctx context.Context, refs []tc.TaskRef) ([]*tc.Task, error) {
	if err := tc.CheckTaskGetMany(refs); err != nil || len(refs) == 0 {
		return nil, err
	}
	pairs := make([][2]any, len(refs))
	for i, r := range refs {
		pairs[i] = [2]any{r.Tenant, r.ID}
	}
	rows, err := s.reads.QueryContext(ctx, taskGetManySQL, jsonText(pairs))
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	tasks, err := scanTasks(rows)
	return tasks, dbError("get tasks", err)
}

func getTask(ctx context.Context, q querier, tenant string, id int64) (*tc.Task, error) {
	var w where
	w.add("id = ?", id)
	w.tenant(tenant)
	t, err := scanTask(q.QueryRowContext(ctx, "SELECT "+taskColumns+" FROM tasks"+w.String(), w.args...))
	return t, dbError("get task", err)
}

// stateValues encodes the stateColumns of a task.
func stateValues(t *tc.Task) ([]any, error) {
	attach, err := encodeAttach(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	taskContext := string(t.Context)
	if taskContext == "" {
		taskContext = "{}"
	}
	return []any{
		t.Status, t.Progress, t.Code, t.Message, millis(t.StartedAt), millis(t.EndedAt),
		millis(t.UpdatedAt), taskContext, attach, t.Attempts, t.MaxAttempts, millis(t.RunAfter),
		t.Timeout.Milliseconds(), t.LeaseOwner, millis(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested,
		millis(t.ClaimedAt), endStatus(t.Status),
	}, nil
}

// endStatus is the end_status column of a task in status s (migration 014):
// s when a task ends in it, "" while the task lives. A statement that sets
// status sets end_status with it, but for a change between living statuses
// (a claim, a promotion), which leaves it and the list indexes alone.
func endStatus(s tc.Status) string {
	if s.Terminal() {
		return string(s)
	}
	return ""
}

// scanTask reads a row of taskColumns.
func scanTask(sc scanner) (*tc.Task, error) { return newTaskReader(true, nil).read(sc) }

// taskReader reads rows of summaryColumns, and of the rest of taskColumns
// when all; when total is not nil, each row begins with an integer it is
// set to. Each column is scanned into an any and converted here, where
// database/sql would convert into an int or a string type of the
// program's own by reflection (an int64 into an int through its decimal
// text), and every local variable given to Scan would be a heap object of
// its own. The reader keeps its values from row to row.
type taskReader struct {
	names      []string
	total      *int
	vals, dest []any
}

func newTaskReader(all bool, total *int) *taskReader {
	r := &taskReader{names: summaryColumnNames, total: total}
	if all {
		r.names = taskColumnNames
	}
	n := len(r.names)
	if total != nil {
		n++
	}
	r.vals, r.dest = make([]any, n), make([]any, n)
	for i := range r.dest {
		r.dest[i] = &r.vals[i]
	}
	return r
}

// read reads the row sc is on.
func (tr *taskReader) read(sc scanner) (*tc.Task, error) {
	if err := sc.Scan(tr.dest...); err != nil {
		return nil, err
	}
	vals := tr.vals
	if tr.total != nil {
		n, ok := vals[0].(int64)
		if !ok {
			return nil, fmt.Errorf("total: %T is not an integer", vals[0])
		}
		*tr.total, vals = int(n), vals[1:]
	}
	all := len(tr.names) == len(taskColumnNames)
	r := row{names: tr.names, vals: vals}
	t := &tc.Task{
		ID: r.int64(0), Tenant: r.text(1), Type: r.text(2), Status: tc.Status(r.text(3)),
		Progress: int(r.int64(4)), Code: int(r.int64(5)), Message: r.text(6), AsyncRequestID: r.text(8),
		CreatedAt: fromMillis(r.int64(9)), StartedAt: fromMillis(r.int64(10)), EndedAt: fromMillis(r.int64(11)),
		UpdatedAt: fromMillis(r.int64(12)),
	}
	instanceIDs, attach := r.text(7), r.text(13)
	if all {
		t.Context = json.RawMessage(r.text(14))
		t.Attempts, t.MaxAttempts = int(r.int64(15)), int(r.int64(16))
		t.RunAfter, t.Timeout = fromMillis(r.int64(17)), time.Duration(r.int64(18))*time.Millisecond
		t.LeaseOwner, t.LeaseExpiresAt = r.text(19), fromMillis(r.int64(20))
		t.CancelRequested, t.PauseRequested, t.Exclusive = r.int64(21) != 0, r.int64(22) != 0, r.int64(23) != 0
		t.ClaimedAt, t.Claims = fromMillis(r.int64(24)), r.int64(25)
	}
	if r.err != nil {
		return nil, fmt.Errorf("task %d: %w", t.ID, r.err)
	}
	var err error
	if t.InstanceIDs, err = decodeIDs(instanceIDs); err != nil {
		return nil, fmt.Errorf("task %d: instance ids: %w", t.ID, err)
	}
	if t.AttachInfo, err = decodeAttach(attach); err != nil {
		return nil, fmt.Errorf("task %d: %w", t.ID, err)
	}
	return t, nil
}

// row holds the values of a scanned row, as the driver returned them, and
// converts them; the first value of the wrong type sets err.
type row struct {
	names []string // the columns, for errors
	vals  []any
	err   error
}

func (r *row) int64(i int) int64 {
	v, ok := r.vals[i].(int64)
	if !ok {
		r.fail(i, "an integer")
	}
	return v
}

func (r *row) text(i int) string {
	v, ok := r.vals[i].(string)
	if !ok {
		r.fail(i, "text")
	}
	return v
}

func (r *row) fail(i int, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("column %s: %T is not %s", r.names[i], r.vals[i], want)
	}
}

// columnNames splits a list of columns.
func columnNames(list string) []string {
	names := strings.Split(list, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	return names
}

// scanTasks reads every row of a task query and closes it; tasks come back
// by id, whatever order the statement produced them in.
func scanTasks(rows *sql.Rows) ([]*tc.Task, error) {
	defer rows.Close()
	var tasks []*tc.Task
	tr := newTaskReader(true, nil)
	for rows.Next() {
		t, err := tr.read(rows)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(tasks, func(a, b *tc.Task) int { return cmp.Compare(a.ID, b.ID) })
	return tasks, nil
}

// byID indexes tasks by id.
func byID(tasks []*tc.Task) map[int64]*tc.Task {
	m := make(map[int64]*tc.Task, len(tasks))
	for _, t := range tasks {
		m[t.ID] = t
	}
	return m
}

// jsonText encodes a value that cannot fail to encode (ids, strings) as
// the JSON text that json_each reads.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values are passed
	}
	return string(b)
}

// attachJSON is the stored form of a taskcenter.Attach.
type attachJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func encodeAttach(list []tc.Attach) (string, error) {
	out := make([]attachJSON, len(list))
	for i, a := range list {
		out[i] = attachJSON(a)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("attach info: %w", err)
	}
	return string(b), nil
}

// decodeIDs decodes a JSON array of strings. Most arrays are as
// json.Marshal wrote them, without escapes or spaces: those are split
// without the reflection of json.Unmarshal, which shows in every task read.
func decodeIDs(s string) ([]string, error) {
	if s == "[]" {
		return []string{}, nil
	}
	inner, ok := strings.CutPrefix(s, `["`)
	inner, ok2 := strings.CutSuffix(inner, `"]`)
	if ok && ok2 && !strings.ContainsRune(inner, '\\') {
		ids := strings.Split(inner, `","`)
		if !slices.ContainsFunc(ids, func(id string) bool { return strings.ContainsRune(id, '"') }) {
			return ids, nil
		}
	}
	var ids []string
	return ids, json.Unmarshal([]byte(s), &ids)
}

// decodeAttach returns nil for an empty list.
func decodeAttach(s string) ([]tc.Attach, error) {
	if s == "[]" {
		return nil, nil
	}
	var in []attachJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("attach info: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]tc.Attach, len(in))
	for i, a := range in {
		out[i] = tc.Attach(a)
	}
	return out, nil
}

// nonNil makes a nil list encode as [] rather than null.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
