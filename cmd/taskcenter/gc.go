package main

import "runtime/debug"

// The collector's defaults for taskcenter's processes. The server's live
// heap is small (tens of MiB with 10 million tasks: SQLite's pages live
// outside it), so Go's default, a collection each time the heap doubles,
// runs the collector tens of times a second under load: a fifth of the CPU
// of signed per-instance lists. Collecting when the heap has grown fivefold
// cuts that, and the soft limit makes the collector work harder instead of
// letting a large live heap grow fivefold. GOGC and GOMEMLIMIT, when set,
// are left to the runtime.
const (
	gcPercent   = 400
	memoryLimit = 128 << 20
)

// tuneGC applies the collector's defaults that the environment leaves unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
