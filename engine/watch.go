package engine

import (
	"sync"

	tc "github.com/taskcenter/taskcenter"
)

// watch is one subscriber of a Feed: a bounded queue of the changes that
// pass its filter, and a channel that says the queue has something.
type watch struct {
	feed     *Feed
	filter   tc.TaskFilter
	max      int            // changes queued at most
	maxBytes int            // and the most their tasks may come to (taskBytes)
	after    tc.EventCursor // where a resumed watch began: the client has the changes it has
	ready    chan struct{}  // capacity 1: one pending wake-up is enough
	stopCtx  func() bool

	mu    sync.Mutex
	queue []*tc.TaskChange
	bytes int             // of the queued changes' tasks
	seen  map[int64]bool  // seqs replayed, so the live feed does not repeat them
	base  *tc.EventCursor // of a resumed watch once replayed: what its client has besides the live changes
	err   error
}

var _ tc.TaskWatch = (*watch)(nil)

// Ready is signalled when Next has changes or an error.
func (w *watch) Ready() <-chan struct{} { return w.ready }

// Next returns the queued changes, or the error that ended the watch.
func (w *watch) Next() ([]*tc.TaskChange, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	q := w.queue
	w.queue, w.bytes = nil, 0
	return q, nil
}

// Close ends the subscription.
func (w *watch) Close() {
	// The context's AfterFunc may call Close before WatchTasks stored stopCtx.
	w.mu.Lock()
	stop := w.stopCtx
	w.mu.Unlock()
	if stop != nil {
		stop()
	}
	w.feed.remove(w)
}

// push queues the changes that pass the filter, but for those the client
// had before it resumed (those after has: a feed behind the client's
// Last-Event-ID, on another replica than the one it came from, hands them
// over after the newer ones the replay held) and those the replay held; a
// subscriber that lets its queue overflow is failed rather than slowing the
// feed down.
func (w *watch) push(changes []*tc.TaskChange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range changes {
		if w.err != nil || !w.filter.Match(c) || w.after.Has(c.Event.Seq) || w.seen[c.Event.Seq] {
			continue
		}
		size := taskBytes(c.Task)
		if len(w.queue) >= w.max || len(w.queue) > 0 && w.bytes+size > w.maxBytes {
			w.err, w.queue, w.bytes = tc.Errorf(tc.EUNAVAILABLE, "the subscriber fell behind: reload"), nil, 0
			break
		}
		w.queue, w.bytes = append(w.queue, w.resumed(c)), w.bytes+size
		n++
	}
	if n > 0 || w.err != nil {
		w.wake()
	}
}

// resumed returns a live change as this watch hands it over: for a resumed
// watch, a copy whose cursor also counts what its client had and what the
// replay held. The feed's change is shared by every watch.
func (w *watch) resumed(c *tc.TaskChange) *tc.TaskChange {
	if w.base == nil {
		return c
	}
	return &tc.TaskChange{Event: c.Event, Task: c.Task, Cursor: w.base.Union(c.Cursor)}
}

// prepend puts replayed changes ahead of the live ones queued meanwhile,
// dropping live ones that the replay already holds; base is where the
// client stands after the replay.
func (w *watch) prepend(changes []*tc.TaskChange, base tc.EventCursor) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen, w.base = map[int64]bool{}, &base
	var q []*tc.TaskChange
	size := 0
	for _, c := range changes {
		if w.filter.Match(c) {
			q, size = append(q, c), size+taskBytes(c.Task)
		}
		w.seen[c.Event.Seq] = true
	}
	for _, c := range w.queue {
		if !w.seen[c.Event.Seq] {
			q, size = append(q, w.resumed(c)), size+taskBytes(c.Task)
		}
	}
	w.queue, w.bytes = q, size
	if len(q) > 0 {
		w.wake()
	}
}

func (w *watch) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err, w.queue, w.bytes = err, nil, 0
	}
	w.wake()
}

func (w *watch) wake() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}
