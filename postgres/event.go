package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskEvents returns the history of a task of the tenant, oldest first, or
// ENOTFOUND when the tenant has no such task.
func (s *Store) TaskEvents(ctx context.Context, tenant string, id int64) ([]*taskcenter.Event, error) {
	var events []*taskcenter.Event
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if _, err := selectTask(ctx, tx, tenant, id); err != nil {
			return err
		}
		const q = `SELECT seq, task_id, at, from_status, to_status, progress, message, actor
			FROM task_events WHERE task_id = $1 ORDER BY seq`
		rows, _ := tx.Query(ctx, q, id)
		var err error
		events, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, storeErr("task events", err)
	}
	return events, nil
}

// TaskEventList returns up to p.Limit events of a task of the tenant with a
// seq above p.AfterSeq, oldest first, or ENOTFOUND.
func (s *Store) TaskEventList(ctx context.Context, p *taskcenter.TaskEventListParams) ([]*taskcenter.Event, error) {
	var events []*taskcenter.Event
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if _, err := selectTask(ctx, tx, p.Tenant, p.TaskID); err != nil {
			return err
		}
		const q = `SELECT seq, task_id, at, from_status, to_status, progress, message, actor
			FROM task_events WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
		rows, _ := tx.Query(ctx, q, p.TaskID, p.AfterSeq, p.Limit)
		var err error
		events, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, storeErr("task event list", err)
	}
	return events, nil
}

// scanEvent reads a task_events row.
func scanEvent(row pgx.CollectableRow) (*taskcenter.Event, error) {
	var e taskcenter.Event
	var at nullTime
	var from, to string
	if err := row.Scan(&e.Seq, &e.TaskID, &at, &from, &to, &e.Progress, &e.Message, &e.Actor); err != nil {
		return nil, err
	}
	e.At, e.From, e.To = at.Time, taskcenter.Status(from), taskcenter.Status(to)
	return &e, nil
}
