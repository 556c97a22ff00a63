package engine

import (
	"sync"

	tc "github.com/taskcenter/taskcenter"
)

// watch is one subscriber of a Feed: a bounded queue of the changes that
// pass its filter, and a channel that says the queue has something.
type watch struct {
	feed    *Feed
	filter  tc.TaskFilter
	max     int
	ready   chan struct{} // capacity 1: one pending wake-up is enough
	stopCtx func() bool

	mu    sync.Mutex
	queue []*tc.TaskChange
	seen  map[int64]bool // seqs replayed, so the live feed does not repeat them
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
	w.queue = nil
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

// push queues the changes that pass the filter; a subscriber that lets its
// queue overflow is failed rather than slowing the feed down.
func (w *watch) push(changes []*tc.TaskChange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range changes {
		if w.err != nil || !w.filter.Match(c) || w.seen[c.Event.Seq] {
			continue
		}
		if len(w.queue) >= w.max {
			w.err, w.queue = tc.Errorf(tc.EUNAVAILABLE, "the subscriber fell behind: reload"), nil
			break
		}
		w.queue = append(w.queue, c)
		n++
	}
	if n > 0 || w.err != nil {
		w.wake()
	}
}

// prepend puts replayed changes ahead of the live ones queued meanwhile,
// dropping live ones that the replay already holds.
func (w *watch) prepend(changes []*tc.TaskChange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = map[int64]bool{}
	var q []*tc.TaskChange
	for _, c := range changes {
		if w.filter.Match(c) {
			q = append(q, c)
		}
		w.seen[c.Event.Seq] = true
	}
	for _, c := range w.queue {
		if !w.seen[c.Event.Seq] {
			q = append(q, c)
		}
	}
	w.queue = q
	if len(q) > 0 {
		w.wake()
	}
}

func (w *watch) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err, w.queue = err, nil
	}
	w.wake()
}

func (w *watch) wake() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}
