package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestBulkLoadKeepsSchema: a bulk load into no tasks drops the indexes of
// tasks and the count trigger for the load, and leaves the schema as it was.
func TestBulkLoadKeepsSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(ctx))
	schema := func() map[string]string {
		rows, err := s.reader.Query("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, sql string
			require.NoError(t, rows.Scan(&name, &sql))
			out[name] = sql
		}
		return out
	}
	before := schema()
	require.Contains(t, before, "tasks_count_delete")
	now := time.Now().UTC().Truncate(time.Millisecond)
	tasks := make([]*tc.Task, 100)
	for i := range tasks {
		tasks[i] = &tc.Task{Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusSucceed, InstanceIDs: []string{"a"},
			CreatedAt: now, UpdatedAt: now}
	}
	require.NoError(t, s.BulkLoad(ctx, []*tc.Instance{{Tenant: "ta", ID: "a", Status: tc.InstanceNormal}}, tasks))
	require.Equal(t, before, schema())
	counts, err := s.TaskCounts(ctx, "ta")
	require.NoError(t, err)
	require.Equal(t, map[tc.Status]int{tc.StatusSucceed: 100}, counts)
}
