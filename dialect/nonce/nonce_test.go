package nonce

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const window = 5 * time.Minute

func TestCache(t *testing.T) {
	t.Parallel()
	c := New(window, 3, PerKey, PerTenant)
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, c.Use(t.Context(), "t", "a", 1, 0, now, now))
	require.ErrorIs(t, c.Use(t.Context(), "t", "a", 1, 0, now.Add(time.Second), now), ErrReplay, "same key, same Nonce")
	require.NoError(t, c.Use(t.Context(), "t", "b", 1, 0, now, now), "another key may use it")
	require.NoError(t, c.Use(t.Context(), "t", "a", 2, 0, now.Add(-window), now))
	require.ErrorIs(t, c.Use(t.Context(), "t", "a", 3, 0, now, now), ErrFull, "full: refuse rather than forget")

	// The entry of a request stamped at the edge of the window lives
	// exactly as long as such a request could be replayed.
	edge := now.Add(time.Second)
	require.ErrorIs(t, c.Use(t.Context(), "t", "a", 2, 0, now, edge.Add(-time.Second)), ErrReplay)
	require.NoError(t, c.Use(t.Context(), "t", "a", 3, 0, now, edge), "the edge entry expired and made room")
	require.Equal(t, 3, c.Len())

	later := now.Add(window + time.Second)
	require.NoError(t, c.Use(t.Context(), "t", "a", 1, 0, later, later), "reusable once the first request's Timestamp is stale")
	require.Equal(t, 1, c.Len(), "expired entries are forgotten")
}

// TestCacheStamp: with the Timestamp in the key, the same Nonce with another
// Timestamp is another request; with the same one it is a replay.
func TestCacheStamp(t *testing.T) {
	t.Parallel()
	c := New(window, Capacity, PerKey, PerTenant)
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, c.Use(t.Context(), "t", "a", 7, now.Unix(), now, now))
	require.ErrorIs(t, c.Use(t.Context(), "t", "a", 7, now.Unix(), now, now), ErrReplay)
	require.NoError(t, c.Use(t.Context(), "t", "a", 7, now.Unix()+1, now.Add(time.Second), now))
}

// TestCachePerKey: one key filling its share does not refuse others.
func TestCachePerKey(t *testing.T) {
	t.Parallel()
	c := New(window, 10, 2, 10)
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, c.Use(t.Context(), "t", "busy", 1, 0, now, now))
	require.NoError(t, c.Use(t.Context(), "t", "busy", 2, 0, now, now))
	require.ErrorIs(t, c.Use(t.Context(), "t", "busy", 3, 0, now, now), ErrFull, "the busy key's share is full")
	require.NoError(t, c.Use(t.Context(), "t", "quiet", 1, 0, now, now), "another key is not held back")
	later := now.Add(window + time.Second)
	require.NoError(t, c.Use(t.Context(), "t", "busy", 3, 0, later, later), "its share frees as entries expire")
}

// TestCachePerTenant: the keys of one tenant, however many, fill no more
// than its share.
func TestCachePerTenant(t *testing.T) {
	t.Parallel()
	c := New(window, 10, 2, 4)
	now := time.Unix(1_800_000_000, 0)
	for _, key := range []string{"k1", "k2"} {
		require.NoError(t, c.Use(t.Context(), "many", key, 1, 0, now, now))
		require.NoError(t, c.Use(t.Context(), "many", key, 2, 0, now, now))
	}
	require.ErrorIs(t, c.Use(t.Context(), "many", "k3", 1, 0, now, now), ErrFull, "a new key of the same tenant")
	require.NoError(t, c.Use(t.Context(), "other", "k9", 1, 0, now, now), "another tenant is not held back")
	later := now.Add(window + time.Second)
	require.NoError(t, c.Use(t.Context(), "many", "k3", 1, 0, later, later), "the share frees as entries expire")
}

// sharedMap is a shared Nonce store in memory that counts its calls and can fail.
type sharedMap struct {
	seen  map[entryKey]bool
	calls int
	fail  error
}

func (m *sharedMap) NonceUse(_ context.Context, _, key string, nonce uint64, stamp int64, _, _ time.Time) (bool, error) {
	m.calls++
	if m.fail != nil {
		return false, m.fail
	}
	k := entryKey{key, nonce, stamp}
	if m.seen[k] {
		return false, nil
	}
	m.seen[k] = true
	return true, nil
}

func (m *sharedMap) NoncePrune(context.Context, time.Time) (int64, error) { return 0, nil }

// TestCacheShared: a Nonce another replica recorded in the shared store is
// a replay here; one this process saw is refused without asking the store;
// a store that fails refuses the request and records nothing.
func TestCacheShared(t *testing.T) {
	t.Parallel()
	shared := &sharedMap{seen: map[entryKey]bool{}}
	a := New(window, Capacity, PerKey, PerTenant).Share(shared)
	b := New(window, Capacity, PerKey, PerTenant).Share(shared)
	now := time.Unix(1_800_000_000, 0)
	require.NoError(t, a.Use(t.Context(), "t", "k", 1, 0, now, now))
	require.ErrorIs(t, b.Use(t.Context(), "t", "k", 1, 0, now, now), ErrReplay, "served by the other replica")
	calls := shared.calls
	require.ErrorIs(t, a.Use(t.Context(), "t", "k", 1, 0, now, now), ErrReplay)
	require.Equal(t, calls, shared.calls, "this process's own cache answered")

	shared.fail = errors.New("database unavailable")
	err := a.Use(t.Context(), "t", "k", 2, 0, now, now)
	require.ErrorIs(t, err, shared.fail)
	require.Equal(t, 1, a.Len(), "nothing recorded")
	shared.fail = nil
	require.NoError(t, a.Use(t.Context(), "t", "k", 2, 0, now, now), "the retry goes through")
}
