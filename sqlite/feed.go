package sqlite

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

// EventsAfter returns up to limit events of every tenant after afterSeq, by
// seq. The single writer commits events in seq order, so a reader that
// remembers the last seq it saw misses none.
func (s *Store) EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*tc.Event, error) {
	var events []*tc.Event
	err := s.read(ctx, func(tx *readTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT seq, task_id, tenant, at, from_status, to_status, progress, message, actor
			FROM task_events WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
		if err != nil {
			return dbError("events after", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e tc.Event
			var at int64
			if err := rows.Scan(&e.Seq, &e.TaskID, &e.Tenant, &at, &e.From, &e.To, &e.Progress, &e.Message, &e.Actor); err != nil {
				return dbError("events after", err)
			}
			e.At = fromMillis(at)
			events = append(events, &e)
		}
		return dbError("events after", rows.Err())
	})
	return events, err
}

// EventSeq returns the highest seq stored, 0 when there is none.
func (s *Store) EventSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, func(tx *readTx) error {
		return dbError("event seq", tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM task_events`).Scan(&seq))
	})
	return seq, err
}
