package qcloud

import (
	"container/heap"
	"errors"
	"strings"
	"sync"
	"time"
)

// MaxClockSkew is how far a request's Timestamp may be from the server's
// clock. The legacy documents say 5 minutes on the error-code page and 2
// hours on the signing page; taskcenter takes the stricter one, which is
// also API 3.0's.
const MaxClockSkew = 5 * time.Minute

// nonceCapacity bounds the Nonces remembered at once (about 80 bytes each).
// At the default rate limit of 50 requests per second, one busy key fills at
// most 30,000 entries in the 10 minutes an entry can live.
const nonceCapacity = 500_000

// noncePerKey bounds the entries of one SecretId, so that one busy or
// hostile key cannot fill the cache and refuse every other tenant. It is
// twice what the default rate limit lets a key reach.
const noncePerKey = 60_000

var (
	errReplay    = errors.New("the Nonce was used already by this SecretId")
	errNonceFull = errors.New("too many requests within the replay window")
)

// nonceCache refuses a Nonce that a SecretId has used already while the
// first request could still be accepted, that is until its Timestamp is
// MaxClockSkew old; after that the Timestamp check refuses any replay.
//
// The cache lives in the process. Several replicas behind a load balancer
// each keep their own, so a request replayed to another replica within the
// window is not caught there; a shared cache (in the store) would be needed
// for that.
type nonceCache struct {
	mu       sync.Mutex
	seen     map[nonceKey]int64 // expiry, Unix seconds
	perKey   map[string]int     // live entries of each SecretId
	expiries expiryHeap
	capacity int
	keyCap   int
}

type nonceKey struct {
	secretID string
	nonce    uint64
}

func newNonceCache(capacity int) *nonceCache {
	return &nonceCache{seen: map[nonceKey]int64{}, perKey: map[string]int{}, capacity: capacity,
		keyCap: min(capacity, noncePerKey)}
}

// use records the Nonce of a request whose Timestamp is ts, or returns
// errReplay when the SecretId used it already, or errNonceFull when the
// cache holds capacity live entries. It refuses rather than forgets, so a
// replay is never let through.
func (c *nonceCache) use(secretID string, nonce uint64, ts, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.Unix())
	k := nonceKey{secretID, nonce}
	if _, ok := c.seen[k]; ok {
		return errReplay
	}
	if len(c.seen) >= c.capacity || c.perKey[secretID] >= c.keyCap {
		return errNonceFull
	}
	// The request's own string would keep the whole query alive.
	k.secretID = strings.Clone(secretID)
	exp := ts.Add(MaxClockSkew).Unix()
	c.seen[k] = exp
	c.perKey[k.secretID]++
	heap.Push(&c.expiries, nonceEntry{k, exp})
	return nil
}

// expire forgets the entries whose Timestamp has left the window.
func (c *nonceCache) expire(now int64) {
	for len(c.expiries) > 0 && c.expiries[0].expires < now {
		e := heap.Pop(&c.expiries).(nonceEntry)
		delete(c.seen, e.key)
		if c.perKey[e.key.secretID]--; c.perKey[e.key.secretID] <= 0 {
			delete(c.perKey, e.key.secretID)
		}
	}
}

// len returns the number of live entries, for tests.
func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type nonceEntry struct {
	key     nonceKey
	expires int64
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []nonceEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
