// Package dialect holds what the vendor-compatible APIs (tencent, qcloud,
// huawei) share: their options.
package dialect

import (
	"log/slog"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Limiter bounds the requests of one key: a dialect, a credential and an action.
type Limiter interface{ Allow(key string) bool }

// Options configure a dialect's handler. The zero value is usable.
type Options struct {
	// Location is the zone of the wall-clock times the dialect reads and
	// writes; nil means UTC.
	Location *time.Location
	// Limiter, when set, is asked once per authenticated request with the key
	// "<dialect>:<credential id>:<action>"; nil means no limit.
	Limiter Limiter
	// Logger receives faults of the service behind the handler; nil discards
	// them. Secrets and signatures are never logged.
	Logger *slog.Logger
	// Now is the clock that signature timestamps are checked against; nil
	// means time.Now.
	Now func() time.Time
	// Nonces, when set, is the store shared by every replica, where the
	// dialects whose signatures carry a Nonce record it besides their own
	// cache; nil means this process serves every request.
	Nonces tc.NonceStore
}

// WithDefaults fills what is unset.
func (o Options) WithDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
