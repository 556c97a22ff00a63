package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
)

func TestStoreErr(t *testing.T) {
	t.Parallel()
	domain := taskcenter.Invalidf("instance_ids", "unknown")
	cases := []struct {
		err  error
		code string
	}{
		{nil, ""},
		{pgx.ErrNoRows, taskcenter.ENOTFOUND},
		{fmt.Errorf("scan: %w", pgx.ErrNoRows), taskcenter.ENOTFOUND},
		{&pgconn.PgError{Code: "23505"}, taskcenter.ECONFLICT},
		{&pgconn.PgError{Code: "08006"}, taskcenter.EUNAVAILABLE},
		{&pgconn.PgError{Code: "57P01"}, taskcenter.EUNAVAILABLE},
		{io.ErrUnexpectedEOF, taskcenter.EUNAVAILABLE},
		{domain, taskcenter.EINVALID},
		{&pgconn.PgError{Code: "22P02"}, taskcenter.EINTERNAL},
		{context.Canceled, taskcenter.EINTERNAL},
	}
	for _, c := range cases {
		require.Equal(t, c.code, taskcenter.ErrorCode(storeErr("op", c.err)), "error: %v", c.err)
	}
	require.Same(t, domain, storeErr("op", domain))
	require.ErrorIs(t, storeErr("op", context.Canceled), context.Canceled)
	require.ErrorIs(t, storeErr("op", pgx.ErrNoRows), taskcenter.ErrNotFound)
	err := errors.New("boom")
	require.ErrorIs(t, storeErr("op", err), err)
	require.EqualError(t, storeErr("op", err), "op: boom")
}
