// Package postgres implements taskcenter.Store on PostgreSQL with pgx. Several
// server replicas may share one database; everything lives in the first
// schema of the connection's search_path.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/room"
)

var _ taskcenter.Store = (*Store)(nil)

// Store is a taskcenter.Store on PostgreSQL connection pools.
type Store struct {
	pool *pgxpool.Pool
	// lists runs the lists that can be counted from the counters (see
	// countable): a tenant's tasks by status, type and time. A generic
	// plan, which a prepared statement gets after a few runs, cannot tell a
	// big tenant from a small one or a day from a year, and sorts a whole
	// window where a walk by id reads twenty rows; the connections of lists
	// plan every run for its arguments (plan_cache_mode force_custom_plan)
	// and still parse each statement only once. The totals, whose plans do
	// not vary, switch to the generic plan (countedList).
	lists *pgxpool.Pool
	// names keeps the names of instances that lists read (setInstanceNames).
	names nameCache
	// room is whether the database had room for this process's last
	// statements, for Ping.
	room room.Mark
}

// idleInTransaction is how long a session may sit in a transaction doing
// nothing before PostgreSQL ends it (see Open); a URL may set another.
const idleInTransaction = "20s"

// Open connects to the database at url, a postgres:// URL or a key=value
// string that may set search_path to pick a schema. It does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	// A replica that dies or is cut off inside a transaction sends no
	// goodbye, and its session would hold its locks (instances' rows) until
	// TCP noticed, hours later, stalling every other replica's writes and
	// maintenance. Its own sessions end after idleInTransaction instead; no
	// transaction of taskcenter waits between its statements for that long.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTransaction
	}
	s := &Store{}
	cfg.ConnConfig.Tracer = roomTracer{room: &s.room}
	listsCfg := cfg.Copy() // a copy of the run-time parameters too
	listsCfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeErr("open postgres", err)
	}
	lists, err := pgxpool.NewWithConfig(ctx, listsCfg)
	if err != nil {
		pool.Close()
		return nil, storeErr("open postgres", err)
	}
	s.pool, s.lists = pool, lists
	if err := pool.Ping(ctx); err != nil {
		s.Close()
		return nil, storeErr("connect postgres", err)
	}
	return s, nil
}

// Close closes every connection of the pools.
func (s *Store) Close() error {
	s.pool.Close()
	s.lists.Close()
	return nil
}

// Ping checks that the database answers, and reports it full
// (EUNAVAILABLE) after a statement failed for lack of disk space: see noteRoom.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return storeErr("ping", err)
	}
	return s.room.Err()
}

// inTx runs fn in a read-write transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn)
}

// maxTxAttempts bounds the runs of a writeTx transaction.
const maxTxAttempts = 5

// writeTx is inTx for transactions that lock rows of several tables: one
// that PostgreSQL aborts as a deadlock victim or a serialization failure is
// run again from the start, a few times. The lock order (instances rows,
// sorted, then tasks rows) avoids deadlocks but for queues that change while
// their instances are being locked.
func (s *Store) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTx(ctx, fn)
		if err == nil || attempt == maxTxAttempts || !retryable(err) {
			return err
		}
		pause := time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// retryable reports whether err aborted a transaction that may succeed when
// run again: a deadlock or a serialization failure.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// readTx runs fn in a read-only transaction that sees one snapshot, so the
// queries of fn agree with each other.
func (s *Store) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, s.pool, opts, fn)
}

// storeErr is the one place that turns driver errors into domain errors:
// a missing row is ENOTFOUND, a unique violation ECONFLICT, a lost or refused
// connection or a server short of resources (a full disk) EUNAVAILABLE.
// Domain errors pass unchanged; anything else is wrapped with op.
func storeErr(op string, err error) error {
	var domain *taskcenter.Error
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domain):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %w", op, taskcenter.ErrNotFound)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return taskcenter.Errorf(taskcenter.ECONFLICT, "%s: already exists", op)
	case unavailable(err):
		// The cause stays in the chain for the logs and the CLI (a wrong
		// password is not a server that is down); callers see the message.
		return fmt.Errorf("%w: %w", taskcenter.Errorf(taskcenter.EUNAVAILABLE, "%s: database unavailable", op), err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailable reports whether err means the server cannot be reached or is
// going away, as opposed to refusing one statement.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case strings.HasPrefix(pgErr.Code, "53"):
			// Insufficient resources (disk full, out of memory, too many
			// connections): the server cannot do it now, and may later.
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03":
			return true // shutdown, cannot connect now
		}
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// timeArg is the value stored for t: NULL for the zero time, else t in UTC
// truncated to the millisecond.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Millisecond)
}

// nullTime receives a nullable timestamptz column: the time in UTC, and the
// zero time for NULL. pgx scans it through its direct plan for timestamptz;
// a *time.Time target would go through a plan that allocates a pointer for
// every value read.
type nullTime struct{ time.Time }

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (n *nullTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	n.Time = time.Time{}
	if v.Valid {
		n.Time = v.Time.UTC()
	}
	return nil
}

// tenantScope appends the condition that scopes a query to tenant, unless
// tenant is AllTenants, and returns the conditions and arguments.
func tenantScope(conds []string, args []any, col, tenant string) ([]string, []any) {
	if tenant == taskcenter.AllTenants {
		return conds, args
	}
	args = append(args, tenant)
	return append(conds, fmt.Sprintf("%s = $%d", col, len(args))), args
}

// where joins conditions into a WHERE clause, or "" when there are none.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}
