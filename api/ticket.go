package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Event stream tickets: browsers' EventSource cannot send an Authorization
// header, so the console trades its bearer token for a ticket (POST
// /api/v1/events/tickets) and opens the stream with ?ticket=. A ticket is
// random, short-lived and single-use, so a proxy that logs query strings
// logs nothing worth replaying.
const (
	TicketTTL = 30 * time.Second
	// maxTickets bounds the live tickets of the process, maxTicketsPerCred
	// those of one credential: a token cannot fill the memory by asking.
	// maxTicketsPerOwner bounds those of the credentials of one tenant (or
	// of the administrators): an operator can make any number of
	// credentials, and its tenant must not take the process's every ticket
	// from the others.
	maxTickets         = 10_000
	maxTicketsPerCred  = 16
	maxTicketsPerOwner = 512
)

// ticket is what a ticket stands for: the credential that asked for it and
// the tenant its stream may show.
type ticket struct {
	credID  string
	owner   string // the credential's own tenant, "" for an administrator
	tenant  string
	expires time.Time
}

// tickets holds the live tickets by the SHA-256 of their text, so that not
// even the process's memory keeps a usable one.
//
// They live in the process, unless a store shared by the replicas keeps them
// (shared): then a stream may reach another replica than the one that
// issued its ticket. Without it, behind a load balancer the stream must
// reach the replica that issued its ticket (the console asks again when it
// does not).
type tickets struct {
	shared   tc.TicketStore
	mu       sync.Mutex
	byHash   map[[32]byte]ticket
	perCred  map[string]int
	perOwner map[string]int
	now      func() time.Time
}

func newTickets() *tickets {
	return &tickets{byHash: map[[32]byte]ticket{}, perCred: map[string]int{}, perOwner: map[string]int{}, now: time.Now}
}

// ticketLen is the length of a ticket's text: 32 random bytes in base64url.
var ticketLen = base64.RawURLEncoding.EncodedLen(32)

var errTooManyTickets = tc.Errorf(tc.ERATELIMIT, "too many unused stream tickets; use one or wait %s", TicketTTL)

// issue returns a new ticket for cred on tenant; it counts against cred's
// own tenant (the administrators' share when it has none).
func (ts *tickets) issue(ctx context.Context, cred *tc.Credential, tenant string) (string, time.Time, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	text := base64.RawURLEncoding.EncodeToString(b[:])
	now := ts.now()
	t := ticket{credID: cred.ID, owner: cred.Tenant, tenant: tenant, expires: now.Add(TicketTTL)}
	if ts.shared != nil {
		err := ts.shared.TicketIssue(ctx, sha256.Sum256([]byte(text)),
			&tc.StreamTicket{CredentialID: t.credID, Owner: t.owner, Tenant: t.tenant, ExpiresAt: t.expires}, now,
			tc.TicketLimits{PerCredential: maxTicketsPerCred, PerOwner: maxTicketsPerOwner, Total: maxTickets})
		if tc.ErrorCode(err) == tc.ERATELIMIT {
			err = errTooManyTickets
		}
		if err != nil {
			return "", time.Time{}, err
		}
		return text, t.expires, nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.expire(now)
	if len(ts.byHash) >= maxTickets || ts.perCred[cred.ID] >= maxTicketsPerCred || ts.perOwner[cred.Tenant] >= maxTicketsPerOwner {
		return "", time.Time{}, errTooManyTickets
	}
	ts.byHash[sha256.Sum256([]byte(text))] = t
	ts.perCred[cred.ID]++
	ts.perOwner[cred.Tenant]++
	return text, t.expires, nil
}

// redeem spends a ticket: it is valid once, and only until it expires. The
// error is the shared store's fault.
func (ts *tickets) redeem(ctx context.Context, text string) (ticket, bool, error) {
	if len(text) != ticketLen {
		return ticket{}, false, nil // not one of ours: no need to ask the store
	}
	h := sha256.Sum256([]byte(text))
	now := ts.now()
	if ts.shared != nil {
		st, err := ts.shared.TicketRedeem(ctx, h, now)
		if tc.ErrorCode(err) == tc.ENOTFOUND {
			return ticket{}, false, nil
		}
		if err != nil {
			return ticket{}, false, err
		}
		return ticket{credID: st.CredentialID, owner: st.Owner, tenant: st.Tenant, expires: st.ExpiresAt}, true, nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.expire(now)
	t, ok := ts.byHash[h]
	if ok {
		ts.forget(h, t)
	}
	return t, ok, nil
}

// expire forgets the tickets past their time. A scan is fine at a few
// thousand entries, and it runs only when tickets are issued or spent.
func (ts *tickets) expire(now time.Time) {
	for h, t := range ts.byHash {
		if !now.Before(t.expires) {
			ts.forget(h, t)
		}
	}
}

func (ts *tickets) forget(h [32]byte, t ticket) {
	delete(ts.byHash, h)
	if ts.perCred[t.credID]--; ts.perCred[t.credID] <= 0 {
		delete(ts.perCred, t.credID)
	}
	if ts.perOwner[t.owner]--; ts.perOwner[t.owner] <= 0 {
		delete(ts.perOwner, t.owner)
	}
}

// createTicket answers POST /api/v1/events/tickets: a ticket for the
// caller's credential and the tenant its stream will show (an
// administrator names one, or none for every tenant).
func (h *Handler) createTicket(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant")
	if err != nil {
		return err
	}
	tenant, err := tenantOf(r, q.get("tenant"), true)
	if err != nil {
		return err
	}
	text, expires, err := h.tickets.issue(r.Context(), tc.CredentialFrom(r.Context()), tenant)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, StreamTicket{Ticket: text, ExpiresAt: expires.UTC()})
}

// ticketCredential spends the request's ticket and returns the credential
// it was issued to, read again so that a credential removed since is
// refused, and the tenant it is bound to.
func (h *Handler) ticketCredential(r *http.Request, text string) (*tc.Credential, string, error) {
	t, ok, err := h.tickets.redeem(r.Context(), text)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", tc.Errorf(tc.EUNAUTHORIZED, "the ticket is unknown, used or expired; ask POST /api/v1/events/tickets for another")
	}
	cred, err := h.svc.Credential(r.Context(), t.credID)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, "", tc.Errorf(tc.EUNAUTHORIZED, "the ticket's credential no longer exists")
	}
	if err != nil {
		return nil, "", err
	}
	return cred, t.tenant, nil
}
