package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := New(nil, Config{RetryBase: time.Second, RetryMax: time.Minute})
	for attempts, want := range map[int]time.Duration{
		-1: time.Second, 0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		7: time.Minute, 40: time.Minute, 1 << 30: time.Minute,
	} {
		for range 20 {
			got := s.backoff(attempts)
			require.GreaterOrEqual(t, got, want*8/10, "attempts %d", attempts)
			require.LessOrEqual(t, got, want*12/10, "attempts %d", attempts)
		}
	}
}
