package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
	"github.com/taskcenter/taskcenter/sqlite"
	"github.com/taskcenter/taskcenter/worker"
)

// eachStore runs fn once on SQLite and once on PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T, open func(t *testing.T) tc.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) tc.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
			require.NoError(t, err)
			require.NoError(t, s.Migrate(context.Background()))
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) tc.Store {
			s, err := postgres.Open(context.Background(), pgtest.URL(t))
			require.NoError(t, err)
			require.NoError(t, s.Migrate(context.Background()))
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// env is an engine over a fresh store, with instances i0..i9 of tenant ta,
// a non-exclusive type Noop and running maintenance.
type env struct {
	ctx   context.Context
	store tc.Store
	svc   *engine.Service
}

func setup(t *testing.T, store tc.Store, cfg engine.Config) *env {
	t.Helper()
	ctx := context.Background()
	cfg.Lease = max(cfg.Lease, 5*time.Second) // heartbeats every 50ms keep it even on a loaded machine
	cfg.RetryBase = max(cfg.RetryBase, 10*time.Millisecond)
	cfg.PollInterval = 20 * time.Millisecond
	svc := engine.New(store, cfg)
	for i := range 10 {
		_, err := svc.PutInstance(ctx, &tc.Instance{ID: instanceID(i), Tenant: "ta", Name: "db"})
		require.NoError(t, err)
	}
	require.NoError(t, svc.PutTaskType(ctx, &tc.TaskType{Key: "Noop", Exclusive: false}))
	m := svc.NewMaintenance(engine.MaintenanceConfig{Interval: 20 * time.Millisecond})
	m.Start(ctx)
	t.Cleanup(m.Stop)
	return &env{ctx: ctx, store: store, svc: svc}
}

func instanceID(i int) string { return "i" + string(rune('0'+i)) }

func (e *env) submit(t *testing.T, typ string, instances []string, mod func(*tc.SubmitTaskParams)) *tc.Task {
	t.Helper()
	p := &tc.SubmitTaskParams{Tenant: "ta", Type: typ, InstanceIDs: instances, Actor: "test"}
	if mod != nil {
		mod(p)
	}
	task, created, err := e.svc.SubmitTask(e.ctx, p)
	require.NoError(t, err)
	require.True(t, created)
	return task
}

// startWorker runs a worker with the given handlers until the test ends.
func (e *env) startWorker(t *testing.T, id string, concurrency int, handlers map[string]worker.Handler) *worker.Worker {
	t.Helper()
	w := worker.New(e.svc, worker.Config{ID: id, Tenant: tc.AllTenants, Concurrency: concurrency,
		Heartbeat: 50 * time.Millisecond, Wait: 200 * time.Millisecond, Grace: time.Second})
	for typ, h := range handlers {
		w.Handle(typ, h)
	}
	w.Start(e.ctx)
	t.Cleanup(w.Stop)
	return w
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) get(t *testing.T, id int64) *tc.Task {
	t.Helper()
	task, err := e.svc.GetTask(e.ctx, "ta", id)
	require.NoError(t, err)
	return task
}

func (e *env) waitStatus(t *testing.T, id int64, want tc.Status) *tc.Task {
	t.Helper()
	var task *tc.Task
	waitFor(t, "task to become "+string(want), func() bool {
		task = e.get(t, id)
		return task.Status == want
	})
	return task
}

func (e *env) events(t *testing.T, id int64) []*tc.Event {
	t.Helper()
	events, err := e.svc.TaskEvents(e.ctx, "ta", id)
	require.NoError(t, err)
	return events
}

// steps renders a history as FROM>TO, for comparisons.
func steps(events []*tc.Event) []string {
	var out []string
	for _, ev := range events {
		if ev.From != ev.To {
			out = append(out, string(ev.From)+">"+string(ev.To))
		}
	}
	return out
}

// TestListRepeatedFilters: a type or status repeated tens of thousands of
// times, as a request may ask, is one value to the store (SQLite takes at
// most 32,766 values in a statement).
func TestListRepeatedFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		e.submit(t, "Noop", []string{"i0"}, nil)
		e.submit(t, tc.TypeReboot, []string{"i1"}, nil)
		f := &tc.TaskFilter{Tenant: "ta", Limit: 10}
		for range 20000 {
			f.Statuses = append(f.Statuses, tc.StatusInitial, tc.StatusWaiting)
			f.Types = append(f.Types, "Noop", tc.TypeReboot)
		}
		page, err := e.svc.ListTasks(e.ctx, f)
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
		require.Len(t, page.Tasks, 2)
		require.Len(t, f.Statuses, 40000, "the caller's filter is left as it was")
	})
}

// TestDrainEndsClaimWaits: a server shutting down answers the long polls
// in progress at once, and later claims do not wait; a ready task is still
// handed out. WaitingClaims counts the long polls.
func TestDrainEndsClaimWaits(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		claim := func() ([]*tc.Task, error) {
			return e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Types: []string{"Noop"}, Max: 1, Wait: time.Minute})
		}
		done := make(chan error, 1)
		go func() {
			tasks, err := claim()
			if err == nil && len(tasks) > 0 {
				err = errors.New("a task came from nowhere")
			}
			done <- err
		}()
		require.Eventually(t, func() bool { return e.svc.WaitingClaims() == 1 }, 30*time.Second, 5*time.Millisecond)
		e.svc.Drain()
		select {
		case err := <-done:
			require.NoError(t, err, "the waiting claim is answered, empty")
		case <-time.After(30 * time.Second):
			t.Fatal("the waiting claim was not answered")
		}
		require.Zero(t, e.svc.WaitingClaims())
		_, err := e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Types: []string{"Noop"}, Max: 1, Wait: time.Minute})
		require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(err), "a claim after the drain does not wait: %v", err)
		task := e.submit(t, "Noop", []string{"i0"}, nil)
		tasks, err := claim()
		require.NoError(t, err)
		require.Len(t, tasks, 1, "what is ready is still handed out")
		require.Equal(t, task.ID, tasks[0].ID)
	})
}

// TestBootstrapAdminOnce: replicas starting together on an empty store make
// one admin credential between them.
func TestBootstrapAdminOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		store := open(t)
		const replicas = 4
		created := make(chan bool, replicas)
		var wg sync.WaitGroup
		startLine := make(chan struct{})
		for range replicas {
			svc := engine.New(store, engine.Config{})
			wg.Go(func() {
				<-startLine
				_, ok, err := svc.BootstrapAdmin(context.Background(), "")
				assert.NoError(t, err)
				created <- ok
			})
		}
		close(startLine)
		wg.Wait()
		close(created)
		n := 0
		for ok := range created {
			if ok {
				n++
			}
		}
		require.Equal(t, 1, n, "one replica made the admin")
		admins, err := store.CredentialCount(context.Background(), tc.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, 1, admins)
	})
}

// TestCredentialChosenID: a credential made under a chosen id is found by
// it, with a random secret; the id cannot be taken twice, and one that the
// signatures would have to escape is refused.
func TestCredentialChosenID(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		ctx := context.Background()
		svc := engine.New(open(t), engine.Config{})
		p := &tc.CreateCredentialParams{ID: "AKIDchosen0001", Tenant: "ta", Kind: tc.KindTencent, Role: tc.RoleReader}
		cred, secret, err := svc.CreateCredential(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "AKIDchosen0001", cred.ID)
		require.Len(t, secret, 32)
		got, err := svc.Credential(ctx, "AKIDchosen0001")
		require.NoError(t, err)
		require.Equal(t, secret, got.Secret)

		_, _, err = svc.CreateCredential(ctx, &tc.CreateCredentialParams{ID: "AKIDchosen0001", Tenant: "ta",
			Kind: tc.KindTencent, Role: tc.RoleReader})
		require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err), "error: %v", err)
		got, err = svc.Credential(ctx, "AKIDchosen0001")
		require.NoError(t, err)
		require.Equal(t, secret, got.Secret, "the first one stays")

		for _, id := range []string{"a/b0", "AKID chosen", "abc", strings.Repeat("a", 65)} {
			_, _, err = svc.CreateCredential(ctx, &tc.CreateCredentialParams{ID: id, Tenant: "ta", Kind: tc.KindNative})
			require.Equal(t, tc.EINVALID, tc.ErrorCode(err), "id %q", id)
			require.Equal(t, "id", tc.ErrorField(err))
		}
	})
}
