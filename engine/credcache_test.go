package engine_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/sqlite"
)

// credentialReads counts the credential lookups that reach the store.
type credentialReads struct {
	tc.Store
	reads atomic.Int32
}

func (s *credentialReads) CredentialGet(ctx context.Context, id string) (*tc.Credential, error) {
	s.reads.Add(1)
	return s.Store.CredentialGet(ctx, id)
}

func (s *credentialReads) CredentialByToken(ctx context.Context, hash string) (*tc.Credential, error) {
	s.reads.Add(1)
	return s.Store.CredentialByToken(ctx, hash)
}

// TestCredentialCache: a credential found is served from memory until its
// time in the cache is up, as a copy that callers may change; one not found
// is asked of the store every time, so that it is found once it exists; a
// token of another kind is refused from the cache as from the store.
func TestCredentialCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(ctx))
	store := &credentialReads{Store: s}
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	svc := engine.New(store, engine.Config{Now: func() time.Time { return now }})

	_, err = svc.Credential(ctx, "AKIDnotyet")
	require.Equal(t, tc.ENOTFOUND, tc.ErrorCode(err))
	_, err = svc.Credential(ctx, "AKIDnotyet")
	require.Equal(t, tc.ENOTFOUND, tc.ErrorCode(err))
	require.EqualValues(t, 2, store.reads.Load(), "misses are not kept")

	signed, _, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "ta", Kind: tc.KindTencent})
	require.NoError(t, err)
	first, err := svc.Credential(ctx, signed.ID)
	require.NoError(t, err)
	first.Secret = "changed by a caller"
	again, err := svc.Credential(ctx, signed.ID)
	require.NoError(t, err)
	require.Equal(t, signed.Secret, again.Secret)
	require.EqualValues(t, 3, store.reads.Load(), "the second lookup is served from memory")

	_, token, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "ta", Kind: tc.KindNative})
	require.NoError(t, err)
	for range 3 {
		c, err := svc.Authenticate(ctx, tc.KindNative, token)
		require.NoError(t, err)
		require.Equal(t, "ta", c.Tenant)
		_, err = svc.Authenticate(ctx, tc.KindHuaweiToken, token)
		require.Equal(t, tc.EUNAUTHORIZED, tc.ErrorCode(err))
	}
	require.EqualValues(t, 4, store.reads.Load(), "one read for the token, whatever its kind is asked for")

	now = now.Add(31 * time.Second)
	_, err = svc.Credential(ctx, signed.ID)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, tc.KindNative, token)
	require.NoError(t, err)
	require.EqualValues(t, 6, store.reads.Load(), "expired entries are read again")
}
