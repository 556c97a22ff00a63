package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func init() {
	register("CredentialCreateGet", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		key := &tc.Credential{ID: "AKIDexample", Tenant: "ta", Kind: tc.KindTencent, Role: tc.RoleReader, Secret: "s3cr3t", CreatedAt: f.now}
		require.NoError(t, f.store.CredentialCreate(f.ctx, key))
		got, err := f.store.CredentialGet(f.ctx, "AKIDexample")
		require.NoError(t, err)
		require.Equal(t, key, got)
		requireCode(t, f.store.CredentialCreate(f.ctx, key), tc.ECONFLICT)
		_, err = f.store.CredentialGet(f.ctx, "AKIDother")
		requireCode(t, err, tc.ENOTFOUND)
	})

	register("CredentialByToken", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		tok := &tc.Credential{ID: "tok-1", Tenant: "ta", Kind: tc.KindNative, Role: tc.RoleOperator, TokenHash: tc.HashToken("secret-token"), CreatedAt: f.now}
		admin := &tc.Credential{ID: "tok-2", Kind: tc.KindNative, Role: tc.RoleAdmin, TokenHash: tc.HashToken("admin-token"), CreatedAt: f.now}
		require.NoError(t, f.store.CredentialCreate(f.ctx, tok))
		require.NoError(t, f.store.CredentialCreate(f.ctx, admin))
		got, err := f.store.CredentialByToken(f.ctx, tc.HashToken("secret-token"))
		require.NoError(t, err)
		require.Equal(t, tok, got)
		_, err = f.store.CredentialByToken(f.ctx, tc.HashToken("wrong"))
		requireCode(t, err, tc.ENOTFOUND)
		n, err := f.store.CredentialCount(f.ctx, tc.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = f.store.CredentialCount(f.ctx, tc.RoleWorker)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	register("TaskTypes", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		list, err := f.store.TaskTypeList(f.ctx)
		require.NoError(t, err)
		require.Empty(t, list)
		a := tc.TaskType{Key: "VacuumFull", Description: "vacuum", Exclusive: true, Timeout: time.Hour, MaxAttempts: 2}
		b := tc.TaskType{Key: "AnalyzeTables", TencentCode: 100, Exclusive: false}
		require.NoError(t, f.store.TaskTypePut(f.ctx, &a))
		require.NoError(t, f.store.TaskTypePut(f.ctx, &b))
		a.Description = "vacuum full"
		require.NoError(t, f.store.TaskTypePut(f.ctx, &a))
		list, err = f.store.TaskTypeList(f.ctx)
		require.NoError(t, err)
		require.Equal(t, []tc.TaskType{b, a}, list)
	})

	register("Ping", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		require.NoError(t, f.store.Ping(f.ctx))
	})
}
