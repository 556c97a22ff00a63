package taskcenter

import (
	"context"
	"slices"
)

// TaskChange is one event of a task's history together with the task as it
// stood when the change was read: what the event stream and the console show.
type TaskChange struct {
	Event *Event
	Task  *Task
	// Pending are the seqs below Event.Seq that the subscriber may still be
	// handed: on PostgreSQL a seq is taken at insert and committed in any
	// order, and these had not been read when this change was handed over.
	// A subscriber that resumes after this change names them
	// (WatchParams.Pending) to get those that came meanwhile. Ascending, at
	// most MaxPendingRanges; empty on SQLite.
	Pending []SeqRange
}

// SeqRange is the event seqs From to To, both included.
type SeqRange struct{ From, To int64 }

// MaxPendingRanges and MaxPendingSeqs bound the Pending of a change: a
// subscriber's resume reads them again.
const (
	MaxPendingRanges = 16
	MaxPendingSeqs   = 10_000
)

// CheckPending refuses pending ranges that no change has: not ascending,
// not all below seq, or more than the bounds.
func CheckPending(seq int64, pending []SeqRange) error {
	if len(pending) > MaxPendingRanges {
		return Invalidf("pending", "at most %d ranges of seqs", MaxPendingRanges)
	}
	var last, seqs int64
	for _, r := range pending {
		if r.From <= last || r.To < r.From || r.To >= seq {
			return Invalidf("pending", "the ranges of seqs must be ascending, apart and below %d", seq)
		}
		last, seqs = r.To, seqs+r.To-r.From+1
	}
	if seqs > MaxPendingSeqs {
		return Invalidf("pending", "at most %d seqs", MaxPendingSeqs)
	}
	return nil
}

// WatchParams are the inputs of TaskWatcher.WatchTasks.
type WatchParams struct {
	// Filter selects the changes: Tenant (required; AllTenants for an
	// administrator), InstanceID, Types, AsyncRequestID and the creation
	// times match the task; Statuses match the status the event moved to.
	// The cursor, offset and limit fields are ignored.
	Filter TaskFilter
	// AfterSeq, when positive, first replays the stored changes after that
	// seq (an event stream's Last-Event-ID).
	AfterSeq int64
	// Pending, with AfterSeq, are the seqs at or below it that the
	// subscriber has not had: the Pending of the change at AfterSeq. Those
	// stored since are replayed too.
	Pending []SeqRange
}

// TaskWatcher streams task changes as they are stored. The engine's Feed
// implements it; transports find it next to the Service.
type TaskWatcher interface {
	// WatchTasks subscribes to the changes that p selects, until ctx ends or
	// the watch is closed.
	WatchTasks(ctx context.Context, p *WatchParams) (TaskWatch, error)
}

// TaskWatch is one subscription of a TaskWatcher.
type TaskWatch interface {
	// Ready is signalled when Next has changes or an error to return.
	Ready() <-chan struct{}
	// Next returns the changes queued since the last call, oldest first, or
	// EUNAVAILABLE when the subscriber fell behind or the feed stopped: the
	// subscriber should then reload what it shows and subscribe again.
	Next() ([]*TaskChange, error)
	// Close ends the subscription.
	Close()
}

// Match reports whether a change passes the filter of a watch: the same
// tenant (or AllTenants), and every criterion that is set.
func (f *TaskFilter) Match(c *TaskChange) bool {
	t, e := c.Task, c.Event
	switch {
	case t == nil || e == nil:
		return false
	case f.Tenant != AllTenants && (f.Tenant == "" || t.Tenant != f.Tenant || e.Tenant != f.Tenant):
		return false
	case f.ID != 0 && t.ID != f.ID:
		return false
	case f.InstanceID != "" && !slices.Contains(t.InstanceIDs, f.InstanceID):
		return false
	case len(f.Types) > 0 && !slices.Contains(f.Types, t.Type):
		return false
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.To):
		return false
	case f.AsyncRequestID != "" && t.AsyncRequestID != f.AsyncRequestID:
		return false
	case !f.CreatedAfter.IsZero() && t.CreatedAt.Before(f.CreatedAfter):
		return false
	case !f.CreatedBefore.IsZero() && !t.CreatedAt.Before(f.CreatedBefore):
		return false
	}
	return true
}
