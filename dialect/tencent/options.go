package tencent

import (
	"io"
	"log/slog"
	"strings"
	"time"
)

// Options configures the handler. Every field may be left zero.
type Options struct {
	// Location is the zone of StartTime, EndTime, StartTimeBegin and
	// StartTimeEnd ("yyyy-MM-dd HH:mm:ss" carries none); nil means UTC.
	Location *time.Location
	// Limiter bounds the requests of one credential to one action, keyed
	// "tencent:<SecretId>:<Action>"; nil means no limit.
	Limiter interface{ Allow(key string) bool }
	// Logger gets internal errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock that signature timestamps are checked against; nil
	// means time.Now.
	Now func() time.Time
}

// withDefaults fills what is still empty.
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

// lang is the language of answers' messages.
type lang int

const (
	langEN lang = iota
	langZH
)

// parseLang reads X-TC-Language or Language: zh-CN (any "zh" form) gives
// Chinese, anything else English.
func parseLang(s string) lang {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "zh") {
		return langZH
	}
	return langEN
}
