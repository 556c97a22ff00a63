package engine

import (
	"context"
	"crypto/rand"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// CreateCredential issues a credential of the asked kind and role for a
// tenant and returns its secret, which is never shown again: a SecretId and
// SecretKey for tencent, an access key and secret key for huawei-aksk, a
// token for huawei-token and native. Only native credentials may be admin.
func (s *Service) CreateCredential(ctx context.Context, p *tc.CreateCredentialParams) (*tc.Credential, string, error) {
	if err := validateCredential(p); err != nil {
		return nil, "", err
	}
	c := &tc.Credential{Tenant: p.Tenant, Kind: p.Kind, Role: p.Role, CreatedAt: s.now()}
	var secret string
	switch p.Kind {
	case tc.KindTencent:
		c.ID, secret = "AKID"+randomString(alnum, 32), randomString(alnum, 32)
		c.Secret = secret
	case tc.KindHuaweiAKSK:
		c.ID, secret = randomString(upperDigits, 20), randomString(alnum, 40)
		c.Secret = secret
	default:
		c.ID = "tok-" + randomString(upperDigits, 16)
		secret = p.Token
		if secret == "" {
			secret = "tc_" + randomString(alnum, 40)
		}
		c.TokenHash = tc.HashToken(secret)
	}
	if p.ID != "" {
		c.ID = p.ID
	}
	if err := s.store.CredentialCreate(ctx, c); err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

func validateCredential(p *tc.CreateCredentialParams) error {
	if !p.Kind.Valid() {
		return tc.Invalidf("kind", "kind must be tencent, huawei-aksk, huawei-token or native")
	}
	if p.Role == "" {
		p.Role = tc.RoleReader
	}
	if !p.Role.Valid() {
		return tc.Invalidf("role", "role must be admin, operator, reader or worker")
	}
	if p.Role == tc.RoleAdmin {
		if p.Kind != tc.KindNative {
			return tc.Invalidf("role", "only native credentials can be admin")
		}
		if p.Tenant != "" {
			return tc.Invalidf("tenant", "an admin credential belongs to no tenant")
		}
	} else if err := tc.ValidateTenant(p.Tenant); err != nil {
		return err
	}
	if p.Token != "" && (p.Kind.Signed() || len(p.Token) < 16) {
		return tc.Invalidf("token", "a chosen token must be a bearer token of at least 16 bytes")
	}
	if p.ID != "" && !validCredentialID(p.ID) {
		return tc.Invalidf("id", "a chosen id must be 4 to 64 letters, digits or '-'")
	}
	return nil
}

// validCredentialID reports whether id can be a chosen credential id: the
// signatures carry it in headers and queries, so it keeps to characters that
// none of them needs to escape.
func validCredentialID(id string) bool {
	if len(id) < 4 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Credential returns a credential by id, for signature checks; see
// credCache.
func (s *Service) Credential(ctx context.Context, id string) (*tc.Credential, error) {
	return s.cachedCredential("id:"+id, func() (*tc.Credential, error) { return s.store.CredentialGet(ctx, id) })
}

// cachedCredential returns the credential kept under key, or reads it and
// keeps it when it is found.
func (s *Service) cachedCredential(key string, read func() (*tc.Credential, error)) (*tc.Credential, error) {
	now := s.now()
	if c, ok := s.creds.get(key, now); ok {
		return c, nil
	}
	c, err := read()
	if err != nil {
		return nil, err
	}
	s.creds.put(key, c, now)
	return c, nil
}

// Authenticate returns the credential of the given bearer kind whose token
// this is, or EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, kind tc.CredentialKind, token string) (*tc.Credential, error) {
	if token == "" {
		return nil, tc.Errorf(tc.EUNAUTHORIZED, "a token is required")
	}
	hash := tc.HashToken(token)
	c, err := s.cachedCredential("token:"+hash, func() (*tc.Credential, error) { return s.store.CredentialByToken(ctx, hash) })
	if tc.ErrorCode(err) == tc.ENOTFOUND || (err == nil && c.Kind != kind) {
		return nil, tc.Errorf(tc.EUNAUTHORIZED, "the token is not valid")
	}
	return c, err
}

// BootstrapAdmin makes sure the store has an admin credential. When it has
// none, it creates one with token (or a random one when token is empty) and
// returns the token and created=true; otherwise it changes nothing. Replicas
// that start together on an empty store take turns through a lease of the
// store, so one of them creates the admin and the others find it.
func (s *Service) BootstrapAdmin(ctx context.Context, token string) (secret string, created bool, err error) {
	const lease, ttl = "admin-bootstrap", 30 * time.Second
	owner := "bootstrap-" + randomString(alnum, 12)
	for {
		n, err := s.store.CredentialCount(ctx, tc.RoleAdmin)
		if err != nil || n > 0 {
			return "", false, err
		}
		held, err := s.store.LeaseAcquire(ctx, lease, owner, s.now(), ttl)
		if err != nil {
			return "", false, err
		}
		if held {
			// Counted again under the lease: another replica may have made
			// the admin since, and let the lease go.
			if n, err := s.store.CredentialCount(ctx, tc.RoleAdmin); err != nil || n > 0 {
				return "", false, err
			}
			_, secret, err = s.CreateCredential(ctx, &tc.CreateCredentialParams{Kind: tc.KindNative, Role: tc.RoleAdmin, Token: token})
			return secret, err == nil, err
		}
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	limit := 256 - 256%len(alphabet) // reject bytes that would bias the draw
	for i := 0; i < n; {
		var buf [64]byte
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		for _, c := range buf {
			if int(c) < limit && i < n {
				b[i] = alphabet[int(c)%len(alphabet)]
				i++
			}
		}
	}
	return string(b)
}
