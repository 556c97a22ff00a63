package tencent

import (
	"strings"

	"github.com/taskcenter/taskcenter/dialect"
)

// Options configure the handler: the zone of StartTime, EndTime,
// StartTimeBegin and StartTimeEnd ("yyyy-MM-dd HH:mm:ss" carries none), and
// the limiter keyed "tencent:<SecretId>:<Action>".
type Options = dialect.Options

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
