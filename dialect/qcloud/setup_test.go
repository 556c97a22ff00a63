package qcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/sqlite"
)

const (
	tenant   = "acme"
	instance = "cdb-c1nl9rpv"
)

// fixture is a real handler over the engine and an SQLite store, served
// over HTTP, with a tencent key of tenant and its normal instance.
type fixture struct {
	store  *sqlite.Store
	svc    *engine.Service
	url    string
	client *specClient
}

func setup(t *testing.T, opts qcloud.Options) *fixture {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	require.NoError(t, store.Migrate(context.Background()))
	svc := engine.New(store, engine.Config{})
	mux := http.NewServeMux()
	mux.Handle("/v2/index.php", qcloud.NewHandler(svc, opts))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &fixture{store: store, svc: svc, url: srv.URL}
	f.client = f.key(t, tenant)
	f.instance(t, tenant, instance, tc.InstanceNormal)
	return f
}

// key creates a tencent credential of a tenant and a client signing with it.
func (f *fixture) key(t *testing.T, tenant string) *specClient {
	t.Helper()
	cred, secret, err := f.svc.CreateCredential(context.Background(), &tc.CreateCredentialParams{
		Tenant: tenant, Kind: tc.KindTencent, Role: tc.RoleReader,
	})
	require.NoError(t, err)
	return &specClient{endpoint: f.url, secretID: cred.ID, secretKey: secret}
}

func (f *fixture) instance(t *testing.T, tenant, id, status string) {
	t.Helper()
	_, err := f.svc.PutInstance(context.Background(), &tc.Instance{ID: id, Tenant: tenant, Name: id, Engine: "mysql", Status: status})
	require.NoError(t, err)
}

// seedTask stores a task as the store keeps it, created at the given time,
// then applies update (when set) to put it in any state.
func (f *fixture) seedTask(t *testing.T, tenant, typ, inst string, created time.Time, context string, update func(*tc.Task)) *tc.Task {
	t.Helper()
	task, _, err := f.store.TaskInsert(t.Context(), &tc.TaskInsertParams{Task: &tc.Task{
		Tenant: tenant, Type: typ, Status: tc.StatusInitial, InstanceIDs: []string{inst},
		CreatedAt: created.UTC().Truncate(time.Millisecond), Context: json.RawMessage(context), MaxAttempts: 3, Timeout: time.Hour,
	}, Actor: "test"})
	require.NoError(t, err)
	if update == nil {
		return task
	}
	task, err = f.store.TaskUpdate(t.Context(), &tc.TaskUpdateParams{
		Tenant: tenant, ID: task.ID, Actor: "test", Now: created.Add(time.Minute).UTC(),
		Update: func(t *tc.Task) error { update(t); return nil },
	})
	require.NoError(t, err)
	return task
}

const dbsContext = `{"operator":"231323","rollbackTime":"2016-01-25 17:32:39","dbs":[{"dbname":"test","newname":"test_bakee"},{"dbname":"test_bak","newname":"test_bak_bak"}]}`

// seedRollbacks stores n rollback tasks of the tenant on inst, alternating
// ROLLBACK and BATCH ROLLBACK, a second apart, and returns their ids
// newest first.
func (f *fixture) seedRollbacks(t *testing.T, tenant, inst string, n int) []string {
	t.Helper()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ids := make([]string, n)
	for i := range n {
		typ := tc.TypeRollback
		if i%2 == 1 {
			typ = tc.TypeBatchRollback
		}
		task := f.seedTask(t, tenant, typ, inst, base.Add(time.Duration(i)*time.Second), dbsContext, nil)
		ids[n-1-i] = jobID(task)
	}
	return ids
}

func jobID(t *tc.Task) string { return itoa(t.ID) }

func jobIDs(list wireList) []string {
	out := []string{}
	for _, j := range list.Data.TaskList {
		out = append(out, j.JobID)
	}
	return out
}
