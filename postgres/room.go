package postgres

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskcenter/taskcenter"
)

// noRoomFor is how long Ping reports the database full after a statement
// failed for lack of disk space, when no submission has been stored since.
// A replica that is not ready gets no traffic from a load balancer, and
// without submissions it could not learn that space was freed; after this
// long it answers ready again and the next submission decides.
const noRoomFor = 30 * time.Second

// room remembers whether the database had room for what this process last
// asked of it, for Ping. A statement that fails with disk_full (53100: a
// table or index could not be extended, a temporary file not written)
// marks it full; a submission stored since clears the mark. Other writes do
// not: the maintenance's lease renewal and a heartbeat rewrite rows that
// usually fit where they are, and succeed while new tasks find no room.
type room struct {
	now    func() time.Time // time.Now when nil
	fullAt atomic.Int64     // unix nanoseconds of the last disk_full; 0 when a submission was stored since
}

func (r *room) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// mark returns the mark as it is, for taken.
func (r *room) mark() int64 { return r.fullAt.Load() }

// note marks the database full when err is disk_full.
func (r *room) note(err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		r.fullAt.Store(r.clock().UnixNano())
	}
}

// taken clears the mark at, read before a submission that was then stored,
// unless a later statement marked the database full again.
func (r *room) taken(at int64) {
	if at != 0 {
		r.fullAt.CompareAndSwap(at, 0)
	}
}

// err is EUNAVAILABLE while the database is marked full, for at most
// noRoomFor.
func (r *room) err() error {
	at := r.fullAt.Load()
	if at == 0 || r.clock().Sub(time.Unix(0, at)) >= noRoomFor {
		return nil
	}
	return taskcenter.Errorf(taskcenter.EUNAVAILABLE, "database full")
}

// roomTracer sees the outcome of every statement of the store's
// connections, queries, pipelines and copies alike, and notes those that
// found no room: one place rather than every call site.
type roomTracer struct{ room *room }

func (t roomTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	t.room.note(d.Err)
}

func (t roomTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	t.room.note(d.Err)
}

func (t roomTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (t roomTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

func (t roomTracer) TraceCopyFromEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceCopyFromEndData) {
	t.room.note(d.Err)
}
