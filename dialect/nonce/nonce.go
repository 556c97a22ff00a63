// Package nonce remembers the Nonces of signed requests, so that the
// dialects whose signatures carry one (Tencent API 2.0, and API 3.0's v1
// signatures) refuse a request replayed while its Timestamp is still inside
// the clock-skew window.
package nonce

import (
	"container/heap"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
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
// The cache lives in the process. Replicas that share a store record each
// Nonce in it as well (Share), so that a request replayed to another replica
// within the window is refused there too.
type Cache struct {
	shared    tc.NonceStore // nil: this process serves every request
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

// sharedTimeout bounds the recording of a Nonce in the shared store.
const sharedTimeout = 10 * time.Second

// Share makes the cache record every Nonce it accepts in store as well, and
// refuse one that store holds already: the replicas sharing store then
// refuse a request that any of them served.
func (c *Cache) Share(store tc.NonceStore) *Cache {
	c.shared = store
	return c
}

// Use records the Nonce of a request of key, a key of tenant, whose
// Timestamp is ts, or returns ErrReplay when the key used it already (with
// the same stamp), or ErrFull when the cache, the tenant's share or the
// key's is full. It refuses rather than forgets, so a replay is never let
// through. With a shared store, a Nonce passes this process's cache, then
// the store, where one request of concurrent copies wins; another error is
// the store's, and records nothing here (the store may have recorded it
// before it failed).
func (c *Cache) Use(ctx context.Context, tenant, key string, nonce uint64, stamp int64, ts, now time.Time) error {
	k := entryKey{key, nonce, stamp}
	if err := c.check(k, tenant, now); err != nil {
		return err
	}
	if c.shared != nil {
		// In whole seconds, as the local entries and the dialects' clock
		// checks count: a Timestamp is good until the end of its last
		// second. The insert is not cut short by the client leaving: its
		// outcome decides whether the Nonce is spent.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
		defer cancel()
		fresh, err := c.shared.NonceUse(ctx, tenant, key, nonce, stamp, now.Truncate(time.Second), ts.Add(c.window))
		if err != nil {
			return err
		}
		if !fresh {
			return ErrReplay
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[k]; ok {
		return ErrReplay // a copy served meanwhile by this process alone
	}
	if !c.room(key, tenant) {
		if c.shared != nil {
			return nil // the store holds it
		}
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

// check refuses a Nonce this process has seen, or one it has no room for.
func (c *Cache) check(k entryKey, tenant string, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.Unix())
	if _, ok := c.seen[k]; ok {
		return ErrReplay
	}
	if !c.room(k.key, tenant) {
		return ErrFull
	}
	return nil
}

// room reports whether the cache, the key's share and the tenant's have
// room for one more entry.
func (c *Cache) room(key, tenant string) bool {
	return len(c.seen) < c.capacity && c.perKey[key] < c.keyCap && c.perTenant[tenant] < c.tenantCap
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
