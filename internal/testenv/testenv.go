// Package testenv builds a real engine over a fresh SQLite store, filled with
// a small fleet, for tests of the transports: fuzzers and the security and
// bad-input catalogues.
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/sqlite"
)

// Env is an engine with two tenants, "ta" and "tb", each with instances
// cdb-<tenant>1 and cdb-<tenant>2, tasks in every status, and one
// credential of every kind.
type Env struct {
	Svc   *engine.Service
	Store tc.Store
	// Keys holds each tenant's credentials by kind: ID and secret.
	Keys map[string]map[tc.CredentialKind]Key
}

// Key is a credential's public id and its secret.
type Key struct{ ID, Secret string }

// New builds the environment in tb's temporary directory.
func New(tb testing.TB) *Env {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(tb.TempDir(), "tc.db"))
	check(tb, err)
	check(tb, store.Migrate(ctx))
	tb.Cleanup(func() { store.Close() })
	e := &Env{Svc: engine.New(store, engine.Config{}), Store: store, Keys: map[string]map[tc.CredentialKind]Key{}}
	for _, tenant := range []string{"ta", "tb"} {
		e.fill(tb, tenant)
	}
	return e
}

func (e *Env) fill(tb testing.TB, tenant string) {
	ctx := context.Background()
	e.Keys[tenant] = map[tc.CredentialKind]Key{}
	for _, kind := range []tc.CredentialKind{tc.KindTencent, tc.KindHuaweiAKSK, tc.KindHuaweiToken, tc.KindNative} {
		role := tc.RoleReader
		if kind == tc.KindNative {
			role = tc.RoleOperator
		}
		cred, secret, err := e.Svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: tenant, Kind: kind, Role: role})
		check(tb, err)
		e.Keys[tenant][kind] = Key{ID: cred.ID, Secret: secret}
	}
	for i := 1; i <= 2; i++ {
		_, err := e.Svc.PutInstance(ctx, &tc.Instance{ID: fmt.Sprintf("cdb-%s%d", tenant, i), Tenant: tenant, Name: "db"})
		check(tb, err)
	}
	rollback, _ := json.Marshal(tc.RollbackContext{Operator: "op", DBs: []tc.RollbackDB{{DBName: "d", NewName: "d_bak"}}})
	for i, typ := range []string{tc.TypeReboot, tc.TypeRollback, "RestartInstance", tc.TypeBatchRollback, tc.TypeModifyParam} {
		p := &tc.SubmitTaskParams{Tenant: tenant, Type: typ, InstanceIDs: []string{fmt.Sprintf("cdb-%s%d", tenant, i%2+1)},
			AsyncRequestID: fmt.Sprintf("req-%s-%d", tenant, i), Actor: "testenv"}
		if typ == tc.TypeRollback || typ == tc.TypeBatchRollback {
			p.Context = rollback
		}
		_, _, err := e.Svc.SubmitTask(ctx, p)
		check(tb, err)
	}
	claimed, err := e.Svc.ClaimTasks(ctx, &tc.ClaimParams{Tenant: tenant, WorkerID: "w", Max: 3})
	check(tb, err)
	for i, t := range claimed {
		lease := tc.TaskLease{Tenant: tenant, ID: t.ID, WorkerID: "w"}
		switch i {
		case 0:
			_, err = e.Svc.CompleteTask(ctx, &tc.CompleteParams{TaskLease: lease, Message: "ok"})
		case 1:
			_, err = e.Svc.FailTask(ctx, &tc.FailParams{TaskLease: lease, Code: 9013, Message: "boom"})
		default:
			_, err = e.Svc.Heartbeat(ctx, &tc.HeartbeatParams{TaskLease: lease, Progress: 40, Message: "half"})
		}
		check(tb, err)
	}
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
