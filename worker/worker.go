// Package worker runs task handlers: it claims tasks of the types it has
// handlers for, runs each with a context, sends heartbeats with progress,
// and reports the outcome. It works over any taskcenter.WorkerService: the
// engine in the same process, or the native API's client for a remote agent.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Handler runs one attempt of a task. It reports progress through report,
// and returns the result, or an error: a *Failure says its code and whether
// to retry; any other error is retried while attempts remain. The context
// ends when the task is canceled or paused, its lease is lost, its timeout
// passes, or the worker stops.
type Handler func(ctx context.Context, task *tc.Task, report Reporter) (*Result, error)

// Reporter records a task's progress (0 to 100) and a message; the next
// heartbeat carries them.
type Reporter func(progress int, message string)

// Result is the outcome of a successful attempt.
type Result struct {
	Code       int
	Message    string
	AttachInfo []tc.Attach
}

// Failure is an error of an attempt with its result code.
type Failure struct {
	Code      int
	Message   string
	Retryable bool
}

// Error implements the error interface.
func (f *Failure) Error() string { return fmt.Sprintf("task failed: %d %s", f.Code, f.Message) }

// Config tunes a worker; every field has a default.
type Config struct {
	ID          string        // the lease owner; default host-pid
	Tenant      string        // the tenant to work for; in process, AllTenants
	Concurrency int           // handlers running at once; default 8
	Heartbeat   time.Duration // between heartbeats; default 5s, well inside the lease
	Wait        time.Duration // how long one claim waits for work; default 20s
	// Grace is how long Stop waits for running handlers before canceling
	// them and giving their tasks back; default 10s.
	Grace  time.Duration
	Logger *slog.Logger
}

// Worker claims and runs tasks.
type Worker struct {
	svc      tc.WorkerService
	cfg      Config
	handlers map[string]Handler

	slots   chan struct{}
	cancel  context.CancelFunc // stops claiming
	abort   context.CancelCauseFunc
	running sync.WaitGroup
	loop    sync.WaitGroup
}

// Cause of a handler's context ending when the worker stops.
var errStopped = errors.New("worker stopped")

// New returns a worker over svc; register handlers with Handle, then Start.
func New(svc tc.WorkerService, cfg Config) *Worker {
	host, _ := os.Hostname()
	cfg.ID = cmp.Or(cfg.ID, fmt.Sprintf("%s-%d", cmp.Or(host, "worker"), os.Getpid()))
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 8)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, 5*time.Second)
	cfg.Wait = cmp.Or(cfg.Wait, 20*time.Second)
	cfg.Grace = cmp.Or(cfg.Grace, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{svc: svc, cfg: cfg, handlers: map[string]Handler{}}
}

// Handle registers the handler of a task type; call it before Start.
func (w *Worker) Handle(taskType string, h Handler) { w.handlers[taskType] = h }

// ID returns the worker's id, the owner of its leases.
func (w *Worker) ID() string { return w.cfg.ID }

// Start claims and runs tasks until Stop or ctx ends.
func (w *Worker) Start(ctx context.Context) {
	types := make([]string, 0, len(w.handlers))
	for t := range w.handlers {
		types = append(types, t)
	}
	w.slots = make(chan struct{}, w.cfg.Concurrency)
	for range w.cfg.Concurrency {
		w.slots <- struct{}{}
	}
	runCtx, abort := context.WithCancelCause(context.WithoutCancel(ctx))
	claimCtx, cancel := context.WithCancel(ctx)
	w.cancel, w.abort = cancel, abort
	w.loop.Add(1)
	go func() {
		defer w.loop.Done()
		w.claimLoop(claimCtx, runCtx, types)
	}()
}

// Stop stops claiming, waits up to the grace period for running handlers,
// then cancels the rest and gives their tasks back.
func (w *Worker) Stop() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.loop.Wait()
	done := make(chan struct{})
	go func() { w.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.Grace):
		w.abort(errStopped)
		<-done
	}
	w.abort(errStopped)
}

func (w *Worker) claimLoop(ctx, runCtx context.Context, types []string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.slots:
		}
		free := 1
		for more := true; more && free < tc.MaxClaim; {
			select {
			case <-w.slots:
				free++
			default:
				more = false
			}
		}
		tasks, err := w.svc.ClaimTasks(ctx, &tc.ClaimParams{Tenant: w.cfg.Tenant, WorkerID: w.cfg.ID,
			Types: types, Max: free, Wait: w.cfg.Wait})
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("claim tasks", "worker", w.cfg.ID, "err", err)
			sleep(ctx, time.Second)
		}
		for _, t := range tasks {
			free--
			w.running.Add(1)
			go func() {
				defer func() { w.slots <- struct{}{}; w.running.Done() }()
				w.run(runCtx, t)
			}()
		}
		for range free {
			w.slots <- struct{}{}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
