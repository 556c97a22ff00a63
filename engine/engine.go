// Package engine is the taskcenter Service over a Store: it validates what
// callers submit, applies the state transitions operators ask for, and
// issues credentials.
package engine

import (
	"cmp"
	"context"
	"sync"
	"sync/atomic"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Config tunes the engine. The zero value is usable: every field has a default.
type Config struct {
	// DefaultMaxAttempts applies to tasks whose type and submission set none.
	DefaultMaxAttempts int
	// DefaultTimeout bounds one attempt when neither type nor submission does.
	DefaultTimeout time.Duration
	// Lease is how long a claim or heartbeat holds a task for its worker.
	Lease time.Duration
	// RetryBase and RetryMax bound the exponential backoff between attempts.
	RetryBase, RetryMax time.Duration
	// PollInterval is how often a waiting claim looks for work that another
	// replica made ready; work made ready in this process wakes it at once.
	PollInterval time.Duration
	// BatchSize bounds the writes grouped in one transaction, and
	// BatchFlushers the batches written at once (see batcher).
	BatchSize, BatchFlushers int
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.DefaultMaxAttempts = cmp.Or(c.DefaultMaxAttempts, 3)
	c.DefaultTimeout = cmp.Or(c.DefaultTimeout, time.Hour)
	c.Lease = cmp.Or(c.Lease, 30*time.Second)
	c.RetryBase = cmp.Or(c.RetryBase, time.Second)
	c.RetryMax = cmp.Or(c.RetryMax, 5*time.Minute)
	c.PollInterval = cmp.Or(c.PollInterval, time.Second)
	c.BatchSize = cmp.Or(c.BatchSize, 128)
	c.BatchFlushers = cmp.Or(c.BatchFlushers, 1)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Service implements taskcenter.Service.
type Service struct {
	store   tc.Store
	shared  tc.SharedStore // the store, when several replicas share it: its expired Nonces and tickets are pruned
	cfg     Config
	ready   *signal // wakes waiting claims when tasks may have become ready
	changed *signal // wakes the Feed when this process has written task events
	inserts *batcher[*tc.TaskInsertParams]
	updates *batcher[*tc.TaskUpdateParams]
	creds   credCache

	draining  chan struct{} // closed by Drain: claims no longer wait
	drainOnce sync.Once
	waiting   atomic.Int64 // claims waiting for work
}

var _ tc.Service = (*Service)(nil)

// New returns a Service over store.
func New(store tc.Store, cfg Config) *Service {
	changed := newSignal()
	cfg = cfg.withDefaults()
	ns := notifyingStore{store, changed}
	shared, _ := store.(tc.SharedStore)
	return &Service{store: ns, shared: shared, cfg: cfg, ready: newSignal(), changed: changed,
		inserts:  newBatcher(cfg.BatchSize, cfg.BatchFlushers, ns.TaskInsertMany),
		updates:  newBatcher(cfg.BatchSize, cfg.BatchFlushers, ns.TaskUpdateMany),
		draining: make(chan struct{}),
	}
}

// WaitingClaims returns how many workers' claims wait for work in this
// process: long polls that found nothing ready yet.
func (s *Service) WaitingClaims() int { return int(s.waiting.Load()) }

// Drain ends the waits of the claims in progress and keeps later claims from
// waiting: a server shutting down answers its workers' long polls at once,
// with what is ready, instead of holding its shutdown for them.
func (s *Service) Drain() { s.drainOnce.Do(func() { close(s.draining) }) }

// now returns the clock's time at the stores' millisecond precision, in UTC.
func (s *Service) now() time.Time {
	return s.cfg.Now().UTC().Truncate(time.Millisecond)
}

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }
