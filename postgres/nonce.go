package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// nonceUseSQL records a Nonce, or takes over its expired record; it returns
// no row when the record is live.
const nonceUseSQL = `INSERT INTO request_nonces AS n (key, nonce, stamp, tenant, expires_at) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (key, nonce, stamp) DO UPDATE SET tenant = excluded.tenant, expires_at = excluded.expires_at
	WHERE n.expires_at < $6
	RETURNING 1`

// NonceUse records a Nonce of key for every replica sharing the database,
// or reports false when the key used it already and its record is live.
func (s *Store) NonceUse(ctx context.Context, tenant, key string, nonce uint64, stamp int64, now, expires time.Time) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, nonceUseSQL, key, int64(nonce), stamp, tenant, timeArg(expires), timeArg(now)).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, storeErr("record nonce", err)
	}
	return true, nil
}

// NoncePrune deletes the Nonces whose records expired at now.
func (s *Store) NoncePrune(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM request_nonces WHERE expires_at < $1", timeArg(now))
	if err != nil {
		return 0, storeErr("prune nonces", err)
	}
	return tag.RowsAffected(), nil
}
