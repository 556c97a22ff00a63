package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// EventsAfter returns up to limit events of every tenant after afterSeq, by
// seq. Identity values are taken when a row is inserted, not when its
// transaction commits, so an event may appear after one with a higher seq:
// readers that tail this feed re-read the gaps they saw for a while.
func (s *Store) EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*taskcenter.Event, error) {
	const q = `SELECT seq, task_id, tenant, at, from_status, to_status, progress, message, actor
		FROM task_events WHERE seq > $1 ORDER BY seq LIMIT $2`
	rows, _ := s.pool.Query(ctx, q, afterSeq, limit)
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Event, error) {
		var e taskcenter.Event
		var at nullTime
		var from, to string
		if err := row.Scan(&e.Seq, &e.TaskID, &e.Tenant, &at, &from, &to, &e.Progress, &e.Message, &e.Actor); err != nil {
			return nil, err
		}
		e.At, e.From, e.To = at.Time, taskcenter.Status(from), taskcenter.Status(to)
		return &e, nil
	})
	if err != nil {
		return nil, storeErr("events after", err)
	}
	return events, nil
}

// EventSeq returns the highest seq stored, 0 when there is none.
func (s *Store) EventSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM task_events`).Scan(&seq); err != nil {
		return 0, storeErr("event seq", err)
	}
	return seq, nil
}
