package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

const credentialColumns = `id, tenant, kind, role, secret, token_hash, created_at`

// CredentialCreate stores a new credential; an id or a token hash already
// stored is ECONFLICT.
func (s *Store) CredentialCreate(ctx context.Context, c *taskcenter.Credential) error {
	const q = `INSERT INTO credentials (` + credentialColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	_, err := s.pool.Exec(ctx, q, c.ID, c.Tenant, string(c.Kind), string(c.Role), c.Secret, c.TokenHash,
		timeArg(c.CreatedAt))
	return storeErr("create credential", err)
}

// CredentialGet returns a credential by id, or ENOTFOUND.
func (s *Store) CredentialGet(ctx context.Context, id string) (*taskcenter.Credential, error) {
	const q = `SELECT ` + credentialColumns + ` FROM credentials WHERE id = $1`
	c, err := scanCredential(s.pool.QueryRow(ctx, q, id))
	return c, storeErr("get credential", err)
}

// CredentialByToken returns the bearer credential whose token hashes to
// tokenHash, or ENOTFOUND.
func (s *Store) CredentialByToken(ctx context.Context, tokenHash string) (*taskcenter.Credential, error) {
	if tokenHash == "" {
		return nil, storeErr("credential by token", pgx.ErrNoRows)
	}
	const q = `SELECT ` + credentialColumns + ` FROM credentials WHERE token_hash = $1`
	c, err := scanCredential(s.pool.QueryRow(ctx, q, tokenHash))
	return c, storeErr("credential by token", err)
}

// CredentialCount counts the credentials of a role in every tenant.
func (s *Store) CredentialCount(ctx context.Context, role taskcenter.Role) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM credentials WHERE role = $1`, string(role)).Scan(&n)
	return n, storeErr("count credentials", err)
}

// scanCredential reads a row of credentialColumns.
func scanCredential(row pgx.Row) (*taskcenter.Credential, error) {
	var c taskcenter.Credential
	var kind, role string
	var created nullTime
	if err := row.Scan(&c.ID, &c.Tenant, &kind, &role, &c.Secret, &c.TokenHash, &created); err != nil {
		return nil, err
	}
	c.Kind, c.Role, c.CreatedAt = taskcenter.CredentialKind(kind), taskcenter.Role(role), created.Time
	return &c, nil
}
