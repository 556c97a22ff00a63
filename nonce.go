package taskcenter

import (
	"context"
	"time"
)

// NonceStore remembers the Nonces of signed requests in a store that several
// replicas share (PostgreSQL), so that a request replayed to another replica
// than the one that served it is refused there too. A store that one process
// alone opens (SQLite) does not need it: the process's own cache sees every
// request.
type NonceStore interface {
	// NonceUse records that key, a key of tenant, used nonce with stamp (the
	// request's Timestamp when the dialect lets a Nonce be reused with
	// another Timestamp, else 0) until expires. It reports false, and
	// records nothing, when the key used it already and that record has not
	// expired at now.
	NonceUse(ctx context.Context, tenant, key string, nonce uint64, stamp int64, now, expires time.Time) (bool, error)
	// NoncePrune deletes the records expired at now, and returns how many.
	NoncePrune(ctx context.Context, now time.Time) (int64, error)
}
