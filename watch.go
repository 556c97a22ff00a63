package taskcenter

import (
	"context"
	"slices"
)

// TaskChange is one event of a task's history together with the task as it
// stood when the change was read: what the event stream and the console show.
// Cursor is where a subscriber that was handed this change stands: a stream
// resumed from it replays what the subscriber lacks, and only that.
type TaskChange struct {
	Event  *Event
	Task   *Task
	Cursor EventCursor
}

// WatchParams are the inputs of TaskWatcher.WatchTasks.
type WatchParams struct {
	// Filter selects the changes: Tenant (required; AllTenants for an
	// administrator), InstanceID, Types, AsyncRequestID and the creation
	// times match the task; Statuses match the status the event moved to.
	// The cursor, offset and limit fields are ignored.
	Filter TaskFilter
	// After, when its Seq is positive, first replays the stored changes a
	// subscriber at that cursor lacks (an event stream's Last-Event-ID).
	After EventCursor
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
