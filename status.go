package taskcenter

import "strings"

// Status is the state of a task. The canonical names are the Tencent Cloud API
// 3.0 TaskStatus strings; each dialect renames them.
type Status string

// The task states. UNDEFINED exists on the wire only and is never stored.
const (
	StatusWaiting   Status = "WAITING"
	StatusInitial   Status = "INITIAL"
	StatusRunning   Status = "RUNNING"
	StatusSucceed   Status = "SUCCEED"
	StatusFailed    Status = "FAILED"
	StatusKilled    Status = "KILLED"
	StatusRemoved   Status = "REMOVED"
	StatusPaused    Status = "PAUSED"
	StatusUndefined Status = "UNDEFINED"
)

// Statuses lists every state a task can be stored in, in display order.
var Statuses = []Status{
	StatusWaiting, StatusInitial, StatusRunning, StatusPaused,
	StatusSucceed, StatusFailed, StatusKilled, StatusRemoved,
}

// statusCodes are the Tencent integer codes; WAITING has none.
var statusCodes = map[Status]int{
	StatusUndefined: -1, StatusInitial: 0, StatusRunning: 1, StatusSucceed: 2,
	StatusFailed: 3, StatusKilled: 4, StatusRemoved: 5, StatusPaused: 6,
}

// transitions is the one table of allowed state changes. Every change of a
// task's status goes through Task.Transition, which consults it.
var transitions = map[Status][]Status{
	StatusWaiting: {StatusInitial, StatusPaused, StatusKilled},
	StatusInitial: {StatusWaiting, StatusRunning, StatusPaused, StatusKilled},
	// RUNNING goes back to INITIAL or WAITING for a retry or a rescued lease.
	StatusRunning: {StatusInitial, StatusWaiting, StatusSucceed, StatusFailed, StatusPaused, StatusKilled},
	StatusPaused:  {StatusInitial, StatusWaiting, StatusKilled},
	StatusSucceed: {StatusRemoved},
	StatusFailed:  {StatusRemoved},
	StatusKilled:  {StatusRemoved},
	StatusRemoved: nil,
}

// Valid reports whether s is a state a task can be stored in.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Terminal reports whether a task in state s will never run again.
func (s Status) Terminal() bool {
	switch s {
	case StatusSucceed, StatusFailed, StatusKilled, StatusRemoved:
		return true
	}
	return false
}

// CanTransition reports whether a task may move from s to to.
func (s Status) CanTransition(to Status) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Code returns the Tencent integer code of s; ok is false for WAITING.
func (s Status) Code() (code int, ok bool) {
	code, ok = statusCodes[s]
	return code, ok
}

// StatusFromCode returns the status with the given Tencent integer code.
func StatusFromCode(code int) (Status, bool) {
	for s, c := range statusCodes {
		if c == code {
			return s, true
		}
	}
	return "", false
}

// ParseStatus parses a status name, case-insensitively.
func ParseStatus(name string) (Status, error) {
	s := Status(strings.ToUpper(strings.TrimSpace(name)))
	if !s.Valid() {
		return "", Invalidf("status", "unknown status %q", name)
	}
	return s, nil
}
