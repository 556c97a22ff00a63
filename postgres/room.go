package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskcenter/taskcenter/internal/room"
)

// noteRoom marks the database full when err is disk_full (53100: a table
// or index could not be extended, a temporary file not written). A
// submission stored since clears the mark (TaskInsertMany); other writes
// do not: the maintenance's lease renewal and a heartbeat rewrite rows that
// usually fit where they are, and succeed while new tasks find no room.
func noteRoom(m *room.Mark, err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		m.Full()
	}
}

// roomTracer sees the outcome of every statement of the store's
// connections, queries, pipelines and copies alike, and notes those that
// found no room: one place rather than every call site.
type roomTracer struct{ room *room.Mark }

func (t roomTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	noteRoom(t.room, d.Err)
}

func (t roomTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	noteRoom(t.room, d.Err)
}

func (t roomTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (t roomTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceCopyFromEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceCopyFromEndData) {
	noteRoom(t.room, d.Err)
}
