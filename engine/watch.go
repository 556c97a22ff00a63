package engine

import (
	"cmp"
	"slices"
	"sync"

	tc "github.com/taskcenter/taskcenter"
)

// watch is one subscriber of a Feed: a bounded queue of the changes that
// pass its filter, and a channel that says the queue has something.
//
// It keeps where its client stands: every change it selects up to pos has
// been queued, but for the seqs in pending, which the feed had not read (on
// PostgreSQL a seq commits in any order) and may still hand over. Each
// queued change carries that position's pending seqs below it, so that a
// client resuming after it asks for them again.
type watch struct {
	feed     *Feed
	filter   tc.TaskFilter
	max      int           // changes queued at most
	maxBytes int           // and the most their tasks may come to (taskBytes)
	ready    chan struct{} // capacity 1: one pending wake-up is enough
	stopCtx  func() bool

	mu       sync.Mutex
	queue    []*tc.TaskChange
	bytes    int // of the queued changes' tasks
	pos      int64
	pending  map[int64]bool
	ranges   []tc.SeqRange // pending as ranges, nil when it changed since
	resuming bool          // the replay runs: the feed's hand-overs wait in held
	held     []handOver    // in order
	err      error
}

// handOver is a part of changes the feed hands over, with the seqs it had
// not read below its cursor then (ascending) and that cursor.
type handOver struct {
	changes []*tc.TaskChange
	gaps    []int64
	cursor  int64
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

// push queues the changes of a hand-over that pass the filter and that
// the client has not had; a subscriber that lets its queue overflow is
// failed rather than slowing the feed down. While the watch replays, the
// hand-over waits for the replay.
func (w *watch) push(h handOver) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.resuming {
		w.held = append(w.held, h)
		return
	}
	if w.accept(h, true) {
		w.wake()
	}
}

// accept queues what push queues, and reports whether it queued anything or
// failed the watch. A replay (bounded=false) is bounded by the feed's
// backlog limits instead of the queue's. Then it forgets the pending seqs
// that the feed no longer awaits: read by now (and handed over, or not
// selected), or given up.
func (w *watch) accept(h handOver, bounded bool) bool {
	n := 0
	for _, c := range h.changes {
		seq := c.Event.Seq
		if w.err != nil || !w.filter.Match(c) || seq <= w.pos && !w.pending[seq] {
			continue
		}
		size := taskBytes(c.Task)
		if bounded && (len(w.queue) >= w.max || len(w.queue) > 0 && w.bytes+size > w.maxBytes) {
			w.err, w.queue, w.bytes = tc.Errorf(tc.EUNAVAILABLE, "the subscriber fell behind: reload"), nil, 0
			break
		}
		if seq > w.pos {
			lo, _ := slices.BinarySearch(h.gaps, w.pos+1)
			for _, g := range h.gaps[lo:] {
				if g >= seq {
					break
				}
				w.pending[g], w.ranges = true, nil
			}
			w.pos = seq
		}
		if w.pending[seq] {
			delete(w.pending, seq)
			w.ranges = nil
		}
		given := *c
		given.Pending = w.pendingBelow(seq)
		w.queue, w.bytes = append(w.queue, &given), w.bytes+size
		n++
	}
	for p := range w.pending {
		if _, awaited := slices.BinarySearch(h.gaps, p); !awaited && p <= h.cursor {
			delete(w.pending, p)
			w.ranges = nil
		}
	}
	return n > 0 || w.err != nil
}

// pendingBelow returns the pending seqs below seq as ascending ranges.
// The slices it returns are shared by the changes it gave them to, and
// never written.
func (w *watch) pendingBelow(seq int64) []tc.SeqRange {
	if len(w.pending) == 0 {
		return nil
	}
	if w.ranges == nil {
		w.ranges = pendingRanges(w.pending)
	}
	k, _ := slices.BinarySearchFunc(w.ranges, seq, func(r tc.SeqRange, seq int64) int { return cmp.Compare(r.From, seq) })
	below := w.ranges[:k:k]
	if k > 0 && below[k-1].To >= seq {
		below = append(slices.Clone(below[:k-1]), tc.SeqRange{From: below[k-1].From, To: seq - 1})
	}
	return below
}

// pendingRanges returns pending seqs as ascending ranges, the highest
// MaxPendingRanges of them and at most MaxPendingSeqs seqs: the feed gives
// up older ones first.
func pendingRanges(pending map[int64]bool) []tc.SeqRange {
	seqs := make([]int64, 0, len(pending))
	for p := range pending {
		seqs = append(seqs, p)
	}
	slices.Sort(seqs)
	if len(seqs) > tc.MaxPendingSeqs {
		seqs = seqs[len(seqs)-tc.MaxPendingSeqs:]
	}
	var out []tc.SeqRange
	for _, p := range seqs {
		if k := len(out) - 1; k >= 0 && out[k].To == p-1 {
			out[k].To = p
		} else {
			out = append(out, tc.SeqRange{From: p, To: p})
		}
	}
	if len(out) > tc.MaxPendingRanges {
		out = out[len(out)-tc.MaxPendingRanges:]
	}
	return out
}

// replayed queues the changes of the replay ahead of the hand-overs held
// meanwhile, holes being the seqs the replay found missing above the one
// the watch resumed after (they may still come), and ends the replay.
func (w *watch) replayed(changes []*tc.TaskChange, holes []int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The holes stay pending until a hand-over of the feed says otherwise.
	queued := w.accept(handOver{changes: changes, gaps: holes, cursor: 0}, false)
	for _, h := range w.held {
		queued = w.accept(h, true) || queued
	}
	w.held, w.resuming = nil, false
	if queued {
		w.wake()
	}
}

func (w *watch) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err, w.queue, w.bytes = err, nil, 0
	}
	w.held, w.resuming = nil, false
	w.wake()
}

func (w *watch) wake() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}
