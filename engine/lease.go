package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// ClaimTasks leases up to p.Max ready tasks to a worker. When none is ready
// it waits up to p.Wait: woken at once by work made ready in this process,
// and polling for work made ready by other replicas. Drain answers the
// waiting claims, empty; a claim that finds nothing once Drain was called
// is EUNAVAILABLE, so that workers pause (or try another replica) rather
// than ask again at once.
func (s *Service) ClaimTasks(ctx context.Context, p *tc.ClaimParams) ([]*tc.Task, error) {
	if p.WorkerID == "" || len(p.WorkerID) > 128 {
		return nil, tc.Invalidf("worker_id", "worker_id must be 1 to 128 bytes")
	}
	if p.Max < 1 || p.Max > tc.MaxClaim {
		return nil, tc.Invalidf("max", "max must be between 1 and %d", tc.MaxClaim)
	}
	deadline := time.Now().Add(p.Wait)
	for waiting := false; ; {
		wake := s.ready.wait() // before the claim, so no broadcast is missed
		tasks, err := s.store.TaskClaim(ctx, &tc.TaskClaimParams{Tenant: p.Tenant, WorkerID: p.WorkerID,
			Types: p.Types, Max: p.Max, Lease: s.cfg.Lease, Now: s.now()})
		left := time.Until(deadline)
		if err != nil || len(tasks) > 0 || left <= 0 {
			return tasks, err
		}
		select {
		case <-s.draining:
			return nil, tc.Errorf(tc.EUNAVAILABLE, "the server is shutting down")
		default:
		}
		if !waiting {
			waiting = true
			s.waiting.Add(1)
			defer s.waiting.Add(-1)
		}
		timer := time.NewTimer(min(left, s.cfg.PollInterval))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, nil
		case <-s.draining:
			timer.Stop()
			return nil, nil
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Heartbeat extends the worker's lease and records progress and message.
// A canceled or paused task answers so, and the worker stops. The lease is
// not extended past the end of the attempt's timeout (tc.LeaseEnd).
func (s *Service) Heartbeat(ctx context.Context, p *tc.HeartbeatParams) (*tc.HeartbeatResult, error) {
	if p.Progress < 0 || p.Progress > 100 {
		return nil, tc.Invalidf("progress", "progress must be between 0 and 100")
	}
	if err := validateMessage(p.Message); err != nil {
		return nil, err
	}
	var res tc.HeartbeatResult
	now := s.now()
	_, err := s.leased(ctx, &p.TaskLease, "", now, func(t *tc.Task) error {
		if err := holds(t, &p.TaskLease); err != nil {
			return err
		}
		// Asked to stop: the lease is not extended, so a worker that never
		// says it stopped loses the task when the lease runs out.
		if t.CancelRequested || t.PauseRequested {
			res.CancelRequested, res.PauseRequested = t.CancelRequested, t.PauseRequested
			return errStop
		}
		t.LeaseExpiresAt = tc.LeaseEnd(t, now, s.cfg.Lease)
		res.LeaseExpiresAt = t.LeaseExpiresAt
		t.Progress, t.Message = p.Progress, p.Message
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// errStop ends an update that has nothing to write.
var errStop = tc.Errorf(tc.ECONFLICT, "stop")

// CompleteTask makes a leased task SUCCEED with its result.
func (s *Service) CompleteTask(ctx context.Context, p *tc.CompleteParams) (*tc.Task, error) {
	if err := validateAttach(p.AttachInfo); err != nil {
		return nil, err
	}
	if err := validateMessage(p.Message); err != nil {
		return nil, err
	}
	now := s.now()
	return s.leased(ctx, &p.TaskLease, "", now, func(t *tc.Task) error {
		if err := holds(t, &p.TaskLease); err != nil {
			return err
		}
		t.Code, t.Message, t.AttachInfo = p.Code, p.Message, p.AttachInfo
		return t.Transition(tc.StatusSucceed, now)
	})
}

// FailTask ends an attempt with an error. While attempts remain and the
// error is retryable, the task is ready again after an exponential backoff
// with jitter; otherwise it is FAILED with the code and message.
func (s *Service) FailTask(ctx context.Context, p *tc.FailParams) (*tc.Task, error) {
	if err := validateMessage(p.Message); err != nil {
		return nil, err
	}
	now := s.now()
	return s.leased(ctx, &p.TaskLease, "", now, func(t *tc.Task) error {
		if err := holds(t, &p.TaskLease); err != nil {
			return err
		}
		t.Code, t.Message = p.Code, p.Message
		if stopped, err := settleStop(t, now); stopped {
			return err // canceled or paused: no retry
		}
		return s.fail(t, now, p.Code, p.Message, p.Retryable)
	})
}

// fail records a failed attempt on a RUNNING task: a retry or the end.
func (s *Service) fail(t *tc.Task, now time.Time, code int, message string, retryable bool) error {
	if code == 0 {
		code = -1
	}
	t.Code, t.Message = code, message
	if retryable && t.Attempts < t.MaxAttempts {
		t.RunAfter = now.Add(s.backoff(t.Attempts))
		return t.Transition(tc.StatusInitial, now)
	}
	return t.Transition(tc.StatusFailed, now)
}

// backoff is the wait before attempt n+1: RetryBase doubled per attempt,
// capped at RetryMax, with ±20% jitter so retries of many tasks spread out.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase << min(max(attempts-1, 0), 30)
	if d <= 0 || d > s.cfg.RetryMax {
		d = s.cfg.RetryMax
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter).Truncate(time.Millisecond)
}

// ReleaseTask gives a leased task back, ready at once, without counting the
// attempt. A task asked to stop is settled instead: KILLED or PAUSED.
func (s *Service) ReleaseTask(ctx context.Context, p *tc.TaskLease) (*tc.Task, error) {
	now := s.now()
	return s.leased(ctx, p, "released by its worker", now, func(t *tc.Task) error {
		if err := holds(t, p); err != nil {
			return err
		}
		if stopped, err := settleStop(t, now); stopped {
			return err
		}
		t.Attempts--
		t.RunAfter = time.Time{}
		return t.Transition(tc.StatusInitial, now)
	})
}

// leased applies fn to a task in one transaction and wakes waiting claims
// when the task may have freed an instance or become ready.
func (s *Service) leased(ctx context.Context, l *tc.TaskLease, note string, now time.Time, fn func(*tc.Task) error) (*tc.Task, error) {
	res := s.updates.do(ctx, &tc.TaskUpdateParams{
		Tenant: l.Tenant, ID: l.ID, Actor: l.WorkerID, Now: now, Note: note, Update: fn,
	})
	task, err := res.Task, res.Err
	switch {
	case tc.ErrorCode(err) == tc.ENOTFOUND:
		return nil, tc.Errorf(tc.ENOTFOUND, "task %d not found", l.ID)
	case err == nil && task.Status != tc.StatusRunning:
		s.ready.broadcast()
	}
	return task, err
}

// holds refuses a worker that no longer holds the task's lease. The claim
// is what names a lease for good: a release or a pause gives the attempt
// back, so the same worker's next claim may have the same attempt. A report
// that names neither is checked by worker alone.
func holds(t *tc.Task, l *tc.TaskLease) error {
	if t.Status != tc.StatusRunning || t.LeaseOwner != l.WorkerID {
		return tc.Errorf(tc.ECONFLICT, "task %d is %s and not leased to worker %q", t.ID, t.Status, l.WorkerID)
	}
	if l.Attempt != 0 && l.Attempt != t.Attempts {
		return tc.Errorf(tc.ECONFLICT, "task %d is at attempt %d, not %d", t.ID, t.Attempts, l.Attempt)
	}
	if l.Claim != 0 && l.Claim != t.Claims {
		return tc.Errorf(tc.ECONFLICT, "task %d is at claim %d, not %d", t.ID, t.Claims, l.Claim)
	}
	return nil
}

// MaxMessage bounds the message a worker reports with a task.
const MaxMessage = 4096

func validateMessage(m string) error {
	if len(m) > MaxMessage {
		return tc.Invalidf("message", "message must be at most %d bytes", MaxMessage)
	}
	return nil
}

func validateAttach(list []tc.Attach) error {
	if len(list) > 64 {
		return tc.Invalidf("attach_info", "attach_info may hold at most 64 entries")
	}
	for _, a := range list {
		if a.Key == "" || len(a.Key) > 128 || len(a.Value) > 4096 {
			return tc.Invalidf("attach_info", "every attach_info entry needs a key of at most 128 bytes and a value of at most 4096")
		}
	}
	return nil
}
