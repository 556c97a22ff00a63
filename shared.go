package taskcenter

import (
	"context"
	"time"
)

// SharedStore is what a store that several replicas share (PostgreSQL) keeps
// for all of them besides the tasks: the Nonces of signed requests and the
// event stream tickets. A store that one process alone opens (SQLite) does
// not implement it: the process's own memory sees every request.
type SharedStore interface {
	NonceStore
	TicketStore
}

// NonceStore remembers the Nonces of signed requests for every replica, so
// that a request replayed to another replica than the one that served it is
// refused there too.
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

// StreamTicket is what an event stream ticket stands for: the credential
// that asked for it, that credential's own tenant (Owner, "" for an
// administrator) and the tenant its stream may show.
type StreamTicket struct {
	CredentialID, Owner, Tenant string
	ExpiresAt                   time.Time
}

// TicketLimits bound the live tickets: of one credential, of the
// credentials of one owner, and in all.
type TicketLimits struct{ PerCredential, PerOwner, Total int }

// TicketStore keeps event stream tickets for every replica, by the SHA-256
// of their text, so that a stream opened on another replica than the one
// that issued its ticket is accepted.
type TicketStore interface {
	// TicketIssue stores a ticket, or returns ERATELIMIT when one of the
	// limits is reached by the tickets live at now.
	TicketIssue(ctx context.Context, hash [32]byte, t *StreamTicket, now time.Time, limits TicketLimits) error
	// TicketRedeem spends a ticket: it returns it, and deletes it, when it
	// is stored and live at now; ENOTFOUND otherwise.
	TicketRedeem(ctx context.Context, hash [32]byte, now time.Time) (*StreamTicket, error)
	// TicketPrune deletes the tickets expired at now, and returns how many.
	TicketPrune(ctx context.Context, now time.Time) (int64, error)
}
