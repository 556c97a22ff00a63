// Package engine is the taskcenter Service over a Store: it validates what
// callers submit, applies the state transitions operators ask for, and
// issues credentials.
package engine

import (
	"cmp"
	"context"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Config tunes the engine. The zero value is usable: every field has a default.
type Config struct {
	// DefaultMaxAttempts applies to tasks whose type and submission set none.
	DefaultMaxAttempts int
	// DefaultTimeout bounds one attempt when neither type nor submission does.
	DefaultTimeout time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.DefaultMaxAttempts = cmp.Or(c.DefaultMaxAttempts, 3)
	c.DefaultTimeout = cmp.Or(c.DefaultTimeout, time.Hour)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Service implements taskcenter.Service.
type Service struct {
	store tc.Store
	cfg   Config
}

var _ tc.Service = (*Service)(nil)

// New returns a Service over store.
func New(store tc.Store, cfg Config) *Service {
	return &Service{store: store, cfg: cfg.withDefaults()}
}

// now returns the clock's time at the stores' millisecond precision, in UTC.
func (s *Service) now() time.Time {
	return s.cfg.Now().UTC().Truncate(time.Millisecond)
}

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }
