package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestInstanceListPlan: a per-instance list reads the instance's rows of
// task_instances and then the tasks by id, never a scan of the tenant.
func TestInstanceListPlan(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(context.Background()))
	w := taskWhere(&tc.TaskFilter{Tenant: "ta", InstanceID: "cdb-1"})
	rows, err := s.reader.Query("EXPLAIN QUERY PLAN SELECT count(*) FROM tasks"+w.String(), w.args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "\n")
	require.Contains(t, all, "task_instances", all)
	require.Contains(t, all, "INTEGER PRIMARY KEY", all)
	require.NotContains(t, all, "tasks_tenant_status_id", all)
}
