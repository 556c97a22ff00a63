// Package nonce remembers the Nonces of signed requests, so that the
// dialects whose signatures carry one (Tencent API 2.0, and API 3.0's v1
// signatures) refuse a request replayed while its Timestamp is still inside
// the clock-skew window.
package nonce

import (
	"container/heap"
	"errors"
	"strings"
	"sync"
	"time"
)

// Capacity bounds the Nonces remembered at once (about 90 bytes each). At
// the default rate limit of 50 requests per second, one busy key fills at
// most 30,000 entries in the 10 minutes an entry can live.
const Capacity = 500_000

// PerKey bounds the entries of one key, so that one busy or hostile key
// cannot fill the cache and refuse every other tenant. It is twice what the
// default rate limit lets a key reach.
const PerKey = 60_000

// PerTenant bounds the entries of the keys of one tenant: an operator can
// make any number of keys, and its tenant must not fill the cache for the
// others.
const PerTenant = Capacity / 4

var (
	// ErrReplay means the key used the Nonce already within the window.
	ErrReplay = errors.New("the Nonce was used already by this SecretId")
	// ErrFull means the cache, or the key's share of it, is full.
	ErrFull = errors.New("too many requests within the replay window")
)

// Cache refuses a Nonce that a key has used already while the first
// request could still be accepted, that is until its Timestamp leaves the
// window; after that the Timestamp check refuses any replay.
//
// The cache lives in the process. Several replicas behind a load balancer
// each keep their own, so a request replayed to another replica within the
// window is not caught there; a shared cache (in the store) would be needed
// for that.
type Cache struct {
	mu        sync.Mutex
	window    time.Duration
	seen      map[entryKey]int64 // expiry, Unix seconds
	perKey    map[string]int     // live entries of each key
	perTenant map[string]int     // live entries of each tenant's keys
	expiries  expiryHeap
	capacity  int
	keyCap    int
	tenantCap int
}

// entryKey is what a Nonce is remembered by. stamp is the request's
// Timestamp when the dialect lets a Nonce be reused with another Timestamp,
// and 0 when it does not.
type entryKey struct {
	key   string
	nonce uint64
	stamp int64
}

// New returns a cache of at most capacity entries, perKey of them for one
// key and perTenant for the keys of one tenant, each kept until its
// request's Timestamp is window old.
func New(window time.Duration, capacity, perKey, perTenant int) *Cache {
	return &Cache{window: window, seen: map[entryKey]int64{}, perKey: map[string]int{}, perTenant: map[string]int{},
		capacity: capacity, keyCap: min(capacity, perKey), tenantCap: min(capacity, perTenant)}
}

// Use records the Nonce of a request of key, a key of tenant, whose
// Timestamp is ts, or returns ErrReplay when the key used it already (with
// the same stamp), or ErrFull when the cache, the tenant's share or the
// key's is full. It refuses rather than forgets, so a replay is never let
// through.
func (c *Cache) Use(tenant, key string, nonce uint64, stamp int64, ts, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.Unix())
	k := entryKey{key, nonce, stamp}
	if _, ok := c.seen[k]; ok {
		return ErrReplay
	}
	if len(c.seen) >= c.capacity || c.perKey[key] >= c.keyCap || c.perTenant[tenant] >= c.tenantCap {
		return ErrFull
	}
	// The request's own strings would keep the whole query alive.
	k.key = strings.Clone(key)
	exp := ts.Add(c.window).Unix()
	c.seen[k] = exp
	c.perKey[k.key]++
	tenant = strings.Clone(tenant)
	c.perTenant[tenant]++
	heap.Push(&c.expiries, entry{k, tenant, exp})
	return nil
}

// expire forgets the entries whose Timestamp has left the window.
func (c *Cache) expire(now int64) {
	for len(c.expiries) > 0 && c.expiries[0].expires < now {
		e := heap.Pop(&c.expiries).(entry)
		delete(c.seen, e.key)
		if c.perKey[e.key.key]--; c.perKey[e.key.key] <= 0 {
			delete(c.perKey, e.key.key)
		}
		if c.perTenant[e.tenant]--; c.perTenant[e.tenant] <= 0 {
			delete(c.perTenant, e.tenant)
		}
	}
}

// Len returns the number of live entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type entry struct {
	key     entryKey
	tenant  string
	expires int64
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
