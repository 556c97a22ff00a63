//go:build !unix

package bench

import "time"

// processCPU reports that this platform does not tell a process's CPU time.
func processCPU() (time.Duration, bool) { return 0, false }
