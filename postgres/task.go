package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

const taskColumns = `id, tenant, type, status, progress, code, message, instance_ids, async_request_id,
	created_at, started_at, ended_at, updated_at, context, attach_info,
	attempts, max_attempts, run_after, timeout_ms, lease_owner, lease_expires_at,
	cancel_requested, pause_requested, exclusive, claimed_at, claims`

// summaryColumns are those of a summary (TaskFilter.Summary), in the order of
// taskColumns: what a list shows, without the context, whose size has no
// bound, and the engine's fields.
const summaryColumns = `id, tenant, type, status, progress, code, message, instance_ids, async_request_id,
	created_at, started_at, ended_at, updated_at, attach_info`

// TaskInsert is TaskInsertMany with one insert.
func (s *Store) TaskInsert(ctx context.Context, p *taskcenter.TaskInsertParams) (*taskcenter.Task, bool, error) {
	res, err := s.TaskInsertMany(ctx, []*taskcenter.TaskInsertParams{p})
	if err != nil {
		return nil, false, err
	}
	return res[0].Task, res[0].Created, res[0].Err
}

// TaskInsertMany stores new tasks, their instances and their first events
// in one transaction and in a number of statements that does not grow with
// the batch; new tasks get increasing ids in the order given. A task whose
// tenant already has its AsyncRequestID, stored or earlier in the batch, is
// returned instead, with Created false. Exclusive tasks are queued on their
// instances and planned with their queues, under the locks of their
// instances rows.
func (s *Store) TaskInsertMany(ctx context.Context, ps []*taskcenter.TaskInsertParams) ([]taskcenter.TaskResult, error) {
	if len(ps) == 0 {
		return []taskcenter.TaskResult{}, nil
	}
	var out []taskcenter.TaskResult
	mark := s.room.Get()
	err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
		out, err = insertTasks(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, storeErr("insert tasks", err)
	}
	if slices.ContainsFunc(out, func(r taskcenter.TaskResult) bool { return r.Created }) {
		s.room.Proven(mark)
	}
	return out, nil
}

// requestKey names a task by its tenant and async request id.
type requestKey struct{ tenant, requestID string }

// insertTasks is TaskInsertMany inside its transaction.
func insertTasks(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskInsertParams) ([]taskcenter.TaskResult, error) {
	out := make([]taskcenter.TaskResult, len(ps))
	// A task that cannot be stored is refused before any statement names
	// it: its text could fail the lookups, and with them the batch.
	storables := make([]*taskcenter.TaskInsertParams, 0, len(ps))
	for i, p := range ps {
		if out[i].Err = storable(p.Task); out[i].Err == nil {
			storables = append(storables, p)
		}
	}
	// A repeated submit finds its task without writing or burning an id.
	existing, err := tasksByRequestID(ctx, tx, storables, true)
	if err != nil {
		return nil, err
	}
	known, err := knownInstances(ctx, tx, storables)
	if err != nil {
		return nil, err
	}
	var fresh []int      // the items to insert, in order
	dup := map[int]int{} // an item to the earlier one of the batch with its request id
	first := map[requestKey]int{}
	for i, p := range ps {
		t := p.Task
		key := requestKey{t.Tenant, t.AsyncRequestID}
		if out[i].Err != nil {
			continue
		}
		if t.AsyncRequestID != "" {
			if task, ok := existing[key]; ok {
				out[i].Task = task
				continue
			}
			if j, ok := first[key]; ok {
				dup[i] = j
				continue
			}
		}
		if id, ok := unknownInstance(t, known); !ok {
			out[i].Err = taskcenter.UnknownInstance(id)
			continue
		}
		if t.AsyncRequestID != "" {
			first[key] = i
		}
		fresh = append(fresh, i)
	}
	if err := insertFresh(ctx, tx, ps, fresh, out); err != nil {
		return nil, err
	}
	for i, j := range dup {
		out[i].Task = out[j].Task
	}
	return out, nil
}

// insertFresh inserts the tasks of ps at the positions fresh, and sets
// their outcomes in out.
func insertFresh(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskInsertParams, fresh []int, out []taskcenter.TaskResult) error {
	if len(fresh) == 0 {
		return nil
	}
	tasks := make([]*taskcenter.Task, len(fresh))
	for k, i := range fresh {
		tasks[k] = ps[i].Task
	}
	rows, err := insertTaskRows(ctx, tx, tasks)
	if err != nil {
		return err
	}
	var conflicts []*taskcenter.TaskInsertParams
	var created []*taskcenter.Task
	for k, i := range fresh {
		if rows[k] == nil {
			conflicts = append(conflicts, ps[i])
			continue
		}
		out[i].Task, out[i].Created = rows[k], true
		created = append(created, rows[k])
	}
	if len(conflicts) > 0 {
		// Concurrent inserts with the same request ids committed first; the
		// conflicts waited for them, so their rows are visible now. The
		// request id locks make this rare: it takes an inserter that does not
		// lock them, such as a replica still running an older release.
		existing, err := tasksByRequestID(ctx, tx, conflicts, false)
		if err != nil {
			return err
		}
		for k, i := range fresh {
			if rows[k] != nil {
				continue
			}
			t := ps[i].Task
			if out[i].Task = existing[requestKey{t.Tenant, t.AsyncRequestID}]; out[i].Task == nil {
				return errors.New("conflicting task vanished")
			}
		}
	}
	final, w, err := queueCreated(ctx, tx, created)
	if err != nil {
		return err
	}
	var events []*taskcenter.Event
	var tenants []string
	for k, i := range fresh {
		if rows[k] == nil {
			continue
		}
		task := final[rows[k].ID]
		out[i].Task = task
		events = append(events, &taskcenter.Event{TaskID: task.ID, At: task.CreatedAt, To: task.Status,
			Progress: task.Progress, Actor: ps[i].Actor})
		tenants = append(tenants, task.Tenant)
	}
	w.insertEvents(tenants, events)
	return w.send(ctx, tx)
}

// queueCreated indexes the new tasks under their instances, queues the
// exclusive ones and plans their queues, and returns every new task by id as
// stored afterwards, and the writes still to send. A queued task that may
// start at once is then stored INITIAL with one submission event, not a
// WAITING one and a promotion. The queue rows are invisible to others until
// the commit, which comes after the plan has locked the instances, so they
// may be written first.
func queueCreated(ctx context.Context, tx pgx.Tx, created []*taskcenter.Task) (map[int64]*taskcenter.Task, *writes, error) {
	final := make(map[int64]*taskcenter.Task, len(created))
	var queued []*taskcenter.Task
	var keys []instanceKey
	silent := map[int64]bool{}
	for _, t := range created {
		final[t.ID] = t
		if t.Exclusive {
			queued = append(queued, t)
			keys = append(keys, instanceKeysOf(t.Tenant, t.InstanceIDs)...)
			silent[t.ID] = true
		}
	}
	w := &writes{}
	w.insertTaskInstances(created)
	if len(queued) == 0 {
		// Nothing to plan: these rows go out with the first events.
		return final, w, nil
	}
	w.syncQueues(queued)
	if err := w.send(ctx, tx); err != nil {
		return nil, nil, err
	}
	promoted, err := replan(ctx, tx, keys, latestCreated(queued), silent, map[instanceKey]bool{})
	if err != nil {
		return nil, nil, err
	}
	for _, t := range promoted {
		if _, ok := final[t.ID]; ok {
			final[t.ID] = t
		}
	}
	return final, w, nil
}

// latestCreated is the latest CreatedAt of the tasks: the time of their plan.
func latestCreated(tasks []*taskcenter.Task) time.Time {
	var at time.Time
	for _, t := range tasks {
		if t.CreatedAt.After(at) {
			at = t.CreatedAt
		}
	}
	return at
}

// insertTaskRows inserts the task rows in one statement, with ids
// increasing in the order given, and returns each as stored, or nil where a
// task with the same request id exists.
func insertTaskRows(ctx context.Context, tx pgx.Tx, tasks []*taskcenter.Task) ([]*taskcenter.Task, error) {
	const q = `INSERT INTO tasks (tenant, type, status, progress, code, message, instance_ids, async_request_id,
			created_at, started_at, ended_at, updated_at, context, attach_info,
			attempts, max_attempts, run_after, timeout_ms, lease_owner, lease_expires_at,
			cancel_requested, pause_requested, exclusive, claimed_at)
		SELECT v.tenant, v.type, v.status, v.progress, v.code, v.message,
			ARRAY(SELECT json_array_elements_text(v.instance_ids::json)), v.async_request_id,
			v.created_at, v.started_at, v.ended_at, v.created_at, v.context::json, v.attach_info::jsonb,
			v.attempts, v.max_attempts, v.run_after, v.timeout_ms, v.lease_owner, v.lease_expires_at,
			v.cancel_requested, v.pause_requested, v.exclusive, v.claimed_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::integer[], $6::text[], $7::text[],
			$8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[],
			$14::integer[], $15::integer[], $16::timestamptz[], $17::bigint[], $18::text[], $19::timestamptz[],
			$20::boolean[], $21::boolean[], $22::boolean[], $23::timestamptz[])
			WITH ORDINALITY AS v(tenant, type, status, progress, code, message, instance_ids, async_request_id,
				created_at, started_at, ended_at, context, attach_info, attempts, max_attempts, run_after,
				timeout_ms, lease_owner, lease_expires_at, cancel_requested, pause_requested, exclusive,
				claimed_at, ord)
		ORDER BY v.ord
		ON CONFLICT (tenant, async_request_id) WHERE async_request_id <> '' DO NOTHING
		RETURNING ` + taskColumns
	n := len(tasks)
	var (
		tenants, types, statuses, messages    = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		instances, requestIDs, contexts       = make([]string, n), make([]string, n), make([]string, n)
		owners                                = make([]string, n)
		progress, codes, attempts, maxAttempt = make([]int, n), make([]int, n), make([]int, n), make([]int, n)
		created, started, ended, runAfter     = make([]any, n), make([]any, n), make([]any, n), make([]any, n)
		leaseExpires, claimedAt, attach       = make([]any, n), make([]any, n), make([]any, n)
		timeouts                              = make([]int64, n)
		cancel, pause, exclusive              = make([]bool, n), make([]bool, n), make([]bool, n)
	)
	for i, t := range tasks {
		a, err := attachArg(t.AttachInfo)
		if err != nil {
			return nil, err
		}
		ids := t.InstanceIDs
		if ids == nil {
			ids = []string{}
		}
		idsJSON, err := json.Marshal(ids)
		if err != nil {
			return nil, fmt.Errorf("encode instance ids: %w", err)
		}
		tenants[i], types[i], statuses[i], progress[i] = t.Tenant, t.Type, string(t.Status), t.Progress
		codes[i], messages[i], instances[i], requestIDs[i] = t.Code, t.Message, string(idsJSON), t.AsyncRequestID
		created[i], started[i], ended[i] = timeArg(t.CreatedAt), timeArg(t.StartedAt), timeArg(t.EndedAt)
		contexts[i], attach[i], attempts[i], maxAttempt[i] = contextArg(t.Context), a, t.Attempts, t.MaxAttempts
		runAfter[i], timeouts[i], owners[i] = timeArg(t.RunAfter), t.Timeout.Milliseconds(), t.LeaseOwner
		leaseExpires[i], cancel[i], pause[i] = timeArg(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested
		exclusive[i], claimedAt[i] = t.Exclusive, timeArg(t.ClaimedAt)
	}
	rows, _ := tx.Query(ctx, q, tenants, types, statuses, progress, codes, messages, instances, requestIDs,
		created, started, ended, contexts, attach, attempts, maxAttempt, runAfter, timeouts, owners,
		leaseExpires, cancel, pause, exclusive, claimedAt)
	stored, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	if err != nil {
		return nil, fmt.Errorf("insert tasks: %w", err)
	}
	return matchInserted(tasks, stored)
}

// matchInserted puts the rows an insert returned at the positions of the
// tasks they store. Only a task with a request id can have been skipped,
// and the ids of the others increase in the order of the tasks.
func matchInserted(tasks, stored []*taskcenter.Task) ([]*taskcenter.Task, error) {
	slices.SortFunc(stored, func(a, b *taskcenter.Task) int { return cmp.Compare(a.ID, b.ID) })
	inserted := make(map[requestKey]bool, len(stored))
	for _, t := range stored {
		if t.AsyncRequestID != "" {
			inserted[requestKey{t.Tenant, t.AsyncRequestID}] = true
		}
	}
	out := make([]*taskcenter.Task, len(tasks))
	next := 0
	for i, t := range tasks {
		if t.AsyncRequestID != "" && !inserted[requestKey{t.Tenant, t.AsyncRequestID}] {
			continue
		}
		if next == len(stored) || stored[next].Tenant != t.Tenant || stored[next].AsyncRequestID != t.AsyncRequestID {
			return nil, errors.New("insert tasks: returned rows do not match the tasks")
		}
		out[i] = stored[next]
		next++
	}
	if next != len(stored) {
		return nil, errors.New("insert tasks: more rows returned than tasks")
	}
	return out, nil
}

// requestArrays returns the tenants and request ids of the inserts that
// have a request id, as arrays.
func requestArrays(ps []*taskcenter.TaskInsertParams) (tenants, requestIDs []string) {
	for _, p := range ps {
		if p.Task.AsyncRequestID != "" {
			tenants, requestIDs = append(tenants, p.Task.Tenant), append(requestIDs, p.Task.AsyncRequestID)
		}
	}
	return tenants, requestIDs
}

// tasksByRequestID returns, by tenant and request id, the stored tasks that
// the inserts with a request id name. With lock set it first takes a
// transaction advisory lock for each tenant and request id, in key order,
// so that concurrent batches that name the same request ids in different
// orders wait for each other instead of deadlocking on the unique index (a
// hash collision only makes one wait). Both statements go in one round trip.
func tasksByRequestID(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskInsertParams, lock bool) (map[requestKey]*taskcenter.Task, error) {
	tenants, requestIDs := requestArrays(ps)
	found := map[requestKey]*taskcenter.Task{}
	if len(tenants) == 0 {
		return found, nil
	}
	var b pgx.Batch
	if lock {
		const q = `SELECT pg_advisory_xact_lock(k) FROM (
			SELECT DISTINCT hashtextextended(coalesce(current_schema(), '') || '/' || t || '/' || r, 0) AS k
			FROM unnest($1::text[], $2::text[]) AS v(t, r) ORDER BY k) AS keys`
		b.Queue(q, tenants, requestIDs)
	}
	// The condition on async_request_id lets the partial unique index serve.
	const q = `SELECT ` + taskColumns + ` FROM tasks
		WHERE (tenant, async_request_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
			AND async_request_id <> ''`
	b.Queue(q, tenants, requestIDs).Query(func(rows pgx.Rows) error {
		tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
		for _, t := range tasks {
			found[requestKey{t.Tenant, t.AsyncRequestID}] = t
		}
		return err
	})
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("find tasks by request id: %w", err)
	}
	return found, nil
}

// knownInstances returns which of the instances the inserts name exist.
func knownInstances(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskInsertParams) (map[instanceKey]bool, error) {
	var keys []instanceKey
	for _, p := range ps {
		keys = append(keys, instanceKeysOf(p.Task.Tenant, p.Task.InstanceIDs)...)
	}
	known := make(map[instanceKey]bool, len(keys))
	if len(keys) == 0 {
		return known, nil
	}
	const q = `SELECT i.tenant, i.id FROM instances i
		WHERE (i.tenant, i.id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
	tenants, ids := instanceArrays(keys)
	rows, _ := tx.Query(ctx, q, tenants, ids)
	var k instanceKey
	_, err := pgx.ForEachRow(rows, []any{&k.tenant, &k.id}, func() error {
		known[k] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check instances: %w", err)
	}
	return known, nil
}

// unknownInstance returns the first instance of t that is not known, and
// false, or true when all are.
func unknownInstance(t *taskcenter.Task, known map[instanceKey]bool) (string, bool) {
	for _, id := range t.InstanceIDs {
		if !known[instanceKey{t.Tenant, id}] {
			return id, false
		}
	}
	return "", true
}

// TaskGet returns a task of the tenant, or ENOTFOUND.
func (s *Store) TaskGet(ctx context.Context, tenant string, id int64) (*taskcenter.Task, error) {
	task, err := selectTask(ctx, s.pool, tenant, id)
	return task, storeErr("get task", err)
}

// TaskGetMany returns the named tasks that exist, by id, in one read; a
// ref's tenant "*" (AllTenants) matches any.
func (s *Store) TaskGetMany(ctx context.Context, refs []taskcenter.TaskRef) ([]*taskcenter.Task, error) {
	if err := taskcenter.CheckTaskGetMany(refs); err != nil || len(refs) == 0 {
		return nil, err
	}
	tenants, ids := make([]string, len(refs)), make([]int64, len(refs))
	for i, r := range refs {
		tenants[i], ids[i] = r.Tenant, r.ID
	}
	const q = `SELECT ` + taskColumns + ` FROM tasks WHERE id IN (
		SELECT t.id FROM unnest($1::text[], $2::bigint[]) AS r(tenant, id)
		JOIN tasks AS t ON t.id = r.id AND (r.tenant = '` + taskcenter.AllTenants + `' OR t.tenant = r.tenant))
		ORDER BY id`
	rows, _ := s.pool.Query(ctx, q, tenants, ids)
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	return tasks, storeErr("get tasks", err)
}

// selectTask reads one task of the tenant.
func selectTask(ctx context.Context, q querier, tenant string, id int64) (*taskcenter.Task, error) {
	conds, args := tenantScope([]string{"id = $1"}, []any{id}, "tenant", tenant)
	return scanTask(q.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks`+where(conds), args...))
}

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
