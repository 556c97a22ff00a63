package postgres_test

import (
	"context"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
	"github.com/taskcenter/taskcenter/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) taskcenter.Store {
		return setup(tb, pgtest.URL(tb))
	})
}

// setup opens and migrates a store on url, closed at the end of the test.
func setup(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s := open(tb, url)
	require.NoError(tb, s.Migrate(context.Background()))
	return s
}

// open opens a store on url without migrating it.
func open(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s := setup(t, url)
	require.NoError(t, s.Migrate(context.Background()))
	requireMigrated(t, url)
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	stores := []*postgres.Store{open(t, url), open(t, url)}
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	requireMigrated(t, url)
	inst := &taskcenter.Instance{ID: "cdb-1", Tenant: "ta", Status: taskcenter.InstanceNormal}
	_, err := stores[1].InstancePut(context.Background(), inst)
	require.NoError(t, err)
}

// requireMigrated checks that every embedded migration was recorded once,
// and that the tables are in the schema of url.
func requireMigrated(t *testing.T, url string) {
	t.Helper()
	files, err := filepath.Glob("migration/*.sql")
	require.NoError(t, err)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var recorded, distinct int
	err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&recorded, &distinct)
	require.NoError(t, err)
	require.Equal(t, len(files), recorded)
	require.Equal(t, recorded, distinct)
	var tasks *string
	require.NoError(t, conn.QueryRow(ctx, `SELECT to_regclass(current_schema() || '.tasks')::text`).Scan(&tasks))
	require.NotNil(t, tasks, "tasks is in the schema of the search path")
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(err), "error: %v", err)
	require.Equal(t, "connect postgres: database unavailable", taskcenter.ErrorMessage(err), "what a caller sees")
	require.ErrorContains(t, err, "127.0.0.1", "the cause, for the logs")

	// A server that answers, but not for this role: the cause says so.
	u, err := url.Parse(pgtest.URL(t))
	require.NoError(t, err)
	u.User = url.UserPassword("no_such_role_7", "wrong")
	_, err = postgres.Open(context.Background(), u.String())
	require.Equal(t, taskcenter.EUNAVAILABLE, taskcenter.ErrorCode(err), "error: %v", err)
	require.ErrorContains(t, err, `role "no_such_role_7" does not exist`)
	require.NotContains(t, err.Error(), "wrong", "not the password")
}
