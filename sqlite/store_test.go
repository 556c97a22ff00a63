package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	pragma := func(db *sql.DB, name string) string {
		var v string
		require.NoError(t, db.QueryRow("PRAGMA "+name).Scan(&v))
		return v
	}
	require.Equal(t, "wal", pragma(s.writer, "journal_mode"))
	require.Equal(t, "1", pragma(s.writer, "synchronous"), "NORMAL")
	require.Equal(t, "1", pragma(s.writer, "foreign_keys"))
	require.Equal(t, "5000", pragma(s.writer, "busy_timeout"))
	require.Equal(t, "8000", pragma(s.writer, "wal_autocheckpoint"))
	require.Equal(t, "-16384", pragma(s.writer, "cache_size"))
	require.Equal(t, "2", pragma(s.writer, "temp_store"), "MEMORY")
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
	var pages int
	require.NoError(t, s.writer.QueryRow("PRAGMA page_count").Scan(&pages))
	_, err := s.writer.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+2))
	require.NoError(t, err)
	put := func(i int) error {
		_, err := s.InstancePut(ctx, &tc.Instance{ID: fmt.Sprintf("i%04d", i), Tenant: "ta", Name: strings.Repeat("n", 200),
			Status: tc.InstanceNormal, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		return err
	}
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "the database never filled")
		if err = put(i); err != nil {
			break
		}
	}
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(err), "error: %v", err)
	require.ErrorContains(t, err, "full")
	_, err = s.writer.Exec("PRAGMA max_page_count = 1073741823")
	require.NoError(t, err)
	require.NoError(t, put(99999))
}
