package qcloud

import (
	"log/slog"
	"time"
)

// Options configure the API 2.0 handler. The zero value is usable.
type Options struct {
	// Location is the zone of the "yyyy-MM-dd HH:mm:ss" times in answers
	// (startTime, endTime); nil means UTC.
	Location *time.Location
	// Limiter, when set, is asked once per authenticated request with the key
	// "qcloud:" + SecretId + ":" + Action; a refusal answers code 4400.
	Limiter interface{ Allow(key string) bool }
	// Logger receives the failures of the store behind the service; nil
	// discards them. Secrets and signatures are never logged.
	Logger *slog.Logger
	// Now is the clock the Timestamp is checked against; nil means time.Now.
	Now func() time.Time
}

// withDefaults fills what is unset.
func (o Options) withDefaults() Options {
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
