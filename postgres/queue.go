package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskcenter/taskcenter"
)

// The queues of exclusive tasks are shared by every process on the database.
// A transaction that changes the queue of an instance, or the status of a
// task queued on it, or plans it, first locks the instance's row in
// instances (lockQueues), so such transactions on one instance are
// serialized and each plans on what the previous ones committed. Locks are
// taken in a fixed order: instances rows, sorted by tenant and id, then
// tasks rows.

// instanceKey names an instance: ids are unique within a tenant only.
type instanceKey struct{ tenant, id string }

// compareInstanceKeys orders keys by tenant, then id, in byte order as the
// "C" collation of the instances table does.
func compareInstanceKeys(a, b instanceKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.id, b.id))
}

// instanceKeysOf returns the keys of a task's instances.
func instanceKeysOf(tenant string, ids []string) []instanceKey {
	keys := make([]instanceKey, len(ids))
	for i, id := range ids {
		keys[i] = instanceKey{tenant, id}
	}
	return keys
}

// queued is a queue entry with the tenant of its task.
type queued struct {
	tenant string
	taskcenter.QueueEntry
}

// lockQueues locks the instances rows that a plan on the given instances
// involves, and returns what a plan reads of their queues (queueOn, due at
// now): the instances, and transitively every instance of a task queued on
// one of them, so that a multi-instance task is planned against all of its
// instances. The closure is first found without locks (widen), so that it is
// usually locked in one sorted statement; the queues are then read under the
// locks, and instances the closure gained meanwhile are locked in a further
// sorted step, until it stays the same. locked holds the instances the
// transaction has locked so far; lockQueues adds to it.
func lockQueues(ctx context.Context, tx pgx.Tx, keys []instanceKey, now time.Time, locked map[instanceKey]bool) ([]queued, error) {
	set := make(map[instanceKey]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	for {
		if err := widen(ctx, tx, set); err != nil {
			return nil, err
		}
		var missing []instanceKey
		for k := range set {
			if !locked[k] {
				missing = append(missing, k)
			}
		}
		// The locks and the read go in one round trip: the server runs them
		// in order, so the read sees the queues as of the locks.
		var b pgx.Batch
		if len(missing) > 0 {
			slices.SortFunc(missing, compareInstanceKeys)
			lockInstances(&b, missing)
		}
		var entries []queued
		queueOn(&b, slices.SortedFunc(maps.Keys(set), compareInstanceKeys), now, &entries)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return nil, err
		}
		for _, k := range missing {
			locked[k] = true
		}
		grown := false
		for _, e := range entries {
			for _, id := range e.InstanceIDs {
				if k := (instanceKey{e.tenant, id}); !set[k] {
					set[k], grown = true, true
				}
			}
		}
		if !grown {
			return entries, nil
		}
		// A task on several instances was queued before the locks were granted.
	}
}

// widenSQL returns every queue row of the tasks on several instances queued
// on any of the instances.
const widenSQL = `SELECT o.tenant, o.instance_id FROM task_queue s JOIN task_queue o ON o.task_id = s.task_id
	WHERE (s.tenant, s.instance_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND s.shared`

// widen adds to set, transitively, every instance of a task queued on one
// of its instances that has several (a shared queue row). It reads only the
// partial index of shared rows, so for instances without such tasks it costs
// one index probe each.
func widen(ctx context.Context, tx pgx.Tx, set map[instanceKey]bool) error {
	frontier := slices.SortedFunc(maps.Keys(set), compareInstanceKeys)
	for len(frontier) > 0 {
		tenants, ids := instanceArrays(frontier)
		rows, _ := tx.Query(ctx, widenSQL, tenants, ids)
		frontier = frontier[:0:0]
		var k instanceKey
		_, err := pgx.ForEachRow(rows, []any{&k.tenant, &k.id}, func() error {
			if !set[k] {
				set[k] = true
				frontier = append(frontier, k)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read shared queues: %w", err)
		}
	}
	return nil
}

// instanceArrays splits keys into the tenant and id arrays that queries
// unnest.
func instanceArrays(keys []instanceKey) (tenants, ids []string) {
	tenants, ids = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		tenants[i], ids[i] = k.tenant, k.id
	}
	return tenants, ids
}

// lockInstances queues the locking of the instances rows with the given
// keys, sorted by tenant and id so that concurrent lockers cannot deadlock.
func lockInstances(b *pgx.Batch, keys []instanceKey) {
	const q = `SELECT i.id FROM instances i
		WHERE (i.tenant, i.id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
		ORDER BY i.tenant, i.id FOR UPDATE OF i`
	tenants, ids := instanceArrays(keys)
	b.Queue(q, tenants, ids).Exec(func(pgconn.CommandTag) error { return nil })
}

// queueOn queues the read, into *entries by id, of each instance's holder
// (INITIAL or RUNNING, marked in task_queue) and its oldest waiting task
// whose time (now) has come. PlanPromotions starts a waiting task exactly
// when none of its instances has a holder and it is the oldest due task on
// each: the younger tasks of a queue, and those whose time has not come,
// change nothing in its plan, so a plan reads two tasks of an instance
// however many wait there.
func queueOn(b *pgx.Batch, keys []instanceKey, now time.Time, entries *[]queued) {
	const q = `SELECT t.tenant, t.id, t.status, t.run_after, t.instance_ids FROM tasks t
		WHERE t.id IN (SELECT h.task_id FROM unnest($1::text[], $2::text[]) AS k(tenant, instance_id)
			CROSS JOIN LATERAL (
				(SELECT q.task_id FROM task_queue q
					WHERE q.tenant = k.tenant AND q.instance_id = k.instance_id AND q.holds)
				UNION ALL
				(SELECT q.task_id FROM task_queue q JOIN tasks w ON w.id = q.task_id
					WHERE q.tenant = k.tenant AND q.instance_id = k.instance_id
						AND w.status = 'WAITING' AND (w.run_after IS NULL OR w.run_after <= $3)
					ORDER BY q.task_id LIMIT 1)) AS h)
		ORDER BY t.id`
	tenants, ids := instanceArrays(keys)
	b.Queue(q, tenants, ids, timeArg(now)).Query(func(rows pgx.Rows) error {
		var err error
		*entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (queued, error) {
			var e queued
			var status string
			var runAfter nullTime
			err := row.Scan(&e.tenant, &e.ID, &status, &runAfter, &e.InstanceIDs)
			e.Status, e.RunAfter = taskcenter.Status(status), runAfter.Time
			return e, err
		})
		return wrapErr("load queue", err)
	})
}

// replan locks the queues of the instances (see lockQueues for locked),
// promotes the waiting tasks that PlanPromotions lets start, and returns
// them as stored. Each promotion appends an event (actor ActorEngine), but
// for the tasks in silent.
func replan(ctx context.Context, tx pgx.Tx, keys []instanceKey, now time.Time, silent map[int64]bool, locked map[instanceKey]bool) ([]*taskcenter.Task, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	entries, err := lockQueues(ctx, tx, keys, now, locked)
	if err != nil {
		return nil, err
	}
	return plan(ctx, tx, entries, now, silent)
}

// plan promotes the waiting tasks of the entries that PlanPromotions lets
// start, as replan does. The entries are read under the locks of their
// instances (lockQueues).
func plan(ctx context.Context, tx pgx.Tx, entries []queued, now time.Time, silent map[int64]bool) ([]*taskcenter.Task, error) {
	// Instance ids are unique within a tenant only, so each tenant's queues
	// are planned apart.
	byTenant := map[string][]taskcenter.QueueEntry{}
	for _, e := range entries {
		byTenant[e.tenant] = append(byTenant[e.tenant], e.QueueEntry)
	}
	var ids []int64
	for _, tenantEntries := range byTenant {
		ids = append(ids, taskcenter.PlanPromotions(tenantEntries, now)...)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return promote(ctx, tx, ids, now, silent)
}

// promoteSQL makes the tasks of ids ($1) that are still WAITING INITIAL at
// $2, with an event each by actor $3 but for those of $4, and returns them.
// The status is compared by IS NOT DISTINCT FROM, which PostgreSQL cannot
// match to the condition of the partial index of waiting tasks: with "=",
// statistics that count few waiting tasks, as for a table that grew since
// its last ANALYZE, make a bitmap of that whole index, the entries of tasks
// promoted since included, look cheaper than probing the primary key by id.
const promoteSQL = `WITH promoted AS (
		UPDATE tasks SET status = 'INITIAL', updated_at = $2, lease_owner = '', lease_expires_at = NULL
		WHERE id = ANY($1) AND status IS NOT DISTINCT FROM 'WAITING'
		RETURNING ` + taskColumns + `
	), held AS (
		UPDATE task_queue SET holds = true WHERE task_id IN (SELECT id FROM promoted WHERE exclusive)
	), events AS (
		INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
		SELECT id, tenant, $2, 'WAITING', 'INITIAL', progress, '', $3 FROM promoted
		WHERE id <> ALL($4) ORDER BY id
	)
	SELECT ` + taskColumns + ` FROM promoted ORDER BY id`

// promote makes the tasks of ids that are still WAITING INITIAL (what
// Transition does, in SQL), with an event each but for those in silent, and
// returns them as stored, by id, in one statement. Their rows need no lock
// order: a WAITING exclusive task changes only under the locks of its
// instances, which the caller holds.
func promote(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time, silent map[int64]bool) ([]*taskcenter.Task, error) {
	quiet := slices.Collect(maps.Keys(silent))
	if quiet == nil {
		quiet = []int64{}
	}
	rows, _ := tx.Query(ctx, promoteSQL, ids, timeArg(now), taskcenter.ActorEngine, quiet)
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	return tasks, wrapErr("promote tasks", err)
}

// wrapErr is err with a prefix, or nil.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
