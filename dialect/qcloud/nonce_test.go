package qcloud

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNonceCache(t *testing.T) {
	t.Parallel()
	c := newNonceCache(3)
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, c.use("a", 1, now, now))
	require.ErrorIs(t, c.use("a", 1, now.Add(time.Second), now), errReplay, "same key, same Nonce")
	require.NoError(t, c.use("b", 1, now, now), "another key may use it")
	require.NoError(t, c.use("a", 2, now.Add(-MaxClockSkew), now))
	require.ErrorIs(t, c.use("a", 3, now, now), errNonceFull, "full: refuse rather than forget")

	// The entry of a request stamped at the edge of the window lives
	// exactly as long as such a request could be replayed.
	edge := now.Add(time.Second)
	require.ErrorIs(t, c.use("a", 2, now, edge.Add(-time.Second)), errReplay)
	require.NoError(t, c.use("a", 3, now, edge), "the edge entry expired and made room")
	require.Equal(t, 3, c.len())

	later := now.Add(MaxClockSkew + time.Second)
	require.NoError(t, c.use("a", 1, later, later), "reusable once the first request's Timestamp is stale")
	require.Equal(t, 1, c.len(), "expired entries are forgotten")
}

// TestNonceCachePerKey: one key filling its share does not refuse others.
func TestNonceCachePerKey(t *testing.T) {
	t.Parallel()
	c := newNonceCache(10)
	c.keyCap = 2
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, c.use("busy", 1, now, now))
	require.NoError(t, c.use("busy", 2, now, now))
	require.ErrorIs(t, c.use("busy", 3, now, now), errNonceFull, "the busy key's share is full")
	require.NoError(t, c.use("quiet", 1, now, now), "another key is not held back")
	later := now.Add(MaxClockSkew + time.Second)
	require.NoError(t, c.use("busy", 3, later, later), "its share frees as entries expire")
}
