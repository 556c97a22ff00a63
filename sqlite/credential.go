package sqlite

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

const credentialColumns = "id, tenant, kind, role, secret, token_hash, created_at"

// CredentialCreate stores a new credential; an existing id or token hash is
// ECONFLICT.
func (s *Store) CredentialCreate(ctx context.Context, c *tc.Credential) error {
	return s.write(ctx, func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx,
			"INSERT INTO credentials ("+credentialColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.Tenant, c.Kind, c.Role, c.Secret, c.TokenHash, millis(c.CreatedAt))
		return dbError("create credential", err)
	})
}

// CredentialGet returns a credential by id, or ErrNotFound.
func (s *Store) CredentialGet(ctx context.Context, id string) (*tc.Credential, error) {
	row := s.reads.QueryRowContext(ctx, "SELECT "+credentialColumns+" FROM credentials WHERE id = ?", id)
	c, err := scanCredential(row)
	return c, dbError("get credential", err)
}

// credentialByTokenSQL reads a credential by its token's hash. Saying that
// the hash is not empty lets SQLite use the partial index of token hashes,
// which the bound value alone cannot select (stablePlans).
const credentialByTokenSQL = "SELECT " + credentialColumns + " FROM credentials WHERE token_hash = ? AND token_hash <> ''"

// CredentialByToken returns the bearer credential with the given HashToken,
// or ErrNotFound.
func (s *Store) CredentialByToken(ctx context.Context, tokenHash string) (*tc.Credential, error) {
	if tokenHash == "" {
		return nil, tc.ErrNotFound // signed kinds store no hash
	}
	row := s.reads.QueryRowContext(ctx, credentialByTokenSQL, tokenHash)
	c, err := scanCredential(row)
	return c, dbError("get credential", err)
}

// CredentialCount counts the credentials of a role in every tenant.
func (s *Store) CredentialCount(ctx context.Context, role tc.Role) (int, error) {
	var n int
	err := s.reads.QueryRowContext(ctx, "SELECT count(*) FROM credentials WHERE role = ?", role).Scan(&n)
	return n, dbError("count credentials", err)
}

func scanCredential(sc scanner) (*tc.Credential, error) {
	var c tc.Credential
	var created int64
	if err := sc.Scan(&c.ID, &c.Tenant, &c.Kind, &c.Role, &c.Secret, &c.TokenHash, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMillis(created)
	return &c, nil
}
