package worker_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/sqlite"
	"github.com/taskcenter/taskcenter/worker"
)

// unreachable is a WorkerService whose heartbeats never get through, as
// during a network partition; everything else reaches the engine.
type unreachable struct{ *engine.Service }

func (unreachable) Heartbeat(context.Context, *tc.HeartbeatParams) (*tc.HeartbeatResult, error) {
	return nil, errors.New("connection refused")
}

// service is an engine with leases of lease on a new SQLite store that
// holds instance i1 of tenant ta; no maintenance runs.
func service(t *testing.T, lease time.Duration) *engine.Service {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, store.Migrate(t.Context()))
	t.Cleanup(func() { store.Close() })
	svc := engine.New(store, engine.Config{Lease: lease})
	_, err = svc.PutInstance(t.Context(), &tc.Instance{ID: "i1", Tenant: "ta"})
	require.NoError(t, err)
	return svc
}

// waitStatus polls tenant ta's task id until it has status want.
func waitStatus(t *testing.T, svc *engine.Service, id int64, want tc.Status) *tc.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		task, err := svc.GetTask(t.Context(), "ta", id)
		require.NoError(t, err)
		if task.Status == want {
			return task
		}
		require.True(t, time.Now().Before(deadline), "the task is still %s", task.Status)
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeaseLapseStopsHandler: a worker that cannot renew its lease stops the
// handler when the lease ends, since the task is then rescued and may run
// elsewhere.
func TestLeaseLapseStopsHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := service(t, 400*time.Millisecond)

	stopped := make(chan error, 1)
	w := worker.New(unreachable{svc}, worker.Config{ID: "w", Tenant: tc.AllTenants, Heartbeat: 50 * time.Millisecond, Wait: 100 * time.Millisecond})
	w.Handle(tc.TypeReboot, func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	w.Start(ctx)
	t.Cleanup(w.Stop)
	_, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: []string{"i1"}})
	require.NoError(t, err)
	select {
	case cause := <-stopped:
		require.ErrorContains(t, cause, "lease lost")
	case <-time.After(30 * time.Second):
		t.Fatal("the handler ran on past its lease")
	}
}

// TestTimeoutReported: a lease ends with the attempt's timeout
// (tc.LeaseEnd), and the worker then stops the handler and reports the
// timeout itself; no maintenance runs here to do it for the worker.
func TestTimeoutReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := service(t, 10*time.Second)

	w := worker.New(svc, worker.Config{ID: "w", Tenant: tc.AllTenants, Heartbeat: 50 * time.Millisecond, Wait: 100 * time.Millisecond})
	w.Handle(tc.TypeReboot, func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	w.Start(ctx)
	t.Cleanup(w.Stop)
	task, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: []string{"i1"},
		Timeout: 200 * time.Millisecond, MaxAttempts: 1})
	require.NoError(t, err)
	task = waitStatus(t, svc, task.ID, tc.StatusFailed)
	require.Equal(t, "attempt timed out", task.Message)
	events, err := svc.TaskEvents(ctx, "ta", task.ID)
	require.NoError(t, err)
	require.Equal(t, "w", events[len(events)-1].Actor, "the worker reported it")
}

// flaky is a WorkerService whose first reports of an outcome fail as when
// the database drops out for a moment.
type flaky struct {
	*engine.Service
	fails atomic.Int32
}

func (f *flaky) CompleteTask(ctx context.Context, p *tc.CompleteParams) (*tc.Task, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, tc.Errorf(tc.EUNAVAILABLE, "complete task: database unavailable")
	}
	return f.Service.CompleteTask(ctx, p)
}

// TestReportOutlivesBlip: a handler's result is reported again while the
// server cannot take it, so the task succeeds once rather than being
// rescued and run again.
func TestReportOutlivesBlip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := service(t, 10*time.Second)
	f := &flaky{Service: svc}
	f.fails.Store(3)
	var runs atomic.Int32
	w := worker.New(f, worker.Config{ID: "w", Tenant: tc.AllTenants, Heartbeat: 50 * time.Millisecond, Wait: 100 * time.Millisecond})
	w.Handle(tc.TypeReboot, func(context.Context, *tc.Task, worker.Reporter) (*worker.Result, error) {
		runs.Add(1)
		return &worker.Result{Message: "restarted"}, nil
	})
	w.Start(ctx)
	t.Cleanup(w.Stop)
	task, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: []string{"i1"}, MaxAttempts: 1})
	require.NoError(t, err)
	task = waitStatus(t, svc, task.ID, tc.StatusSucceed)
	require.Equal(t, "restarted", task.Message)
	require.Equal(t, int32(1), runs.Load())
	require.Less(t, f.fails.Load(), int32(0), "the failed reports were sent again")
}

// recording is a WorkerService that keeps the leases of the reports it
// passes on.
type recording struct {
	*engine.Service
	mu     sync.Mutex
	leases []tc.TaskLease
}

func (r *recording) record(l tc.TaskLease) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leases = append(r.leases, l)
}

func (r *recording) Heartbeat(ctx context.Context, p *tc.HeartbeatParams) (*tc.HeartbeatResult, error) {
	r.record(p.TaskLease)
	return r.Service.Heartbeat(ctx, p)
}

func (r *recording) CompleteTask(ctx context.Context, p *tc.CompleteParams) (*tc.Task, error) {
	r.record(p.TaskLease)
	return r.Service.CompleteTask(ctx, p)
}

// TestReportsCarryClaim: the worker's reports name the claim they belong
// to, which tells them from the reports of an earlier claim of the same
// worker whose attempt was given back.
func TestReportsCarryClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := service(t, 10*time.Second)
	task, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: []string{"i1"}})
	require.NoError(t, err)
	first, err := svc.ClaimTasks(ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Max: 1})
	require.NoError(t, err)
	require.Len(t, first, 1)
	_, err = svc.ReleaseTask(ctx, &tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "w", Claim: first[0].Claims})
	require.NoError(t, err)

	r := &recording{Service: svc}
	w := worker.New(r, worker.Config{ID: "w", Tenant: tc.AllTenants, Heartbeat: 20 * time.Millisecond, Wait: 100 * time.Millisecond})
	w.Handle(tc.TypeReboot, func(ctx context.Context, _ *tc.Task, report worker.Reporter) (*worker.Result, error) {
		report(50, "half")
		for {
			r.mu.Lock()
			n := len(r.leases)
			r.mu.Unlock()
			if n > 0 {
				return nil, nil
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	w.Start(ctx)
	t.Cleanup(w.Stop)
	waitStatus(t, svc, task.ID, tc.StatusSucceed)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.GreaterOrEqual(t, len(r.leases), 2, "a heartbeat and the completion")
	for _, l := range r.leases {
		require.Equal(t, tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "w", Attempt: 1, Claim: 2}, l)
	}
}
