package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/sqlite"
	"github.com/taskcenter/taskcenter/storetest"
)

// open opens and migrates the store at path, and closes it when tb ends.
func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	require.NoError(tb, err)
	tb.Cleanup(func() { s.Close() })
	require.NoError(tb, s.Migrate(context.Background()))
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) tc.Store {
		return open(tb, filepath.Join(tb.TempDir(), "taskcenter.db"))
	})
}

func TestMigrateTwiceAndReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "taskcenter.db")
	now := time.Now().UTC().Truncate(time.Millisecond)

	s := open(t, path)
	require.NoError(t, s.Migrate(ctx), "a second migration is harmless")
	inst, err := s.InstancePut(ctx, &tc.Instance{ID: "cdb-1", Tenant: "ta", Status: tc.InstanceNormal, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	task, created, err := s.TaskInsert(ctx, &tc.TaskInsertParams{Task: &tc.Task{
		Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusInitial, InstanceIDs: []string{"cdb-1"},
		AsyncRequestID: "req-1", CreatedAt: now, Context: []byte(`{"a":1}`),
	}, Actor: "test"})
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, s.Close())

	s = open(t, path)
	gotInst, err := s.InstanceGet(ctx, "ta", "cdb-1")
	require.NoError(t, err)
	require.Equal(t, inst, gotInst)
	gotTask, err := s.TaskGet(ctx, "ta", task.ID)
	require.NoError(t, err)
	require.Equal(t, task, gotTask)
	events, err := s.TaskEvents(ctx, "ta", task.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)

	db, err := sql.Open("sqlite3", path) // the driver's own name, registered with it
	require.NoError(t, err)
	defer db.Close()
	var versions int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&versions))
	files, err := filepath.Glob("migration/*.sql")
	require.NoError(t, err)
	require.Equal(t, len(files), versions, "each migration is recorded once")
}
