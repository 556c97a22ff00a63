package taskcenter

import (
	"slices"
	"time"
)

// QueueEntry is an exclusive task as the per-instance queues see it.
type QueueEntry struct {
	ID          int64
	Status      Status
	RunAfter    time.Time
	InstanceIDs []string
}

// HoldsInstances reports whether an exclusive task in status s keeps its
// instances from every other exclusive task: it is ready or running.
func HoldsInstances(s Status) bool { return s == StatusInitial || s == StatusRunning }

// PlanPromotions decides which WAITING exclusive tasks become INITIAL now.
// Entries are the exclusive tasks on a set of instances; a ready or running
// one holds its instances, and a waiting one whose time has come takes its
// instances when all of them are free. Waiting tasks are considered in
// submission (id) order, and one that cannot start yet still keeps its
// instances from younger tasks, so tasks start in the order they came. At
// most one exclusive task per instance is ever ready or running.
func PlanPromotions(entries []QueueEntry, now time.Time) []int64 {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b QueueEntry) int { return compareIDs(a.ID, b.ID) })
	taken := map[string]bool{}
	for _, e := range entries {
		if HoldsInstances(e.Status) {
			for _, id := range e.InstanceIDs {
				taken[id] = true
			}
		}
	}
	var promote []int64
	for _, e := range entries {
		if e.Status != StatusWaiting || e.RunAfter.After(now) {
			continue
		}
		free := true
		for _, id := range e.InstanceIDs {
			free = free && !taken[id]
		}
		if free {
			promote = append(promote, e.ID)
		}
		for _, id := range e.InstanceIDs {
			taken[id] = true
		}
	}
	return promote
}

func compareIDs(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
