// Package storetest is the conformance suite every taskcenter.Store passes.
// A store's tests call Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// OpenFunc opens a new, empty, migrated store for one test and arranges its
// cleanup on tb.
type OpenFunc func(tb testing.TB) tc.Store

// Run runs the conformance suite against the store that open returns.
func Run(t *testing.T, open OpenFunc) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, open OpenFunc)
}

var cases []testCase

func register(name string, fn func(t *testing.T, open OpenFunc)) {
	cases = append(cases, testCase{name, fn})
}

// fixture is the small bundle each test starts with.
type fixture struct {
	ctx   context.Context
	store tc.Store
	now   time.Time
}

func setup(t *testing.T, open OpenFunc) *fixture {
	t.Helper()
	return &fixture{
		ctx:   context.Background(),
		store: open(t),
		now:   time.Now().UTC().Truncate(time.Millisecond),
	}
}

func (f *fixture) instance(t *testing.T, tenant, id string) *tc.Instance {
	t.Helper()
	inst, err := f.store.InstancePut(f.ctx, &tc.Instance{
		ID: id, Tenant: tenant, Name: "name-" + id, Engine: "mysql", Region: "ap-guangzhou",
		Status: tc.InstanceNormal, CreatedAt: f.now, UpdatedAt: f.now,
	})
	require.NoError(t, err)
	return inst
}

// task inserts a task; mod may change it before the insert.
func (f *fixture) task(t *testing.T, tenant, typ string, instances []string, mod func(*tc.Task)) *tc.Task {
	t.Helper()
	task := &tc.Task{
		Tenant: tenant, Type: typ, Status: tc.StatusInitial, InstanceIDs: instances,
		CreatedAt: f.now, Context: []byte(`{}`), MaxAttempts: 3,
	}
	if mod != nil {
		mod(task)
	}
	got, created, err := f.store.TaskInsert(f.ctx, &tc.TaskInsertParams{Task: task, Actor: "test"})
	require.NoError(t, err)
	require.True(t, created)
	return got
}

func (f *fixture) transition(t *testing.T, tenant string, id int64, to tc.Status) *tc.Task {
	t.Helper()
	got, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
		Tenant: tenant, ID: id, Actor: "test", Now: f.now,
		Update: func(task *tc.Task) error { return task.Transition(to, f.now) },
	})
	require.NoError(t, err)
	return got
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, tc.ErrorCode(err), "error: %v", err)
}
