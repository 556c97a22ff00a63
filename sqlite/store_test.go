package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/room"
)

func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	pragma := func(db querier, name string) string {
		var v string
		require.NoError(t, db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v))
		return v
	}
	require.Equal(t, "wal", pragma(s.wconn, "journal_mode"))
	require.Equal(t, "1", pragma(s.wconn, "synchronous"), "NORMAL")
	require.Equal(t, "1", pragma(s.wconn, "foreign_keys"))
	require.Equal(t, "5000", pragma(s.wconn, "busy_timeout"))
	require.Equal(t, "8000", pragma(s.wconn, "wal_autocheckpoint"))
	require.Equal(t, "-16384", pragma(s.wconn, "cache_size"))
	require.Equal(t, "2", pragma(s.wconn, "temp_store"), "MEMORY")
	require.Equal(t, "-2000", pragma(s.reader, "cache_size"), "SQLite's default")
	require.Equal(t, "1", pragma(s.reader, "query_only"))
	_, err = s.reader.Exec("CREATE TABLE t (x INTEGER)")
	require.Error(t, err, "the reader pool cannot write")
}

// TestHotQueriesPrepared: once migrated, the writer prepares every hot
// query, so none silently falls back to a preparation per use.
func TestHotQueriesPrepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.Nil(t, s.preparedQueries(ctx), "no tables to prepare against before Migrate")
	require.NoError(t, s.Migrate(ctx))
	prepared := s.preparedQueries(ctx)
	require.Len(t, prepared, len(hotQueries))
	for _, q := range hotQueries {
		require.NotNil(t, prepared[q], q)
	}
}

// TestFilesOwnerOnly: the database and its WAL and shared-memory files are
// readable by their owner alone, in a directory open to all and with a
// database a looser mode left behind.
func TestFilesOwnerOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	for _, fresh := range []bool{true, false} {
		path := filepath.Join(dir, "taskcenter.db")
		if !fresh {
			require.NoError(t, os.Chmod(path, 0o644))
		}
		s, err := Open(path)
		require.NoError(t, err)
		require.NoError(t, s.Migrate(context.Background()))
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			require.NoError(t, err)
			require.Zero(t, info.Mode().Perm()&0o077, "%s is %s", p, info.Mode())
		}
		require.NoError(t, s.Close())
	}
}

// migrated is a migrated store in a new file, closed when the test ends.
func migrated(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// TestFullDiskUnavailable: a write that finds no room (here the database's
// own page limit, as a full disk would) is EUNAVAILABLE, a 503 rather than
// a 500, and writes go on once there is room again.
func TestFullDiskUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	limitPages(t, s, 2)
	err := fillInstances(t, s)
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(err), "error: %v", err)
	require.ErrorContains(t, err, "full")
	unlimitPages(t, s)
	require.NoError(t, putInstance(ctx, s, 99999))
}

// TestFullDiskNotReady: once a write found no room, Ping reports the
// database full. Writes that take no room (the maintenance's lease renewed
// in place, a claim that finds nothing) leave it so; a write that takes room,
// once there is some, makes it ready again, and so does room.Lapse without
// any write.
func TestFullDiskNotReady(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	now := time.Now()
	s.room.Now = func() time.Time { return now }
	require.NoError(t, s.Ping(ctx))
	held, err := s.LeaseAcquire(ctx, "maintenance", "me", now, time.Minute)
	require.NoError(t, err)
	require.True(t, held)

	limitPages(t, s, 2)
	err = fillInstances(t, s)
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(err), "error: %v", err)
	err = s.Ping(ctx)
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(err), "error: %v", err)
	require.Equal(t, "database full", tc.ErrorMessage(err))

	held, err = s.LeaseAcquire(ctx, "maintenance", "me", now, time.Minute)
	require.NoError(t, err, "a lease renewed in place needs no room")
	require.True(t, held)
	claimed, err := s.TaskClaim(ctx, &tc.TaskClaimParams{Tenant: tc.AllTenants, WorkerID: "w", Max: 1, Lease: time.Minute, Now: now})
	require.NoError(t, err)
	require.Empty(t, claimed)
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(s.Ping(ctx)), "writes that took no room say nothing of room")

	unlimitPages(t, s)
	require.NoError(t, putInstance(ctx, s, 99999))
	require.NoError(t, s.Ping(ctx), "a write took room")

	limitPages(t, s, 0)
	require.Error(t, fillInstances(t, s))
	now = now.Add(room.Lapse - time.Millisecond)
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(s.Ping(ctx)))
	now = now.Add(time.Millisecond)
	require.NoError(t, s.Ping(ctx), "no write since: ready again after room.Lapse")
}

// limitPages caps the writer at the database's size plus extra pages: past
// them a write that needs a page fails as on a full disk.
func limitPages(tb testing.TB, s *Store, extra int) {
	tb.Helper()
	var pages int
	require.NoError(tb, s.wconn.QueryRowContext(context.Background(), "PRAGMA page_count").Scan(&pages))
	_, err := s.wconn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", pages+extra))
	require.NoError(tb, err)
}

// unlimitPages lifts the cap of limitPages: space was freed.
func unlimitPages(tb testing.TB, s *Store) {
	tb.Helper()
	_, err := s.wconn.ExecContext(context.Background(), "PRAGMA max_page_count = 1073741823")
	require.NoError(tb, err)
}

// fillInstances puts instances until a put fails, and returns its error.
func fillInstances(tb testing.TB, s *Store) error {
	tb.Helper()
	for i := 0; ; i++ {
		require.Less(tb, i, 10000, "the database never filled")
		if err := putInstance(context.Background(), s, i); err != nil {
			return err
		}
	}
}

func putInstance(ctx context.Context, s *Store, i int) error {
	_, err := s.InstancePut(ctx, &tc.Instance{ID: fmt.Sprintf("i%05d", i), Tenant: "ta", Name: strings.Repeat("n", 200),
		Status: tc.InstanceNormal, CreatedAt: time.Now(), UpdatedAt: time.Now()})
	return err
}

// TestWriteCanceledBetweenStatements: the writer's transactions and
// statements run without their context's cancellation, yet a context
// canceled in the middle of a write ends it with the context's error at its
// next statement, whether run directly or prepared, or else at its commit,
// and nothing of it is stored.
func TestWriteCanceledBetweenStatements(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	insert := insertInstanceSQL
	row := func(id string) []any {
		return []any{"ta", id, "name", "", "", string(tc.InstanceNormal), time.Now().UnixNano(), time.Now().UnixNano()}
	}
	next := map[string]func(ctx context.Context, tx *writeTx) error{
		"none": func(context.Context, *writeTx) error { return nil },
		"exec": func(ctx context.Context, tx *writeTx) error {
			_, err := tx.ExecContext(ctx, insert, row("i2")...)
			return err
		},
		"query": func(ctx context.Context, tx *writeTx) error {
			rows, err := tx.QueryContext(ctx, "SELECT id FROM instances")
			if err == nil {
				rows.Close()
			}
			return err
		},
		"prepared": func(ctx context.Context, tx *writeTx) error {
			st, err := tx.PrepareContext(context.Background(), insert)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.ExecContext(ctx, row("i2")...)
			return err
		},
	}
	for name, stmt := range next {
		ctx, cancel := context.WithCancel(context.Background())
		var stmtErr error
		err := s.write(ctx, func(tx *writeTx) error {
			if _, err := tx.ExecContext(ctx, insert, row("i1")...); err != nil {
				return err
			}
			cancel()
			stmtErr = stmt(ctx, tx)
			return stmtErr
		})
		require.ErrorIs(t, err, context.Canceled, name)
		if name != "none" {
			require.ErrorIs(t, stmtErr, context.Canceled, "%s: the statement after the cancel ran", name)
		}
		var n int
		require.NoError(t, s.reader.QueryRow("SELECT count(*) FROM instances").Scan(&n))
		require.Zero(t, n, "%s: the canceled write left rows", name)
	}
}

// TestWriteStartsNoGoroutines: a write's transaction and the queries in it
// run on the writer's held connection without a goroutine of their own,
// even on a context that can be canceled (database/sql starts one for each
// *sql.Tx and each of its queries' rows). Not parallel, so that no other
// test's goroutines come or go meanwhile.
func TestWriteStartsNoGoroutines(t *testing.T) {
	s := migrated(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, putInstance(ctx, s, 0)) // statements prepared, runtime settled
	before := runtime.NumGoroutine()
	var during []int
	err := s.write(ctx, func(tx *writeTx) error {
		during = append(during, runtime.NumGoroutine())
		rows, err := tx.QueryContext(ctx, "SELECT id FROM instances")
		if err != nil {
			return err
		}
		defer rows.Close()
		during = append(during, runtime.NumGoroutine())
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM tasks").Scan(&n); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE instances SET name = 'renamed'")
		during = append(during, runtime.NumGoroutine())
		return err
	})
	require.NoError(t, err)
	require.Equal(t, []int{before, before, before}, during)
}

// TestWritePanicReleasesWriter: a write whose function panics is rolled
// back, the panic reaches its caller, and the next write has the writer.
func TestWritePanicReleasesWriter(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	ctx := context.Background()
	require.PanicsWithValue(t, "boom", func() {
		_ = s.write(ctx, func(tx *writeTx) error {
			if err := putInstanceTx(ctx, tx, "gone"); err != nil {
				return err
			}
			panic("boom")
		})
	})
	done := make(chan error, 1)
	go func() { done <- putInstance(ctx, s, 1) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the writer stayed held after a panic")
	}
	var ids []string
	rows, err := s.reader.Query("SELECT id FROM instances ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"i00001"}, ids, "the panicking write's instance was kept")
}

// insertInstanceSQL inserts an instance, for tests that write in a write's
// own transaction.
const insertInstanceSQL = `INSERT INTO instances (` + instanceColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// putInstanceTx stores an instance of tenant ta in a write's transaction.
func putInstanceTx(ctx context.Context, tx *writeTx, id string) error {
	now := time.Now().UnixMilli()
	_, err := tx.ExecContext(ctx, insertInstanceSQL, "ta", id, "name", "", "", string(tc.InstanceNormal), now, now)
	return err
}

// TestWriteCanceledWhileQueued: a write waits for the writer's one
// connection as long as its context lives, and a context canceled while it
// waits ends it there, without running it.
func TestWriteCanceledWhileQueued(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	holding, hold := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // the first write ends even when the test fails
	first := make(chan error, 1)
	go func() {
		first <- s.write(context.Background(), func(*writeTx) error {
			close(holding)
			<-hold
			return nil
		})
	}()
	<-holding
	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	ran := false
	go func() {
		queued <- s.write(ctx, func(*writeTx) error {
			ran = true
			return nil
		})
	}()
	require.Eventually(t, func() bool { return s.waits.Load() > 0 },
		10*time.Second, time.Millisecond, "the second write never waited for the writer")
	cancel()
	select {
	case err := <-queued:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a canceled write still waited for the writer")
	}
	release()
	require.NoError(t, <-first)
	require.False(t, ran)
}

// TestSummaryLeavesContext: a summary's page reads only the summary's
// columns, so its tasks have no context, on every path a page takes.
func TestSummaryLeavesContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, err := s.InstancePut(ctx, &tc.Instance{Tenant: "ta", ID: "a", Status: tc.InstanceNormal, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	_, _, err = s.TaskInsert(ctx, &tc.TaskInsertParams{Task: &tc.Task{Tenant: "ta", Type: tc.TypeReboot,
		Status: tc.StatusInitial, InstanceIDs: []string{"a"}, CreatedAt: now, Context: []byte(`{"db":"x"}`)}})
	require.NoError(t, err)
	for _, f := range []tc.TaskFilter{
		{InstanceID: "a"}, {Statuses: []tc.Status{tc.StatusInitial}}, {Tenant: tc.AllTenants},
		{CreatedAfter: now.Add(-time.Hour), CreatedBefore: now.Add(time.Hour), Types: []string{tc.TypeReboot}},
	} {
		if f.Tenant == "" {
			f.Tenant = "ta"
		}
		f.Limit = 10
		page, err := s.TaskList(ctx, &f)
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1, "%+v", f)
		require.JSONEq(t, `{"db":"x"}`, string(page.Tasks[0].Context), "%+v", f)
		f.Summary = true
		page, err = s.TaskList(ctx, &f)
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1, "%+v", f)
		require.Nil(t, page.Tasks[0].Context, "%+v", f)
		require.Equal(t, tc.TypeReboot, page.Tasks[0].Type)
	}
}
