package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestReadStatementsUnderLoad: more concurrent lists than reader
// connections, each shape's statement new to the cache, all answer. A
// statement prepared while every connection is held by a list's transaction
// must not wait for one of them.
func TestReadStatementsUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, err = s.InstancePut(ctx, &tc.Instance{Tenant: "ta", ID: "a", Status: tc.InstanceNormal, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	for i := range 20 {
		_, _, err := s.TaskInsert(ctx, &tc.TaskInsertParams{Task: &tc.Task{Tenant: "ta", Type: tc.TypeReboot,
			Status: tc.StatusInitial, InstanceIDs: []string{"a"}, CreatedAt: now.Add(-time.Duration(i) * time.Hour)}})
		require.NoError(t, err)
	}
	filters := []tc.TaskFilter{
		{InstanceID: "a"}, {Statuses: []tc.Status{tc.StatusInitial}}, {Types: []string{tc.TypeReboot, tc.TypeRollback}},
		{CreatedAfter: now.Add(-30 * time.Hour), CreatedBefore: now}, {AsyncRequestID: "x"},
		{CreatedAfter: now.Add(-5 * time.Hour), CreatedBefore: now.Add(-time.Hour), Statuses: []tc.Status{tc.StatusInitial}},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for i := range 10 {
					f := filters[(g+i)%len(filters)]
					f.Tenant, f.Limit = "ta", 5
					_, err := s.TaskList(ctx, &f)
					require.NoError(t, err)
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
		require.NoError(t, s.Close())
	case <-time.After(time.Minute):
		// Not closed: closing would wait for the stuck connections.
		t.Fatal("lists did not answer: a statement waits for a connection that a list holds")
	}
}
