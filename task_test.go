package taskcenter_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestClaimCountsClaims: every claim raises Claims, also one after an
// attempt was given back, when Attempts comes back to the same number.
func TestClaimCountsClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	task := &tc.Task{ID: 1, Status: tc.StatusInitial, MaxAttempts: 3}
	require.NoError(t, tc.Claim(task, "w", now, time.Minute))
	require.Equal(t, 1, task.Attempts)
	require.Equal(t, int64(1), task.Claims)
	task.Attempts-- // released: the attempt is given back
	require.NoError(t, task.Transition(tc.StatusInitial, now))
	require.NoError(t, tc.Claim(task, "w", now, time.Minute))
	require.Equal(t, 1, task.Attempts)
	require.Equal(t, int64(2), task.Claims)
}
