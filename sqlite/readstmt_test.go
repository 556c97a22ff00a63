package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
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

// TestCloseWaitsForPreparation: Close returns only once a statement being
// prepared in the background is done. A preparation that outlived Close
// could open a connection after it, creating the database's files again in
// a directory being removed.
func TestCloseWaitsForPreparation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	// Every reader connection is held, so the preparation waits for one.
	var held []*sql.Tx
	for range s.reader.Stats().MaxOpenConnections {
		tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		require.NoError(t, err)
		held = append(held, tx)
	}
	require.Nil(t, s.reads.get("SELECT 42"), "prepared in the background")
	for s.reader.Stats().WaitCount == 0 { // the preparation waits for a connection
		runtime.Gosched()
	}
	var released atomic.Bool
	closed := make(chan bool)
	go func() {
		s.Close()
		closed <- released.Load()
	}()
	// Close must not return before the connections are released below. A
	// Close that did not wait would return within this window; one that
	// waits passes however short it is.
	time.Sleep(20 * time.Millisecond)
	released.Store(true)
	for _, tx := range held {
		require.NoError(t, tx.Rollback())
	}
	require.True(t, <-closed, "Close returned while the preparation waited")
	require.Zero(t, s.reader.Stats().OpenConnections)
}
