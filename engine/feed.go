package engine

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// FeedConfig tunes a Feed. The zero value is usable.
type FeedConfig struct {
	// Poll is how often the feed reads the store for events written by
	// other replicas; events written in this process wake it at once.
	Poll time.Duration
	// GapWait is how long a seq missing below the highest one read is
	// looked for again: on PostgreSQL a transaction may commit its event
	// after a later one did. A seq that never shows (a rolled-back insert,
	// or a transaction longer than this) is given up.
	GapWait time.Duration
	// Batch bounds one read of the store.
	Batch int
	// MaxQueue bounds the changes waiting for one subscriber; a subscriber
	// that falls further behind is told to reload.
	MaxQueue int
	// MaxBacklog bounds the changes replayed for a Last-Event-ID.
	MaxBacklog int
	// MaxQueueBytes and MaxBacklogBytes bound the same by the size of the
	// changes' tasks (taskBytes): a task may carry hundreds of KiB, and a
	// thousand changes of such tasks must not be held for one subscriber.
	MaxQueueBytes, MaxBacklogBytes int
	Logger                         *slog.Logger
}

func (c FeedConfig) withDefaults() FeedConfig {
	c.Poll = cmp.Or(c.Poll, 250*time.Millisecond)
	c.GapWait = cmp.Or(c.GapWait, 10*time.Second)
	c.Batch = cmp.Or(c.Batch, 500)
	c.MaxQueue = cmp.Or(c.MaxQueue, 1000)
	c.MaxBacklog = cmp.Or(c.MaxBacklog, 1000)
	c.MaxQueueBytes = cmp.Or(c.MaxQueueBytes, 32<<20)
	c.MaxBacklogBytes = cmp.Or(c.MaxBacklogBytes, 32<<20)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Feed tails the store's task events, one reader per process whatever the
// number of subscribers, and hands each change to the subscribers whose
// filter it passes. It works across replicas because it reads the shared
// store, not this process's memory.
type Feed struct {
	svc *Service
	cfg FeedConfig

	mu      sync.Mutex
	watches map[*watch]struct{}
	cursor  int64 // highest seq read; -1 until known
	stopped bool

	gaps     map[int64]time.Time // seqs below cursor not read yet, and when first missed
	cancel   context.CancelFunc
	done     sync.WaitGroup
	stopOnce sync.Once
}

var _ tc.TaskWatcher = (*Feed)(nil)

// NewFeed returns the event feed of svc; Start runs it.
func (s *Service) NewFeed(cfg FeedConfig) *Feed {
	return &Feed{svc: s, cfg: cfg.withDefaults(), watches: map[*watch]struct{}{}, cursor: -1, gaps: map[int64]time.Time{}}
}

// Start reads the feed from the current end of the history until Stop or
// ctx ends. It reads where that end is before it returns, so a watch made
// after Start sees the changes stored after Start, unless that first read
// failed (it is then retried, and logged). On PostgreSQL a change whose seq
// was taken before Start but committed after it lies below that end: it is
// awaited as a gap (startGaps).
func (f *Feed) Start(ctx context.Context) {
	ctx, f.cancel = context.WithCancel(ctx)
	if err := f.poll(ctx); err != nil {
		f.cfg.Logger.Warn("event feed", "err", err)
	}
	f.done.Add(1)
	go func() {
		defer f.done.Done()
		f.run(ctx)
	}()
}

// Stop ends the feed and every watch: their subscribers are told the feed
// stopped, so event streams end and the server can shut down. It may be
// called more than once.
func (f *Feed) Stop() {
	f.stopOnce.Do(f.stop)
}

func (f *Feed) stop() {
	if f.cancel != nil {
		f.cancel()
	}
	f.done.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for w := range f.watches {
		w.fail(tc.Errorf(tc.EUNAVAILABLE, "the event feed stopped"))
	}
}

func (f *Feed) run(ctx context.Context) {
	ticker := time.NewTicker(f.cfg.Poll)
	defer ticker.Stop()
	for {
		wake := f.svc.changed.wait() // before the read, so no broadcast is missed
		if err := f.poll(ctx); err != nil && ctx.Err() == nil {
			f.cfg.Logger.Warn("event feed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-ticker.C:
		}
	}
}

// poll reads the events after the cursor, and those of the gaps still
// awaited, and delivers the ones not delivered before. A batch of events is
// delivered in parts of at most partTasks tasks, read at once, so that the
// feed holds one part's tasks at a time, however large they are.
func (f *Feed) poll(ctx context.Context) error {
	f.mu.Lock()
	cursor := f.cursor
	f.mu.Unlock()
	if cursor < 0 {
		seq, err := f.svc.store.EventSeq(ctx)
		if err != nil {
			return err
		}
		if err := f.startGaps(ctx, seq); err != nil {
			return err
		}
		f.setCursor(seq)
		return nil
	}
	from := cursor
	for g := range f.gaps {
		from = min(from, g-1)
	}
	now := time.Now()
	for {
		events, err := f.svc.store.EventsAfter(ctx, from, f.cfg.Batch)
		if err != nil {
			return err
		}
		// The gaps stay until their part is delivered: a failed read leaves
		// them for the next poll, which reads their events again.
		var fresh []*tc.Event
		read := cursor
		for _, e := range events {
			if _, gap := f.gaps[e.Seq]; gap || e.Seq > read {
				fresh = append(fresh, e)
			}
			for s := read + 1; s < e.Seq && len(f.gaps) < 10*f.cfg.Batch; s++ {
				if _, ok := f.gaps[s]; !ok { // a poll that failed may have missed it already
					f.gaps[s] = now
				}
			}
			read = max(read, e.Seq)
		}
		watched := f.watched(fresh)
		for len(fresh) > 0 {
			n, part := f.part(fresh, watched)
			changes, err := f.changes(ctx, part, 0)
			if err != nil {
				return err
			}
			f.setCursors(changes, cursor, fresh[:n])
			// The cursor passes the part's last event, and every event of
			// the batch before it: they are all delivered or unwatched.
			last := fresh[n-1].Seq
			cursor = max(cursor, last)
			f.deliver(changes, cursor)
			for _, e := range fresh[:n] {
				delete(f.gaps, e.Seq)
			}
			fresh, watched = fresh[n:], watched[len(part):]
		}
		cursor = max(cursor, read)
		f.setCursor(cursor)
		if len(events) < f.cfg.Batch {
			break
		}
		from = events[len(events)-1].Seq
	}
	for s, missed := range f.gaps {
		if now.Sub(missed) > f.cfg.GapWait {
			delete(f.gaps, s)
		}
	}
	return nil
}

// startGaps awaits, as gaps, the seqs missing among the last ones up to
// the feed's first cursor: on PostgreSQL some may be taken by transactions
// still open, whose changes would otherwise lie below the cursor, never
// delivered, and claimed by every cursor the feed hands out, so that a
// client resuming with such a gap in its id, as after a restart, would lose
// them. Like any gap, each is awaited for GapWait.
func (f *Feed) startGaps(ctx context.Context, seq int64) error {
	n := 10 * f.cfg.Batch // as many gaps as the feed tracks
	from := max(0, seq-int64(n))
	events, err := f.svc.store.EventsAfter(ctx, from, n)
	if err != nil {
		return err
	}
	now, next := time.Now(), from+1
	for _, e := range events {
		if e.Seq > seq {
			break
		}
		for ; next < e.Seq; next++ {
			f.gaps[next] = now
		}
		next = e.Seq + 1
	}
	for ; next <= seq; next++ {
		f.gaps[next] = now
	}
	return nil
}

// partTasks bounds the tasks the feed reads at once, and holds while it
// hands their changes over.
const partTasks = 64

// part returns how many of the fresh events the next part covers, and the
// watched ones among them (watched is the watched subsequence of fresh):
// those of at most partTasks tasks.
func (f *Feed) part(fresh, watched []*tc.Event) (int, []*tc.Event) {
	tasks := map[int64]bool{}
	k := 0
	for ; k < len(watched); k++ {
		id := watched[k].TaskID
		if !tasks[id] && len(tasks) == partTasks {
			break
		}
		tasks[id] = true
	}
	if k == len(watched) {
		return len(fresh), watched
	}
	// fresh and watched are both by seq: the part ends before watched[k].
	n := 0
	for fresh[n].Seq != watched[k].Seq {
		n++
	}
	return n, watched[:k]
}

// setCursors sets the cursor of each change of a part, whose events are
// handed, read when the feed's cursor was before: a subscriber handed the
// change has every seq up to it, or up to before when higher, but the gaps
// still open, less those the part fills before it.
func (f *Feed) setCursors(changes []*tc.TaskChange, before int64, handed []*tc.Event) {
	if len(changes) == 0 {
		return
	}
	gaps := slices.Sorted(maps.Keys(f.gaps))
	inPart := make(map[int64]bool, len(handed))
	for _, e := range handed {
		inPart[e.Seq] = true
	}
	for _, c := range changes {
		s := c.Event.Seq
		cur := tc.EventCursor{Seq: max(before, s)}
		for _, g := range gaps {
			if g >= cur.Seq {
				break
			}
			if g == s || g < s && inPart[g] {
				continue
			}
			if k := len(cur.Gaps); k > 0 && cur.Gaps[k-1].To == g-1 {
				cur.Gaps[k-1].To = g
			} else {
				cur.Gaps = append(cur.Gaps, tc.SeqRange{From: g, To: g})
			}
		}
		c.Cursor = cur.Bounded()
	}
}

func (f *Feed) setCursor(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursor = seq
}

// changes pairs events with their tasks, read partTasks at a time (one
// Store.TaskGetMany each) as the events come to them; events of tasks
// deleted since are dropped. With a budget above 0, errTooMuch once the
// changes' tasks come to more than budget bytes (taskBytes), before the
// tasks past the budget are read.
func (f *Feed) changes(ctx context.Context, events []*tc.Event, budget int) ([]*tc.TaskChange, error) {
	tasks := map[int64]*tc.Task{}
	asked := map[int64]bool{}
	var out []*tc.TaskChange
	size := 0
	for i, e := range events {
		if !asked[e.TaskID] {
			if err := f.readTasks(ctx, events[i:], asked, tasks); err != nil {
				return nil, err
			}
		}
		if t := tasks[e.TaskID]; t != nil {
			if size += taskBytes(t); budget > 0 && size > budget {
				return nil, errTooMuch
			}
			out = append(out, &tc.TaskChange{Event: e, Task: t})
		}
	}
	return out, nil
}

// readTasks reads into tasks those of the next partTasks tasks of events
// not asked for yet that still exist, and marks them asked.
func (f *Feed) readTasks(ctx context.Context, events []*tc.Event, asked map[int64]bool, tasks map[int64]*tc.Task) error {
	var refs []tc.TaskRef
	for _, e := range events {
		if len(refs) == partTasks {
			break
		}
		if !asked[e.TaskID] {
			asked[e.TaskID] = true
			refs = append(refs, tc.TaskRef{Tenant: e.Tenant, ID: e.TaskID})
		}
	}
	got, err := f.svc.store.TaskGetMany(ctx, refs)
	for _, t := range got {
		tasks[t.ID] = t
	}
	return err
}

var errTooMuch = tc.Errorf(tc.EUNAVAILABLE, "too many changes to replay: reload")

// taskBytes is about the size of a task, in memory and as JSON: its
// context, message and attach info, and a few hundred bytes for the rest.
func taskBytes(t *tc.Task) int {
	n := 256 + len(t.Context) + len(t.Message)
	for _, a := range t.AttachInfo {
		n += len(a.Key) + len(a.Value)
	}
	for _, id := range t.InstanceIDs {
		n += len(id)
	}
	return n
}

// watched keeps the events of the tenants someone watches: each change
// costs a read of its task, which nobody may need, as under a busy engine
// with no console open.
func (f *Feed) watched(events []*tc.Event) []*tc.Event {
	f.mu.Lock()
	tenants := map[string]bool{}
	for w := range f.watches {
		tenants[w.filter.Tenant] = true
	}
	f.mu.Unlock()
	if tenants[tc.AllTenants] {
		return events
	}
	var out []*tc.Event
	for _, e := range events {
		if tenants[e.Tenant] {
			out = append(out, e)
		}
	}
	return out
}

func (f *Feed) deliver(changes []*tc.TaskChange, cursor int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursor = cursor
	for w := range f.watches {
		w.push(changes)
	}
}

// WatchTasks subscribes to the changes p selects, replaying first those
// stored that a subscriber at p.After lacks.
func (f *Feed) WatchTasks(ctx context.Context, p *tc.WatchParams) (tc.TaskWatch, error) {
	if p.Filter.Tenant == "" {
		return nil, tc.Invalidf("tenant", "a watch needs a tenant")
	}
	w := &watch{feed: f, filter: p.Filter, max: f.cfg.MaxQueue, maxBytes: f.cfg.MaxQueueBytes, after: p.After,
		ready: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return nil, tc.Errorf(tc.EUNAVAILABLE, "the event feed stopped")
	}
	f.watches[w] = struct{}{}
	f.mu.Unlock()
	stop := context.AfterFunc(ctx, w.Close)
	w.mu.Lock()
	w.stopCtx = stop
	w.mu.Unlock()
	if p.After.Seq > 0 {
		if err := f.replay(ctx, w, p.After); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// replayReads bounds the events a replay reads, as multiples of MaxBacklog:
// between a cursor's oldest gap and its seq are events its subscriber had,
// which are read and passed over. A gap is awaited for GapWait, so the
// events between are those of a few seconds at most.
const replayReads = 5

// replay queues the changes stored that a subscriber at after lacks, ahead
// of the live ones; the live feed then skips those it replayed. It reads
// every change stored when it runs, not only those the feed has read: a
// batch the feed was handing over when the watch began was read for the
// tenants watched before, and may hold changes of this watch's tenant that
// only the replay can deliver.
//
// Each replayed change's cursor is after with every seq read up to it; the
// cursor after the last seq read becomes the watch's base, which the live
// changes' cursors join.
func (f *Feed) replay(ctx context.Context, w *watch, after tc.EventCursor) error {
	from := after.Seq
	if len(after.Gaps) > 0 {
		from = after.Gaps[0].From - 1
	}
	// What the replay read, as a cursor: every seq from..last present, the
	// subscriber's own from 1 to from.
	var holes []tc.SeqRange
	if from > 0 {
		holes = append(holes, tc.SeqRange{From: 1, To: from})
	}
	last, limit, lacked := from, f.cfg.MaxBacklog+1, 0
	var old []*tc.Event
	cursors := map[int64]tc.EventCursor{}
	for reads := 1; ; reads++ {
		events, err := f.svc.store.EventsAfter(ctx, last, limit)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Seq > last+1 {
				holes = append(holes, tc.SeqRange{From: last + 1, To: e.Seq - 1})
			}
			last = e.Seq
			if after.Has(e.Seq) {
				continue
			}
			if lacked++; lacked > f.cfg.MaxBacklog {
				w.fail(tc.Errorf(tc.EUNAVAILABLE, "more than %d changes to replay: reload", f.cfg.MaxBacklog))
				return nil
			}
			// Only the subscriber's tenant is read further: each change
			// costs a read of its task.
			if w.filter.Tenant == tc.AllTenants || e.Tenant == w.filter.Tenant {
				old = append(old, e)
				cursors[e.Seq] = after.Union(tc.EventCursor{Seq: e.Seq, Gaps: holes})
			}
		}
		if len(events) < limit {
			break
		}
		if reads == replayReads {
			w.fail(tc.Errorf(tc.EUNAVAILABLE, "more than %d changes to read for a replay: reload", replayReads*limit))
			return nil
		}
	}
	changes, err := f.changes(ctx, old, f.cfg.MaxBacklogBytes)
	if err == errTooMuch {
		w.fail(tc.Errorf(tc.EUNAVAILABLE, "more than %d MiB of changes to replay: reload", f.cfg.MaxBacklogBytes>>20))
		return nil
	}
	if err != nil {
		return err
	}
	for _, c := range changes {
		c.Cursor = cursors[c.Event.Seq]
	}
	w.prepend(changes, after.Union(tc.EventCursor{Seq: last, Gaps: holes}))
	return nil
}

func (f *Feed) remove(w *watch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.watches, w)
}
