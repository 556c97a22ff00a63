package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter allows each key (a credential and an action, say) a steady
// rate of requests with a burst of the same size. Keys idle for a while are
// forgotten, so memory stays bounded by the keys active recently.
type RateLimiter struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastPurge time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long an unused key keeps its bucket. A full bucket
// refills in a second, so forgetting a key idle this long changes nothing.
const idleAfter = time.Minute

// NewRateLimiter allows perSecond requests per second per key; 0 or less
// disables the limit.
func NewRateLimiter(perSecond float64) *RateLimiter {
	burst := max(1, int(perSecond))
	return &RateLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// Allow reports whether a request under key may proceed now.
func (l *RateLimiter) Allow(key string) bool {
	if l == nil || l.limit <= 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastPurge) > idleAfter {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(l.buckets, k)
			}
		}
		l.lastPurge = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
