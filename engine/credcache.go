package engine

import (
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Credentials never change once created, and every signed or bearer request
// looks one up, by id or by token hash: a read of the store that costs as
// much as the list it authorizes. credCache keeps the credentials found, for
// credTTL, so that one removed from the database by hand is refused within
// that time. Misses are not kept: a credential created on another replica is
// found at its first use.
const (
	credTTL        = 30 * time.Second
	credCacheLimit = 10_000 // entries; the cache is emptied when it is full
)

type credCache struct {
	mu      sync.Mutex
	entries map[string]credEntry
}

type credEntry struct {
	cred    tc.Credential
	expires time.Time
}

// get returns a copy of the credential under key, if it has not expired.
func (c *credCache) get(key string, now time.Time) (*tc.Credential, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	cred := e.cred
	return &cred, true
}

// put keeps a copy of cred under key until now+credTTL.
func (c *credCache) put(key string, cred *tc.Credential, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= credCacheLimit {
		c.entries = make(map[string]credEntry)
	}
	c.entries[key] = credEntry{cred: *cred, expires: now.Add(credTTL)}
}
