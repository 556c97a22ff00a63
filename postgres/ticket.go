package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	tc "github.com/taskcenter/taskcenter"
)

var _ tc.SharedStore = (*Store)(nil)

// ticketIssueSQL stores a ticket when the live tickets of its credential,
// of its owner and in all are below their limits. Concurrent issues each
// count the others' uncommitted rows out, so a burst may pass a limit by
// up to the pool's connections; the limits bound the table, not an exact
// quota.
const ticketIssueSQL = `INSERT INTO stream_tickets (hash, credential_id, owner, tenant, expires_at)
	SELECT $1, $2, $3, $4, $5
	WHERE (SELECT count(*) FROM stream_tickets WHERE credential_id = $2 AND expires_at > $6) < $7
	AND (SELECT count(*) FROM stream_tickets WHERE owner = $3 AND expires_at > $6) < $8
	AND (SELECT count(*) FROM stream_tickets WHERE expires_at > $6) < $9`

// TicketIssue stores an event stream ticket for every replica.
func (s *Store) TicketIssue(ctx context.Context, hash [32]byte, t *tc.StreamTicket, now time.Time, limits tc.TicketLimits) error {
	tag, err := s.pool.Exec(ctx, ticketIssueSQL, hash[:], t.CredentialID, t.Owner, t.Tenant, timeArg(t.ExpiresAt), timeArg(now),
		limits.PerCredential, limits.PerOwner, limits.Total)
	if err != nil {
		return storeErr("issue ticket", err)
	}
	if tag.RowsAffected() == 0 {
		return tc.Errorf(tc.ERATELIMIT, "too many unused stream tickets; use one or wait until they expire")
	}
	return nil
}

// TicketRedeem spends a ticket: deleted whether live or expired, returned
// only when live.
func (s *Store) TicketRedeem(ctx context.Context, hash [32]byte, now time.Time) (*tc.StreamTicket, error) {
	var t tc.StreamTicket
	err := s.pool.QueryRow(ctx, `DELETE FROM stream_tickets WHERE hash = $1
		RETURNING credential_id, owner, tenant, expires_at`, hash[:]).Scan(&t.CredentialID, &t.Owner, &t.Tenant, &t.ExpiresAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, tc.ErrNotFound
	case err != nil:
		return nil, storeErr("redeem ticket", err)
	case !now.Before(t.ExpiresAt):
		return nil, tc.ErrNotFound
	}
	t.ExpiresAt = t.ExpiresAt.UTC()
	return &t, nil
}

// TicketPrune deletes the tickets expired at now.
func (s *Store) TicketPrune(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM stream_tickets WHERE expires_at <= $1", timeArg(now))
	if err != nil {
		return 0, storeErr("prune tickets", err)
	}
	return tag.RowsAffected(), nil
}
