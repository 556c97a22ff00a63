package postgres_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestNonceUse: a Nonce is recorded once per key and stamp until it
// expires, for every store on the database; of concurrent copies one
// wins; pruning deletes what expired.
func TestNonceUse(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, b := setup(t, url), open(t, url) // two replicas on one database
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	exp := now.Add(5 * time.Minute)

	use := func(s interface {
		NonceUse(context.Context, string, string, uint64, int64, time.Time, time.Time) (bool, error)
	}, key string, nonce uint64, stamp int64, at time.Time) bool {
		t.Helper()
		fresh, err := s.NonceUse(ctx, "ta", key, nonce, stamp, at, exp)
		require.NoError(t, err)
		return fresh
	}
	require.True(t, use(a, "k1", 7, 0, now))
	require.False(t, use(b, "k1", 7, 0, now), "the other replica refuses it")
	require.False(t, use(a, "k1", 7, 0, exp), "until it expires")
	require.True(t, use(b, "k2", 7, 0, now), "another key may use it")
	require.True(t, use(b, "k1", 7, 1, now), "so may another stamp")
	require.True(t, use(a, "k1", math.MaxUint64, 0, now), "every bit of a Nonce counts")
	require.False(t, use(b, "k1", math.MaxUint64, 0, now))
	fresh, err := b.NonceUse(ctx, "ta", "k1", 7, 0, exp.Add(time.Millisecond), exp.Add(10*time.Minute))
	require.NoError(t, err)
	require.True(t, fresh, "an expired record is taken over")

	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			if fresh, err := s.NonceUse(ctx, "ta", "k3", 99, 0, now, exp); err == nil && fresh {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), wins.Load(), "one of eight concurrent copies")

	n, err := a.NoncePrune(ctx, exp)
	require.NoError(t, err)
	require.Zero(t, n, "none has expired yet at its expiry")
	n, err = b.NoncePrune(ctx, exp.Add(time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "k1/7/1, k1/max, k2/7 and k3/99 expired; k1/7/0 was renewed")
	require.True(t, use(a, "k3", 99, 0, now))
}
