package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Causes of a handler's context ending on the server's word.
var (
	errCanceled  = errors.New("task canceled")
	errPaused    = errors.New("task paused")
	errLeaseLost = errors.New("lease lost")
	// errTimedOut: the lease ended with the attempt's timeout (tc.LeaseEnd).
	errTimedOut = fmt.Errorf("attempt timed out: %w", context.DeadlineExceeded)
)

// run runs one claimed task: the handler, heartbeats beside it, and the
// report of the outcome.
func (w *Worker) run(parent context.Context, t *tc.Task) {
	lease := tc.TaskLease{Tenant: t.Tenant, ID: t.ID, WorkerID: w.cfg.ID, Attempt: t.Attempts, Claim: t.Claims}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	if t.Timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, t.Timeout)
		defer stop()
	}
	hb := &heartbeat{w: w, lease: lease, progress: t.Progress, kick: make(chan struct{}, 1), until: t.LeaseExpiresAt}
	if t.Timeout > 0 && !t.ClaimedAt.IsZero() { // a server that does not say when leaves it unknown
		hb.timeoutAt = t.ClaimedAt.Add(t.Timeout)
	}
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); hb.loop(ctx, cancel) }()

	result, err := w.call(ctx, t, hb.report)
	cancel(nil) // ends the heartbeats; a cause set before stays
	<-hbDone
	w.settle(lease, context.Cause(ctx), result, err)
}

// call runs the handler, turning a panic into a failure.
func (w *Worker) call(ctx context.Context, t *tc.Task, report Reporter) (res *Result, err error) {
	h, ok := w.handlers[t.Type]
	if !ok {
		return nil, &Failure{Code: -1, Message: fmt.Sprintf("no handler for type %q", t.Type)}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &Failure{Code: -1, Message: fmt.Sprintf("handler panicked: %v", p), Retryable: true}
		}
	}()
	return h(ctx, t, report)
}

// settle reports the outcome, unless the server already decided it.
func (w *Worker) settle(lease tc.TaskLease, cause error, result *Result, err error) {
	var send func(ctx context.Context) error
	switch {
	case errors.Is(cause, errLeaseLost):
		w.cfg.Logger.Info("task stopped", "task", lease.ID, "cause", cause)
		return
	case errors.Is(cause, errCanceled), errors.Is(cause, errPaused),
		// The handler has stopped: say so, and the task is KILLED or PAUSED.
		errors.Is(cause, errStopped) && err != nil:
		// Or it was interrupted by the stop: another worker runs it again. A
		// handler that finished anyway is reported below like any other.
		send = func(ctx context.Context) error { _, err := w.svc.ReleaseTask(ctx, &lease); return err }
	case err == nil:
		if result == nil {
			result = &Result{}
		}
		p := &tc.CompleteParams{TaskLease: lease, Code: result.Code, Message: result.Message, AttachInfo: result.AttachInfo}
		send = func(ctx context.Context) error { _, err := w.svc.CompleteTask(ctx, p); return err }
	default:
		f := &Failure{Code: -1, Message: err.Error(), Retryable: true}
		if !errors.As(err, &f) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(cause, errTimedOut)) {
			f.Message = "attempt timed out"
		}
		p := &tc.FailParams{TaskLease: lease, Code: f.Code, Message: f.Message, Retryable: f.Retryable}
		send = func(ctx context.Context) error { _, err := w.svc.FailTask(ctx, p); return err }
	}
	if err := report(send); err != nil {
		w.cfg.Logger.Warn("report task outcome", "task", lease.ID, "err", err)
	}
}

// reportFor bounds the tries of one report; reports outlive the worker's own
// stop, so they have a context of their own.
const reportFor = 30 * time.Second

// report sends an outcome, and sends it again while the server or the way to
// it fails for a moment (the store unavailable, a dropped connection): a
// finished handler's result must not be lost to a blip, nor the task run
// again. A refusal (the lease lost, say) is final. A report that reached
// the server before its answer was lost is refused when sent again, as the
// task has moved on.
func report(send func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), reportFor)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		err := send(ctx)
		switch tc.ErrorCode(err) {
		case tc.EUNAVAILABLE, tc.EINTERNAL, tc.ERATELIMIT:
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// heartbeat extends a running task's lease and carries its progress.
type heartbeat struct {
	w     *Worker
	lease tc.TaskLease
	kick  chan struct{} // a report asks for an early heartbeat
	until time.Time     // the lease's end as last renewed; zero when unknown
	// timeoutAt is the end of the attempt's timeout, where leases end; zero
	// when the task has none.
	timeoutAt time.Time

	mu       sync.Mutex
	progress int
	message  string
}

func (h *heartbeat) report(progress int, message string) {
	h.mu.Lock()
	h.progress, h.message = min(max(progress, 0), 100), message
	h.mu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// minBeat keeps reports of a chatty handler from flooding the server.
const minBeat = 200 * time.Millisecond

func (h *heartbeat) loop(ctx context.Context, stop context.CancelCauseFunc) {
	tick := time.NewTicker(h.w.cfg.Heartbeat)
	defer tick.Stop()
	last := time.Time{}
	for {
		// Past the lease's end the server rescues the task and may hand it to
		// another worker: stop rather than run it twice.
		var lapse <-chan time.Time
		if !h.until.IsZero() {
			lapse = time.After(time.Until(h.until)) // a timer no longer referenced is collected
		}
		select {
		case <-ctx.Done():
			return
		case <-lapse:
			if !h.timeoutAt.IsZero() && !h.until.Before(h.timeoutAt) {
				stop(errTimedOut) // the lease could not run past the timeout: report it
				return
			}
			h.w.cfg.Logger.Warn("lease lapsed without a renewal", "task", h.lease.ID)
			stop(errLeaseLost)
			return
		case <-tick.C:
		case <-h.kick:
			if wait := minBeat - time.Since(last); wait > 0 {
				sleep(ctx, wait)
			}
		}
		last = time.Now()
		h.mu.Lock()
		p := &tc.HeartbeatParams{TaskLease: h.lease, Progress: h.progress, Message: h.message}
		h.mu.Unlock()
		res, err := h.w.svc.Heartbeat(ctx, p)
		switch {
		case ctx.Err() != nil:
			return
		case tc.ErrorCode(err) == tc.ECONFLICT || tc.ErrorCode(err) == tc.ENOTFOUND:
			stop(errLeaseLost)
			return
		case err != nil:
			h.w.cfg.Logger.Warn("heartbeat", "task", h.lease.ID, "err", err) // the lease outlives a few misses
		case res.CancelRequested:
			stop(errCanceled)
			return
		case res.PauseRequested:
			stop(errPaused)
			return
		case !res.LeaseExpiresAt.IsZero():
			h.until = res.LeaseExpiresAt
		}
	}
}
