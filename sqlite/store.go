// Package sqlite implements taskcenter.Store on one SQLite file, with the
// driver github.com/mattn/go-sqlite3 (cgo, SQLite's own C).
//
// Writes go through a single connection whose transactions begin IMMEDIATE,
// so they are serialized and never fail half-way on a lock; reads use a pool
// of read-only connections that WAL lets run beside the writer. The writer
// keeps the statements of its frequent writes prepared, and batches of
// tasks are written with a number of queries that does not grow with the
// batch, rows aside.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/room"
)

// Connection parameters of github.com/mattn/go-sqlite3. The busy timeout only
// matters when another process holds the file; within one Store the writer is
// alone. Connections run without SQLite's own mutex (_mutex=no): database/sql
// hands a connection to one goroutine at a time.
//
// The writer keeps 16 MiB of pages in its cache (SQLite's default is 2 MiB):
// with many tenants a batch changes pages in each tenant's part of every
// index and counter, more than 2 MiB of them. The readers keep SQLite's
// defaults, as they are several. The writer's other settings are in
// writerPragmas.
const (
	commonParams = "_busy_timeout=5000&_mutex=no"
	writerParams = "_txlock=immediate&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_cache_size=-16384"
	readerParams = "_query_only=1"
)

// writerPragmas run on the writer's connection when it opens.
//
// The writer checkpoints the WAL into the database every 8,000 pages (32 MiB)
// instead of SQLite's 1,000: the engine rewrites the same pages (the ends of
// the indexes, the events, the counters) in every batch, and a checkpoint
// copies each page once however often it was written since the last one. The
// checkpoint runs in the single writer's commit, so fewer, larger ones gave
// the engine 5-12% (docs/BENCHMARKS.md).
//
// Its statement journals stay in memory (temp_store): a statement changing
// many rows spilled its journal to a temporary file. With the larger cache,
// +15-20% with a hundred tenants, no change with one.
var writerPragmas = []string{"PRAGMA wal_autocheckpoint = 8000", "PRAGMA temp_store = MEMORY"}

// The store's two drivers: the writer's runs writerPragmas on each new
// connection. Both keep the query planner's stability guarantee on
// (stablePlans).
const (
	writerDriver = "taskcenter-sqlite-writer"
	readerDriver = "taskcenter-sqlite-reader"
)

func init() {
	stablePlans()
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range writerPragmas {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}})
	sql.Register(readerDriver, &sqlite3.SQLiteDriver{})
}

// Store is a taskcenter.Store on one SQLite file.
type Store struct {
	writer *sql.DB       // one connection, held by wconn for the store's life
	wconn  *sql.Conn     // the writer's connection; every transaction is BEGIN IMMEDIATE
	wlock  chan struct{} // held by the write in progress (write)
	waits  atomic.Int64  // writes that found the writer busy and waited
	reader *sql.DB       // a pool of query-only connections

	prepareMu sync.Mutex
	prepared  atomic.Pointer[map[string]*sql.Stmt] // the writer's hotQueries, once prepared
	reads     *stmtCache                           // the readers' statements

	room room.Mark // whether the last write that needed room found it, for Ping (noteRoom)
}

var _ tc.Store = (*Store)(nil)

// Open opens the database file at path, creating it when it is missing. It
// does not migrate: call Migrate before using a new file.
func Open(path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := ownerOnly(abs); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The writer comes first: it switches the file to WAL before any reader opens it.
	writer, err := openDB(abs, writerDriver, writerParams, 1)
	if err != nil {
		return nil, err
	}
	reader, err := openDB(abs, readerDriver, readerParams, max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		writer.Close()
		return nil, err
	}
	wconn, err := writer.Conn(context.Background())
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{writer: writer, wconn: wconn, wlock: make(chan struct{}, 1), reader: reader,
		reads: &stmtCache{db: reader}}, nil
}

// ownerOnly makes the database file, and its WAL and shared-memory files
// when they exist, readable by their owner alone, whatever the umask or the
// directory's mode: the file holds signing keys in the clear. SQLite gives
// the files it creates next to the database the database's mode.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if mode := info.Mode().Perm(); mode&0o077 != 0 {
			if err := os.Chmod(p, mode&^0o077); err != nil {
				return err
			}
		}
	}
	return nil
}

// openDB opens a pool of conns connections and checks that one can connect.
func openDB(path, driver, params string, conns int) (*sql.DB, error) {
	u := url.URL{Path: path}
	db, err := sql.Open(driver, "file:"+u.EscapedPath()+"?"+commonParams+"&"+params)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes every connection of the store.
func (s *Store) Close() error {
	s.wlock <- struct{}{} // after the write in progress
	defer func() { <-s.wlock }()
	if m := s.prepared.Load(); m != nil {
		closeStmts(*m)
	}
	s.reads.close()
	return errors.Join(s.reader.Close(), s.wconn.Close(), s.writer.Close())
}

// Ping checks that the store answers a query, and reports the database
// full (EUNAVAILABLE) while the last write that needed room found none: see
// noteRoom.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return dbError("ping", err)
	}
	return s.room.Err()
}

// querier is a *sql.DB or a *sql.Tx, for reads in or out of a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// write runs fn in a transaction of the writer and commits when fn
// succeeds. Every write of the store's data goes through it, so that it can
// keep account of room: while the database is marked full, it counts the
// pages each transaction takes (two reads of the header, only then).
//
// A write waits for the one before it as long as its context lives. Its
// transaction is the writer's held connection's, begun and ended by
// statements rather than a *sql.Tx: database/sql starts a goroutine for
// every transaction and for every query run in one, whose context it can
// cancel, and on the writer, which runs one statement after another, those
// hand-overs cost more than the short statements (docs/BENCHMARKS.md). A
// canceled context ends the transaction where fn or its statements see it,
// or before the commit.
func (s *Store) write(ctx context.Context, fn func(tx *writeTx) error) (err error) {
	select {
	case s.wlock <- struct{}{}:
	default:
		s.waits.Add(1)
		select {
		case s.wlock <- struct{}{}:
		case <-ctx.Done():
			return dbError("begin", ctx.Err())
		}
	}
	defer func() { <-s.wlock }()
	prepared := s.preparedQueries(ctx)
	mark := s.room.Get()
	full := mark != 0
	took := false
	bg := context.WithoutCancel(ctx)
	if _, err := s.wconn.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		noteRoom(&s.room, mark, err, false)
		return dbError("begin", err)
	}
	done := false
	defer func() {
		if !done {
			// fn failed or panicked, or the commit failed (SQLite may have
			// rolled back already, and then this ROLLBACK fails harmlessly).
			s.wconn.ExecContext(bg, "ROLLBACK")
		}
		noteRoom(&s.room, mark, err, took)
	}()
	w := &writeTx{conn: s.wconn, prepared: prepared}
	var before pages
	if full {
		if before, err = readPages(ctx, w); err != nil {
			return err
		}
	}
	if err := fn(w); err != nil {
		return err
	}
	if err := w.flushCounts(ctx); err != nil {
		return err
	}
	if full {
		after, err := readPages(ctx, w)
		if err != nil {
			return err
		}
		took = after.took(before)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.wconn.ExecContext(bg, "COMMIT"); err != nil {
		took = false
		return dbError("commit", err)
	}
	done = true
	return nil
}

// read runs fn in a read transaction, so that its queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *readTx) error) error {
	return inTx(ctx, s.reader, &sql.TxOptions{ReadOnly: true}, func(tx *sql.Tx) error {
		return fn(&readTx{Tx: tx, stmts: s.reads})
	})
}

// inTx runs fn in a transaction of db and commits it if fn succeeds and ctx
// is still live. It waits for a connection as long as ctx lives, but begins
// the transaction without ctx's cancellation: the driver runs a BEGIN it
// could interrupt in a goroutine of its own, a hand-over that costs more
// than the BEGIN. So a canceled ctx ends the transaction where fn or its
// statements see it, or before the commit.
func inTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return dbError("begin", err)
	}
	defer conn.Close() // back to the pool, after the deferred Rollback below
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), opts)
	if err != nil {
		return dbError("begin", err)
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return dbError("commit", tx.Commit())
}

// dbError turns an error of the driver into one of the domain: a missing row
// is ErrNotFound, a unique or primary key violation ECONFLICT, and anything
// else is wrapped with op. Domain errors pass unchanged.
func dbError(op string, err error) error {
	var domain *tc.Error
	var driver sqlite3.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domain):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return tc.ErrNotFound
	case errors.As(err, &driver) && isUniqueViolation(driver.ExtendedCode):
		return tc.Errorf(tc.ECONFLICT, "%s: already exists", op)
	case errors.As(err, &driver) && unavailable(driver.Code):
		// A full disk, or a lock another process keeps past the busy
		// timeout: the store cannot write now, and may later. The cause
		// stays in the chain for the logs.
		return fmt.Errorf("%w: %w", tc.Errorf(tc.EUNAVAILABLE, "%s: database unavailable", op), err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailable reports whether an SQLite result code means the database
// cannot be written for now rather than refusing the statement.
func unavailable(code sqlite3.ErrNo) bool {
	switch code {
	case sqlite3.ErrFull, sqlite3.ErrBusy, sqlite3.ErrLocked:
		return true
	}
	return false
}

func isUniqueViolation(code sqlite3.ErrNoExtended) bool {
	return code == sqlite3.ErrConstraintUnique || code == sqlite3.ErrConstraintPrimaryKey
}

// millis encodes a time as unix milliseconds, the zero time as 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis decodes what millis encoded, in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// where collects the conditions of a query and their arguments, in order.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its placeholders' arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// tenant scopes the query to a tenant, unless it is AllTenants.
func (w *where) tenant(tenant string) {
	if tenant != tc.AllTenants {
		w.add("tenant = ?", tenant)
	}
}

// in adds col IN (?, ...) for a non-empty list of values.
func in[T any](w *where, col string, values []T) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	w.add(col+" IN ("+placeholders(len(values))+")", args...)
}

// String returns the WHERE clause, or "" when there is no condition.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// valuesRows is the placeholders of rows rows of cols values each, as a
// VALUES list takes them.
func valuesRows(cols, rows int) string {
	return strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"), ", rows), ", ")
}
