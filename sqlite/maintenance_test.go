package sqlite

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExpiredPlan: finding expired leases reads the running tasks' partial
// index, not the whole table, every maintenance tick, at the engine's limit.
func TestExpiredPlan(t *testing.T) {
	t.Parallel()
	all := queryPlan(t, migrated(t), expiredSQL, 1, 1, 1000)
	require.Contains(t, all, "USING INDEX tasks_running", all)
	require.NotContains(t, all+"\n", "SCAN tasks\n", all)
}
