package postgres_test

import (
	"context"
	"crypto/sha256"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestStreamTickets: a ticket stored by one replica is spent once on
// another, only while live; the limits count the live tickets of every
// replica; pruning deletes the expired.
func TestStreamTickets(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, b := setup(t, url), open(t, url)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	limits := tc.TicketLimits{PerCredential: 2, PerOwner: 3, Total: 4}
	n := 0
	issue := func(cred, owner string, expires time.Time) ([32]byte, error) {
		n++
		h := sha256.Sum256([]byte("ticket " + strconv.Itoa(n)))
		return h, a.TicketIssue(ctx, h, &tc.StreamTicket{CredentialID: cred, Owner: owner, Tenant: "ta", ExpiresAt: expires}, now, limits)
	}
	live := now.Add(30 * time.Second)

	h, err := issue("c1", "ta", live)
	require.NoError(t, err)
	got, err := b.TicketRedeem(ctx, h, now)
	require.NoError(t, err)
	require.Equal(t, tc.StreamTicket{CredentialID: "c1", Owner: "ta", Tenant: "ta", ExpiresAt: live}, *got)
	_, err = a.TicketRedeem(ctx, h, now)
	require.Equal(t, tc.ENOTFOUND, tc.ErrorCode(err), "spent")

	stale, err := issue("c1", "ta", live)
	require.NoError(t, err)
	_, err = b.TicketRedeem(ctx, stale, live)
	require.Equal(t, tc.ENOTFOUND, tc.ErrorCode(err), "expired")

	_, err = issue("c1", "ta", live)
	require.NoError(t, err)
	_, err = issue("c1", "ta", live)
	require.NoError(t, err)
	_, err = issue("c1", "ta", live)
	require.Equal(t, tc.ERATELIMIT, tc.ErrorCode(err), "two per credential")
	_, err = issue("c2", "ta", live)
	require.NoError(t, err)
	_, err = issue("c3", "ta", live)
	require.Equal(t, tc.ERATELIMIT, tc.ErrorCode(err), "three per owner")
	_, err = issue("c4", "", live)
	require.NoError(t, err)
	_, err = issue("c5", "tb", live)
	require.Equal(t, tc.ERATELIMIT, tc.ErrorCode(err), "four in all")
	// Once they expire, they count no more, even before they are pruned.
	later := sha256.Sum256([]byte("later"))
	require.NoError(t, b.TicketIssue(ctx, later, &tc.StreamTicket{CredentialID: "c5", Owner: "tb", Tenant: "tb",
		ExpiresAt: live.Add(30 * time.Second)}, live, limits))

	pruned, err := b.TicketPrune(ctx, now)
	require.NoError(t, err)
	require.Zero(t, pruned)
	pruned, err = b.TicketPrune(ctx, live)
	require.NoError(t, err)
	require.Equal(t, int64(4), pruned, "c1 twice, c2, c4")
	got, err = a.TicketRedeem(ctx, later, live)
	require.NoError(t, err)
	require.Equal(t, "c5", got.CredentialID)
}
