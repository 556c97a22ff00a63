package huawei

import (
	"github.com/taskcenter/taskcenter/dialect"
)

// Options configure the handler: the zone of the times in answers, written
// with their offset (2024-05-02T10:41:14+0800 in Asia/Shanghai), and the
// limiter keyed "huawei:<credential id>:<action>".
type Options = dialect.Options
