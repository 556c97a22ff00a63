package sqlite

import (
	"context"
	"database/sql"

	tc "github.com/taskcenter/taskcenter"
)

// The statements that append events: one, or eventChunk at once. A batch's
// events go in chunks, the rest one by one: a statement per row is a fair
// share of what an event costs, and SQLite's limit on bound values keeps a
// statement of any length out.
const eventChunk = 16

var (
	appendEventSQL  = appendEventsQuery(1)
	appendEventsSQL = appendEventsQuery(eventChunk)
)

func appendEventsQuery(rows int) string {
	return `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
	VALUES ` + valuesRows(8, rows)
}

// appendEvents adds entries to the histories of tasks, in order. Each row
// is task_id, tenant, at, from_status, to_status, progress, message, actor.
func appendEvents(ctx context.Context, tx *writeTx, rows [][]any) error {
	return dbError("append events", execRows(ctx, tx, appendEventSQL, appendEventsSQL, eventChunk, rows))
}

// TaskEvents returns the history of a task of the tenant, oldest first, or
// ErrNotFound.
func (s *Store) TaskEvents(ctx context.Context, tenant string, id int64) ([]*tc.Event, error) {
	var events []*tc.Event
	err := s.read(ctx, func(tx *readTx) error {
		if _, err := getTask(ctx, tx, tenant, id); err != nil {
			return err
		}
		var err error
		events, err = listEvents(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// TaskEventList returns up to p.Limit events of a task of the tenant with a
// seq above p.AfterSeq, oldest first, or ErrNotFound.
func (s *Store) TaskEventList(ctx context.Context, p *tc.TaskEventListParams) ([]*tc.Event, error) {
	var events []*tc.Event
	err := s.read(ctx, func(tx *readTx) error {
		if _, err := getTask(ctx, tx, p.Tenant, p.TaskID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, task_id, at, from_status, to_status, progress, message, actor
			FROM task_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?`, p.TaskID, p.AfterSeq, p.Limit)
		if err != nil {
			return dbError("list events", err)
		}
		events, err = scanEvents(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

func listEvents(ctx context.Context, tx *readTx, taskID int64) ([]*tc.Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, task_id, at, from_status, to_status, progress, message, actor
		FROM task_events WHERE task_id = ? ORDER BY seq`, taskID)
	if err != nil {
		return nil, dbError("list events", err)
	}
	return scanEvents(rows)
}

// scanEvents reads task_events rows and closes them.
func scanEvents(rows *sql.Rows) ([]*tc.Event, error) {
	defer rows.Close()
	var events []*tc.Event
	for rows.Next() {
		var e tc.Event
		var at int64
		if err := rows.Scan(&e.Seq, &e.TaskID, &at, &e.From, &e.To, &e.Progress, &e.Message, &e.Actor); err != nil {
			return nil, dbError("list events", err)
		}
		e.At = fromMillis(at)
		events = append(events, &e)
	}
	return events, dbError("list events", rows.Err())
}
