package qcloud

import (
	"github.com/taskcenter/taskcenter/dialect"
)

// Options configure the API 2.0 handler: the zone of the "yyyy-MM-dd
// HH:mm:ss" times in answers, and the limiter keyed "qcloud:<SecretId>:<Action>"
// (a refusal answers code 4400).
type Options = dialect.Options
