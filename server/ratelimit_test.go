package server

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	l := NewRateLimiter(5)
	allowed := 0
	for range 50 {
		if l.Allow("a") {
			allowed++
		}
	}
	// The burst is the rate; within the microseconds of the loop at most
	// one more token can have refilled.
	require.GreaterOrEqual(t, allowed, 5)
	require.LessOrEqual(t, allowed, 6)
	require.True(t, l.Allow("b"), "keys are limited apart")
	require.True(t, NewRateLimiter(0).Allow("a"), "0 disables the limit")
}
