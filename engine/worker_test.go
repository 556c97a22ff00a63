package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/worker"
)

// TestExactlyOnceAndExclusion: several workers, many tasks, some exclusive on
// shared instances. From the event history alone: every task ran to SUCCEED
// exactly once, and no two exclusive tasks ever ran on one instance at once.
func TestExactlyOnceAndExclusion(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		const tasks = 150
		var ids []int64
		for i := range tasks {
			typ := tc.TypeReboot // exclusive
			if i%3 == 0 {
				typ = "Noop"
			}
			insts := []string{instanceID(rand.IntN(5))}
			if i%10 == 0 {
				insts = append(insts, instanceID(5+rand.IntN(5)))
			}
			ids = append(ids, e.submit(t, typ, insts, nil).ID)
		}
		var calls atomic.Int64
		handler := func(ctx context.Context, task *tc.Task, report worker.Reporter) (*worker.Result, error) {
			calls.Add(1)
			report(50, "half way")
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
			return &worker.Result{Message: "done"}, nil
		}
		for w := range 4 {
			e.startWorker(t, fmt.Sprint("w", w), 4, map[string]worker.Handler{tc.TypeReboot: handler, "Noop": handler})
		}
		waitFor(t, "every task to succeed", func() bool {
			counts, err := e.svc.CountTasks(e.ctx, "ta")
			require.NoError(t, err)
			return counts[tc.StatusSucceed] == tasks
		})

		type interval struct {
			task       int64
			start, end int64 // event seqs
		}
		running := map[string][]interval{}
		for _, id := range ids {
			task := e.get(t, id)
			events := e.events(t, id)
			succeeded, start := 0, int64(0)
			for _, ev := range events {
				switch {
				case ev.To == tc.StatusRunning && ev.From != tc.StatusRunning:
					start = ev.Seq
				case ev.From == tc.StatusRunning && ev.To != tc.StatusRunning:
					if task.Exclusive {
						for _, inst := range task.InstanceIDs {
							running[inst] = append(running[inst], interval{id, start, ev.Seq})
						}
					}
					if ev.To == tc.StatusSucceed {
						succeeded++
					}
				}
			}
			require.Equal(t, 1, succeeded, "task %d succeeded %d times: %v", id, succeeded, steps(events))
			require.Equal(t, 100, task.Progress)
		}
		// A handler may run again if a lease expires on a starved machine;
		// completion stays exactly once, which the history above proves.
		require.GreaterOrEqual(t, calls.Load(), int64(tasks))
		for inst, list := range running {
			for i, a := range list {
				for _, b := range list[i+1:] {
					if !(a.end < b.start || b.end < a.start) {
						for _, id := range []int64{a.task, b.task} {
							for _, ev := range e.events(t, id) {
								t.Logf("task %d seq %d %s>%s %s", id, ev.Seq, ev.From, ev.To, ev.Actor)
							}
							t.Logf("task %d: %+v", id, e.get(t, id).InstanceIDs)
						}
					}
					require.True(t, a.end < b.start || b.end < a.start,
						"instance %s: tasks %d and %d ran at once", inst, a.task, b.task)
				}
			}
		}
	})
}

// TestExclusiveOrder: exclusive tasks on one instance start in submission order.
func TestExclusiveOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		var want []int64
		for range 8 {
			want = append(want, e.submit(t, tc.TypeModifyParam, []string{"i0"}, nil).ID)
		}
		var mu sync.Mutex
		var order []int64
		e.startWorker(t, "w", 4, map[string]worker.Handler{tc.TypeModifyParam: func(ctx context.Context, task *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			mu.Lock()
			order = append(order, task.ID)
			mu.Unlock()
			return nil, nil
		}})
		e.waitStatus(t, want[len(want)-1], tc.StatusSucceed)
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, want, order)
	})
}

// TestRescue: a worker that claims and vanishes loses the task when its lease
// expires; the attempt counts, and another worker finishes the task. With no
// attempts left, the rescue fails it.
func TestRescue(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		e.svc = engine.New(e.store, engine.Config{Lease: 150 * time.Millisecond, PollInterval: 20 * time.Millisecond})
		m := e.svc.NewMaintenance(engine.MaintenanceConfig{Interval: 20 * time.Millisecond})
		m.Start(e.ctx)
		t.Cleanup(m.Stop)
		task := e.submit(t, tc.TypeReboot, []string{"i1"}, nil)
		last := e.submit(t, tc.TypeReboot, []string{"i2"}, func(p *tc.SubmitTaskParams) { p.MaxAttempts = 1 })
		claimed, err := e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "ghost", Max: 10})
		require.NoError(t, err)
		require.Len(t, claimed, 2)

		rescued := e.waitStatus(t, task.ID, tc.StatusInitial)
		require.Equal(t, 1, rescued.Attempts, "the lost attempt counts")
		require.Contains(t, rescued.Message, "lease expired")
		failed := e.waitStatus(t, last.ID, tc.StatusFailed)
		require.Equal(t, 1, failed.Attempts)
		// The ghost's late report is refused.
		_, err = e.svc.CompleteTask(e.ctx, &tc.CompleteParams{TaskLease: tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "ghost"}})
		require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err))

		// The worker that finishes holds a lease long enough for a loaded
		// machine: a second rescue would count a third attempt.
		e.svc = engine.New(e.store, engine.Config{PollInterval: 20 * time.Millisecond})
		e.startWorker(t, "w", 1, map[string]worker.Handler{tc.TypeReboot: func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			return nil, nil
		}})
		done := e.waitStatus(t, task.ID, tc.StatusSucceed)
		require.Equal(t, 2, done.Attempts)
		require.Equal(t, []string{">INITIAL", "INITIAL>RUNNING", "RUNNING>INITIAL", "INITIAL>RUNNING", "RUNNING>SUCCEED"}, steps(e.events(t, task.ID)))
		require.Equal(t, tc.ActorEngine, e.events(t, task.ID)[2].Actor)
	})
}

// TestCancelReachesHandler: canceling a running task ends its handler's context.
func TestCancelReachesHandler(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		started, stopped := make(chan struct{}), make(chan error, 1)
		e.startWorker(t, "w", 1, map[string]worker.Handler{tc.TypeReboot: func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			close(started)
			<-ctx.Done()
			stopped <- context.Cause(ctx)
			return nil, ctx.Err()
		}})
		task := e.submit(t, tc.TypeReboot, []string{"i0"}, nil)
		<-started
		_, err := e.svc.CancelTask(e.ctx, "ta", task.ID, "operator")
		require.NoError(t, err)
		select {
		case cause := <-stopped:
			require.ErrorContains(t, cause, "canceled")
		case <-time.After(30 * time.Second):
			t.Fatal("the handler's context was not canceled")
		}
		// KILLED once the worker says its handler stopped, by the worker.
		e.waitStatus(t, task.ID, tc.StatusKilled)
		events := e.events(t, task.ID)
		require.Equal(t, []string{">INITIAL", "INITIAL>RUNNING", "RUNNING>KILLED"}, steps(events))
		require.Equal(t, "w", events[len(events)-1].Actor)
		var requested bool
		for _, ev := range events {
			requested = requested || (ev.Message == "cancel requested" && ev.Actor == "operator")
		}
		require.True(t, requested, "the history names who asked for the cancel")
	})
}

// TestPauseResume: pausing stops the handler; resuming runs the task again.
func TestPauseResume(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		var runs atomic.Int32
		started := make(chan struct{}, 2)
		e.startWorker(t, "w", 1, map[string]worker.Handler{tc.TypeUpgradeMaster: func(ctx context.Context, _ *tc.Task, report worker.Reporter) (*worker.Result, error) {
			if runs.Add(1) == 1 {
				report(30, "copying")
				started <- struct{}{}
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return &worker.Result{Message: "upgraded"}, nil
		}})
		task := e.submit(t, tc.TypeUpgradeMaster, []string{"i3"}, nil)
		<-started
		_, err := e.svc.PauseTask(e.ctx, "ta", task.ID, "operator")
		require.NoError(t, err)
		waitFor(t, "the handler to stop", func() bool { return e.get(t, task.ID).Status == tc.StatusPaused })
		time.Sleep(100 * time.Millisecond) // a paused task is not claimed again: nothing may change
		require.Equal(t, int32(1), runs.Load())
		require.Equal(t, tc.StatusPaused, e.get(t, task.ID).Status)
		_, err = e.svc.ResumeTask(e.ctx, "ta", task.ID, "operator")
		require.NoError(t, err)
		done := e.waitStatus(t, task.ID, tc.StatusSucceed)
		require.Equal(t, "upgraded", done.Message)
		require.Equal(t, int32(2), runs.Load())
		require.Equal(t, []string{">INITIAL", "INITIAL>RUNNING", "RUNNING>PAUSED", "PAUSED>WAITING", "WAITING>INITIAL",
			"INITIAL>RUNNING", "RUNNING>SUCCEED"}, steps(e.events(t, task.ID)))
	})
}

// TestRetries: a retryable failure is retried with growing backoff, then FAILED.
func TestRetries(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{RetryBase: 40 * time.Millisecond})
		e.startWorker(t, "w", 2, map[string]worker.Handler{
			tc.TypeImportData: func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
				return nil, &worker.Failure{Code: 42, Message: "disk full", Retryable: true}
			},
			tc.TypeDropTables: func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
				return nil, &worker.Failure{Code: 7, Message: "no such table", Retryable: false}
			},
		})
		task := e.submit(t, tc.TypeImportData, []string{"i0"}, func(p *tc.SubmitTaskParams) { p.MaxAttempts = 3 })
		permanent := e.submit(t, tc.TypeDropTables, []string{"i1"}, func(p *tc.SubmitTaskParams) { p.MaxAttempts = 3 })

		failed := e.waitStatus(t, task.ID, tc.StatusFailed)
		require.Equal(t, 3, failed.Attempts)
		require.Equal(t, 42, failed.Code)
		require.Equal(t, "disk full", failed.Message)
		events := e.events(t, task.ID)
		require.Equal(t, []string{">INITIAL", "INITIAL>RUNNING", "RUNNING>INITIAL", "INITIAL>RUNNING",
			"RUNNING>INITIAL", "INITIAL>RUNNING", "RUNNING>FAILED"}, steps(events))
		var claims []time.Time
		for _, ev := range events {
			if ev.To == tc.StatusRunning {
				claims = append(claims, ev.At)
			}
		}
		// Backoff doubles from 40ms, with at most 20% jitter below.
		require.GreaterOrEqual(t, claims[1].Sub(claims[0]), 32*time.Millisecond)
		require.GreaterOrEqual(t, claims[2].Sub(claims[1]), 64*time.Millisecond)

		p := e.waitStatus(t, permanent.ID, tc.StatusFailed)
		require.Equal(t, 1, p.Attempts, "a permanent failure is not retried")
		require.Equal(t, 7, p.Code)
	})
}

// TestTimeout: an attempt that outlives its timeout ends, on the worker's side
// and on the server's.
func TestTimeout(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		e.startWorker(t, "w", 1, map[string]worker.Handler{tc.TypeOpenGTID: func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}})
		task := e.submit(t, tc.TypeOpenGTID, []string{"i0"}, func(p *tc.SubmitTaskParams) {
			p.Timeout, p.MaxAttempts = 150*time.Millisecond, 1
		})
		failed := e.waitStatus(t, task.ID, tc.StatusFailed)
		require.Contains(t, failed.Message, "timed out")

		// A worker that ignores the deadline is stopped by the server.
		silent := e.submit(t, tc.TypeSwitchDRToMaster, []string{"i1"}, func(p *tc.SubmitTaskParams) {
			p.Timeout, p.MaxAttempts = 150*time.Millisecond, 1
		})
		_, err := e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "stuck", Types: []string{tc.TypeSwitchDRToMaster}, Max: 1})
		require.NoError(t, err)
		failed = e.waitStatus(t, silent.ID, tc.StatusFailed)
		require.Contains(t, failed.Message, "timed out")
		require.Equal(t, tc.ActorEngine, e.events(t, silent.ID)[2].Actor)
	})
}

// TestRunAfter: a task waits until its time, then runs.
func TestRunAfter(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		ran := make(chan time.Time, 1)
		e.startWorker(t, "w", 1, map[string]worker.Handler{"Noop": func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			ran <- time.Now()
			return nil, nil
		}})
		at := time.Now().Add(300 * time.Millisecond)
		task := e.submit(t, "Noop", []string{"i0"}, func(p *tc.SubmitTaskParams) { p.RunAfter = at })
		require.Equal(t, tc.StatusWaiting, task.Status)
		select {
		case when := <-ran:
			require.False(t, when.Before(at.Truncate(time.Millisecond)), "ran %s before its time", at.Sub(when))
		case <-time.After(30 * time.Second):
			t.Fatal("the task never ran")
		}
		e.waitStatus(t, task.ID, tc.StatusSucceed)
	})
}

// TestWorkerStopReleases: a stopping worker gives running tasks back
// without counting the attempt.
func TestWorkerStopReleases(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		started := make(chan struct{})
		w := worker.New(e.svc, worker.Config{ID: "w", Tenant: tc.AllTenants, Concurrency: 1, Grace: 50 * time.Millisecond,
			Heartbeat: 50 * time.Millisecond, Wait: 100 * time.Millisecond})
		w.Handle(tc.TypeReboot, func(ctx context.Context, _ *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			close(started)
			<-ctx.Done()
			return nil, errors.New("interrupted")
		})
		w.Start(e.ctx)
		task := e.submit(t, tc.TypeReboot, []string{"i0"}, nil)
		<-started
		w.Stop()
		got := e.get(t, task.ID)
		require.Equal(t, tc.StatusInitial, got.Status)
		require.Zero(t, got.Attempts, "a released attempt does not count")
	})
}

// TestLeaseAttempt: a worker that claims a task again after a rescue cannot
// settle the new attempt with a late report of the old one.
func TestLeaseAttempt(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{RetryBase: time.Millisecond})
		task := e.submit(t, "Noop", []string{"i0"}, func(p *tc.SubmitTaskParams) { p.MaxAttempts = 3 })
		claim := func() *tc.Task {
			var got []*tc.Task
			waitFor(t, "a claim", func() bool {
				var err error
				got, err = e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Max: 1})
				require.NoError(t, err)
				return len(got) == 1
			})
			return got[0]
		}
		first := claim()
		old := tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "w", Attempt: first.Attempts}
		_, err := e.svc.FailTask(e.ctx, &tc.FailParams{TaskLease: old, Message: "lost", Retryable: true})
		require.NoError(t, err)
		second := claim()
		require.Equal(t, 2, second.Attempts)
		_, err = e.svc.CompleteTask(e.ctx, &tc.CompleteParams{TaskLease: old})
		require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err), "the old attempt's report is refused")
		_, err = e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: old, Progress: 10})
		require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err))
		now := tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "w", Attempt: second.Attempts}
		done, err := e.svc.CompleteTask(e.ctx, &tc.CompleteParams{TaskLease: now})
		require.NoError(t, err)
		require.Equal(t, tc.StatusSucceed, done.Status)
	})
}

// TestCancelKeepsInstanceUntilStopped: the next exclusive task on an
// instance waits until a canceled task's handler has really stopped.
func TestCancelKeepsInstanceUntilStopped(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		a := e.submit(t, tc.TypeReboot, []string{"i5"}, nil)
		b := e.submit(t, tc.TypeReboot, []string{"i5"}, nil)
		started, noticed, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
		e.startWorker(t, "w", 2, map[string]worker.Handler{tc.TypeReboot: func(ctx context.Context, task *tc.Task, _ worker.Reporter) (*worker.Result, error) {
			if task.ID != a.ID {
				return nil, nil
			}
			close(started)
			<-ctx.Done()
			close(noticed)
			<-release // a handler that takes its time to stop
			return nil, ctx.Err()
		}})
		<-started
		_, err := e.svc.CancelTask(e.ctx, "ta", a.ID, "operator")
		require.NoError(t, err)
		<-noticed
		require.Equal(t, tc.StatusRunning, e.get(t, a.ID).Status)
		require.Equal(t, tc.StatusWaiting, e.get(t, b.ID).Status, "the instance is still held")
		close(release)
		e.waitStatus(t, a.ID, tc.StatusKilled)
		e.waitStatus(t, b.ID, tc.StatusSucceed)
	})
}

// TestWorkerWiderThanAClaim: a worker with more slots than one claim may
// lease fills them over several claims.
func TestWorkerWiderThanAClaim(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		testWorkerWiderThanAClaim(t, open(t))
	})
}

func testWorkerWiderThanAClaim(t *testing.T, store tc.Store) {
	e := setup(t, store, engine.Config{})
	const tasks = 2*tc.MaxClaim + 10
	for i := range tasks {
		e.submit(t, "Noop", []string{instanceID(i % 10)}, nil)
	}
	var running, most atomic.Int64
	release := make(chan struct{})
	handler := func(ctx context.Context, task *tc.Task, report worker.Reporter) (*worker.Result, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return &worker.Result{}, nil
	}
	e.startWorker(t, "wide", tc.MaxClaim+50, map[string]worker.Handler{"Noop": handler})
	waitFor(t, "every slot to be busy", func() bool { return running.Load() == tc.MaxClaim+50 })
	close(release)
	waitFor(t, "every task to succeed", func() bool {
		counts, err := e.svc.CountTasks(e.ctx, "ta")
		require.NoError(t, err)
		return counts[tc.StatusSucceed] == tasks
	})
	require.Equal(t, int64(tc.MaxClaim+50), most.Load())
}
