package engine

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// MaintenanceConfig tunes the background maintenance.
type MaintenanceConfig struct {
	// Interval between rounds of rescue and promotion.
	Interval time.Duration
	// Retention is how long ended tasks are kept; 0 means 90 days.
	Retention time.Duration
	// PruneEvery is the interval between prunings.
	PruneEvery time.Duration
	// RoundTimeout bounds one round, 1 minute by default: a round stuck on a
	// lock (another replica's transaction that never ends, say) gives up and
	// the next one tries again, rather than holding the lease forever.
	RoundTimeout time.Duration
	Logger       *slog.Logger
}

// Maintenance rescues tasks whose lease expired or whose attempt timed out,
// promotes waiting tasks whose time has come, and prunes ended tasks past
// the retention. One replica at a time runs it: each round first takes a
// lease row in the store.
type Maintenance struct {
	svc   *Service
	cfg   MaintenanceConfig
	owner string

	cancel    context.CancelFunc
	done      sync.WaitGroup
	lastPrune time.Time
}

const maintenanceLease = "maintenance"

// NewMaintenance returns the maintenance of svc; Start runs it.
func (s *Service) NewMaintenance(cfg MaintenanceConfig) *Maintenance {
	cfg.Interval = cmp.Or(cfg.Interval, time.Second)
	cfg.Retention = cmp.Or(cfg.Retention, 90*24*time.Hour)
	cfg.PruneEvery = cmp.Or(cfg.PruneEvery, 10*time.Minute)
	cfg.RoundTimeout = cmp.Or(cfg.RoundTimeout, time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Maintenance{svc: s, cfg: cfg, owner: "maintenance-" + rand.Text()[:12]}
}

// Start runs maintenance rounds on a ticker until Stop or ctx ends.
func (m *Maintenance) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		tick := time.NewTicker(m.cfg.Interval)
		defer tick.Stop()
		for {
			if err := m.safeRound(ctx); err != nil && ctx.Err() == nil {
				m.cfg.Logger.Warn("maintenance round", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Stop ends the maintenance and waits for the round in progress.
func (m *Maintenance) Stop() {
	if m.cancel != nil {
		m.cancel()
	}
	m.done.Wait()
}

// safeRound runs a round; a panic in it is logged as an error rather than
// taking the whole server down, and the next round tries again.
func (m *Maintenance) safeRound(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return m.Round(ctx)
}

// Round runs one round if this replica holds the maintenance lease.
// nonceGrace is how long after their expiry the shared store's Nonces are
// kept: longer than the replicas' clocks may differ.
const nonceGrace = 5 * time.Minute

func (m *Maintenance) Round(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.RoundTimeout)
	defer cancel()
	now := m.svc.now()
	held, err := m.svc.store.LeaseAcquire(ctx, maintenanceLease, m.owner, now, 3*m.cfg.Interval+5*time.Second)
	if err != nil || !held {
		return err
	}
	rescued, err := m.svc.RescueExpired(ctx)
	if err != nil {
		return fmt.Errorf("rescue: %w", err)
	}
	promoted, err := m.svc.store.TaskPromoteDue(ctx, now)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if promoted > 0 {
		m.svc.ready.broadcast()
	}
	pruned := 0
	if now.Sub(m.lastPrune) >= m.cfg.PruneEvery {
		if pruned, err = m.svc.store.TaskPrune(ctx, now.Add(-m.cfg.Retention), 10000); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		m.lastPrune = now
	}
	if err := m.svc.store.TaskCountsCompact(ctx); err != nil {
		return fmt.Errorf("compact task counts: %w", err)
	}
	if m.svc.shared != nil {
		// Each replica refuses a Nonce until its own clock passes the
		// record's expiry; this one's clock may run ahead of another's.
		if _, err := m.svc.shared.NoncePrune(ctx, now.Add(-nonceGrace)); err != nil {
			return fmt.Errorf("prune nonces: %w", err)
		}
		if _, err := m.svc.shared.TicketPrune(ctx, now); err != nil {
			return fmt.Errorf("prune stream tickets: %w", err)
		}
	}
	if rescued+promoted+pruned > 0 {
		m.cfg.Logger.Info("maintenance", "rescued", rescued, "promoted", promoted, "pruned", pruned)
	}
	return nil
}

// RescueExpired ends the attempts of running tasks whose lease expired (the
// worker died or lost touch, or the attempt reached its timeout, where
// leases end): each is a failed attempt, retried while attempts remain,
// FAILED after the last, unless a cancel or pause was asked for.
func (s *Service) RescueExpired(ctx context.Context) (int, error) {
	now := s.now()
	refs, err := s.store.TaskExpired(ctx, now, 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, ref := range refs {
		_, err := s.store.TaskUpdate(ctx, &tc.TaskUpdateParams{Tenant: ref.Tenant, ID: ref.ID, Actor: tc.ActorEngine, Now: now,
			Update: func(t *tc.Task) error { return s.rescue(t, now) }})
		switch {
		case errors.Is(err, errStop):
		case err != nil:
			// One task that cannot be rescued must not hold back the others.
			errs = append(errs, fmt.Errorf("task %d: %w", ref.ID, err))
		default:
			n++
		}
	}
	if n > 0 {
		s.ready.broadcast()
	}
	return n, errors.Join(errs...)
}

// rescue ends the current attempt of a task whose lease expired: KILLED or
// PAUSED when that was asked for, else a failed attempt. A lease never runs
// past the attempt's timeout (tc.LeaseEnd), so a timed-out attempt has lost
// its lease too; while a lease holds, its worker may still be at work, and
// neither the task nor an exclusive task's instances are given to another
// (a lease taken before leases ended at the timeout runs its course).
// errStop when there is nothing to do.
func (s *Service) rescue(t *tc.Task, now time.Time) error {
	if t.Status != tc.StatusRunning || !now.After(t.LeaseExpiresAt) {
		return errStop
	}
	if stopped, err := settleStop(t, now); stopped {
		return err // asked to stop, and the worker is gone or silent
	}
	if t.Timeout > 0 && now.Sub(t.ClaimedAt) >= t.Timeout {
		return s.fail(t, now, -1, fmt.Sprintf("attempt %d timed out after %s", t.Attempts, t.Timeout), true)
	}
	return s.fail(t, now, -1, fmt.Sprintf("attempt %d lost its worker %s: the lease expired", t.Attempts, t.LeaseOwner), true)
}
