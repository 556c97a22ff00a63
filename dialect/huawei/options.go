package huawei

import (
	"io"
	"log/slog"
	"time"
)

// Options configures the handler. The zero value answers in UTC, without a
// rate limit, logging nothing.
type Options struct {
	// Location is the zone of the times in answers, written with their
	// offset: 2024-05-02T10:41:14+0800 in Asia/Shanghai. nil means UTC.
	Location *time.Location
	// Limiter, when set, is asked once per authenticated request, with the
	// key "huawei:" + credential id + ":" + action (ListTasks or ShowJobDetail).
	Limiter interface{ Allow(key string) bool }
	// Logger receives server faults and, at debug level, why a request was
	// refused. Secrets and signatures are never logged.
	Logger *slog.Logger
	// Now is the clock that X-Sdk-Date is checked against; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
