package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/room"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

func TestStoreErr(t *testing.T) {
	t.Parallel()
	domain := taskcenter.Invalidf("instance_ids", "unknown")
	cases := []struct {
		err  error
		code string
	}{
		{nil, ""},
		{pgx.ErrNoRows, taskcenter.ENOTFOUND},
		{fmt.Errorf("scan: %w", pgx.ErrNoRows), taskcenter.ENOTFOUND},
		{&pgconn.PgError{Code: "23505"}, taskcenter.ECONFLICT},
		{&pgconn.PgError{Code: "08006"}, taskcenter.EUNAVAILABLE},
		{&pgconn.PgError{Code: "57P01"}, taskcenter.EUNAVAILABLE},
		{&pgconn.PgError{Code: "53100"}, taskcenter.EUNAVAILABLE}, // disk full
		{&pgconn.PgError{Code: "53200"}, taskcenter.EUNAVAILABLE}, // out of memory
		{io.ErrUnexpectedEOF, taskcenter.EUNAVAILABLE},
		{domain, taskcenter.EINVALID},
		{&pgconn.PgError{Code: "22P02"}, taskcenter.EINTERNAL},
		{context.Canceled, taskcenter.EINTERNAL},
	}
	for _, c := range cases {
		require.Equal(t, c.code, taskcenter.ErrorCode(storeErr("op", c.err)), "error: %v", c.err)
	}
	require.Same(t, domain, storeErr("op", domain))
	require.ErrorIs(t, storeErr("op", context.Canceled), context.Canceled)
	require.ErrorIs(t, storeErr("op", pgx.ErrNoRows), taskcenter.ErrNotFound)
	err := errors.New("boom")
	require.ErrorIs(t, storeErr("op", err), err)
	require.EqualError(t, storeErr("op", err), "op: boom")
}

// TestFailedPipelinesLeaveNoTransaction: a list or a claim whose pipeline
// fails after its BEGIN leaves no transaction open on the connection the
// next one gets, here the pools' only one.
func TestFailedPipelinesLeaveNoTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := Open(ctx, url+sep+"pool_max_conns=1")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(ctx))
	bad := "t\x00" // text that PostgreSQL refuses when the statement binds it
	now := time.Now()
	for range 2 {
		_, err = s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: bad, Limit: 20})
		require.Error(t, err)
		page, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: "t0", Limit: 20})
		require.NoError(t, err)
		require.Equal(t, 0, page.Total)
		_, err = s.TaskClaim(ctx, &taskcenter.TaskClaimParams{Tenant: bad, WorkerID: "w", Max: 10, Lease: time.Minute, Now: now})
		require.Error(t, err)
		_, err = s.TaskClaim(ctx, &taskcenter.TaskClaimParams{Tenant: taskcenter.AllTenants, WorkerID: "w", Max: 10,
			Lease: time.Minute, Now: now})
		require.NoError(t, err)
	}
}

// TestAnalyzeCoversListTables: Analyze vacuums and analyzes every table that
// lists read, the instances of Huawei's lists among them.
func TestAnalyzeCoversListTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Analyze(ctx))
	// The counters of the statistics collector reach the view with a delay.
	for _, table := range []string{"tasks", "task_instances", "instances", "task_counts", "task_totals", "task_status_counts"} {
		require.Eventually(t, func() bool {
			var done bool
			err := s.pool.QueryRow(ctx, `SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL
				FROM pg_stat_user_tables WHERE relid = $1::regclass`, table).Scan(&done)
			require.NoError(t, err)
			return done
		}, 5*time.Second, 50*time.Millisecond, table)
	}
}

// TestOrphanedTransactionEnds: a session left inside a transaction holding
// locks, as by a replica that died mid-write, is ended by PostgreSQL after
// idle_in_transaction_session_timeout, and its locks go with it. The store
// sets 20 s unless the URL says otherwise, as it does here to keep the test
// short.
func TestOrphanedTransactionEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := pgtest.URL(t)
	s := openStore(t)
	var timeout string
	require.NoError(t, s.pool.QueryRow(ctx, "SHOW idle_in_transaction_session_timeout").Scan(&timeout))
	require.Equal(t, idleInTransaction, timeout)

	short, err := Open(ctx, u+"&idle_in_transaction_session_timeout=500ms")
	require.NoError(t, err)
	t.Cleanup(func() { short.Close() })
	require.NoError(t, short.Migrate(ctx))
	_, err = short.pool.Exec(ctx, `INSERT INTO instances (tenant, id, name, status) VALUES ('ta', 'i1', 'db', 'running')`)
	require.NoError(t, err)
	orphan, err := short.pool.Begin(ctx)
	require.NoError(t, err)
	_, err = orphan.Exec(ctx, `SELECT 1 FROM instances WHERE tenant = 'ta' AND id = 'i1' FOR UPDATE`)
	require.NoError(t, err)
	// The orphan's session now sits in its transaction; another takes the
	// same row once the server has ended it.
	start := time.Now()
	other, err := short.pool.Begin(ctx)
	require.NoError(t, err)
	defer other.Rollback(ctx)
	_, err = other.Exec(ctx, `SET LOCAL lock_timeout = '10s'`)
	require.NoError(t, err)
	_, err = other.Exec(ctx, `SELECT 1 FROM instances WHERE tenant = 'ta' AND id = 'i1' FOR UPDATE`)
	require.NoError(t, err, "the orphan's lock went with its session")
	require.Less(t, time.Since(start), 10*time.Second)
	require.Error(t, orphan.Commit(ctx), "the orphan's session is gone")
}

// TestDiskFullNotReady: a submission that PostgreSQL refuses for lack of
// disk space (a trigger raises disk_full, as extending the table would) is
// EUNAVAILABLE, and Ping reports the database full until a submission is
// stored again. The maintenance's lease renewal, which succeeds meanwhile,
// does not clear it; without any submission it clears after room.Lapse.
func TestDiskFullNotReady(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	now := time.Now()
	s.room.Now = func() time.Time { return now }
	_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: "cdb-full1", Tenant: "ta", Name: "db", Status: taskcenter.InstanceNormal,
		CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	insert := func() error {
		_, _, err := s.TaskInsert(ctx, &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{Tenant: "ta",
			Type: taskcenter.TypeReboot, InstanceIDs: []string{"cdb-full1"}, Status: taskcenter.StatusInitial, CreatedAt: now}})
		return err
	}
	require.NoError(t, s.Ping(ctx))

	_, err = s.pool.Exec(ctx, `CREATE FUNCTION no_room() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
		CREATE TRIGGER no_room BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION no_room()`)
	require.NoError(t, err)
	err = insert()
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(err), "error: %v", err)
	err = s.Ping(ctx)
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(err), "error: %v", err)
	require.Equal(t, "database full", taskcenter.ErrorMessage(err))
	held, err := s.LeaseAcquire(ctx, "maintenance", "me", now, time.Minute)
	require.NoError(t, err)
	require.True(t, held)
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(s.Ping(ctx)), "a lease renewal says nothing of room")

	_, err = s.pool.Exec(ctx, `DROP TRIGGER no_room ON tasks`)
	require.NoError(t, err)
	require.NoError(t, insert())
	require.NoError(t, s.Ping(ctx), "a submission was stored")

	_, err = s.pool.Exec(ctx, `CREATE TRIGGER no_room BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION no_room()`)
	require.NoError(t, err)
	require.Error(t, insert())
	now = now.Add(room.Lapse - time.Millisecond)
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(s.Ping(ctx)))
	now = now.Add(time.Millisecond)
	require.NoError(t, s.Ping(ctx), "no submission since: ready again after room.Lapse")
}
