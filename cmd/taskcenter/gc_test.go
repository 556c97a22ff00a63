package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTuneGC: the collector's defaults apply where GOGC and GOMEMLIMIT are
// unset, and a setting of the environment is left as the runtime read it.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	tuneGC(getenv)
	require.Equal(t, gcPercent, debug.SetGCPercent(100))
	require.Equal(t, int64(memoryLimit), debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(math.MaxInt64)
	env["GOGC"], env["GOMEMLIMIT"] = "50", "1GiB"
	tuneGC(getenv)
	require.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: the percent is the runtime's")
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "GOMEMLIMIT set: the limit is the runtime's")
}
