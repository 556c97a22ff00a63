package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExpiredPlan: finding expired leases reads the running tasks' partial
// index, not the whole table, every maintenance tick.
func TestExpiredPlan(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(context.Background()))
	rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+expiredSQL, 1, 1, 1)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		lines = append(lines, detail)
	}
	require.NoError(t, rows.Err())
	all := strings.Join(lines, "\n")
	require.Contains(t, all, "USING INDEX tasks_running", all)
	require.NotContains(t, all, "SCAN tasks\n", all+"\n")
}
