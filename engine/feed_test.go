package engine_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// next waits for a watch's next changes, or its error.
func next(t *testing.T, w tc.TaskWatch) ([]*tc.TaskChange, error) {
	t.Helper()
	select {
	case <-w.Ready():
		return w.Next()
	case <-time.After(30 * time.Second):
		t.Fatal("no change came")
		return nil, nil
	}
}

// TestFeedBoundsBytes: a subscriber is told to reload rather than have the
// feed hold more than its budget of large tasks for it, in a replay or in
// a queue it does not read; within the budget both work.
func TestFeedBoundsBytes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e := setup(t, open(t), engine.Config{})
		feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond, MaxQueueBytes: 200_000, MaxBacklogBytes: 200_000})
		filter := tc.TaskFilter{Tenant: "ta", Types: []string{"Noop"}}
		live := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter})
		idle := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter}) // never read until the end

		// The feed reads what is stored after Start.
		e.submit(t, "Noop", []string{"i0"}, nil)
		changes, err := next(t, live)
		require.NoError(t, err)
		require.Len(t, changes, 1)
		// The idle watch's queue holds the small ones: reading it empties it.
		_, err = idle.Next()
		require.NoError(t, err)

		big := json.RawMessage(`{"sql":"` + strings.Repeat("x", 60000) + `"}`)
		var first int64
		for i := range 5 {
			task := e.submit(t, "Noop", []string{"i0"}, func(p *tc.SubmitTaskParams) { p.Context = big })
			var seq int64
			for seq == 0 { // read before the next: the live watch keeps up
				changes, err := next(t, live)
				require.NoError(t, err)
				for _, c := range changes {
					if c.Task.ID == task.ID { // a late small one may come first
						seq = c.Event.Seq
					}
				}
			}
			if i == 0 {
				first = seq
			}
		}

		// The last four changes of 60 KB are more than 200,000 bytes to
		// replay; the last two are not.
		all := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter, After: tc.EventCursor{Seq: first}})
		_, err = next(t, all)
		require.ErrorContains(t, err, "reload")
		last2 := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter, After: tc.EventCursor{Seq: first + 2}})
		changes, err = next(t, last2)
		require.NoError(t, err)
		require.Len(t, changes, 2)

		// The idle subscriber's queue passed 200,000 bytes.
		_, err = idle.Next()
		require.ErrorContains(t, err, "fell behind")
	})
}

// startFeed starts a feed of the env's service until the test ends.
func startFeed(t *testing.T, e *env, cfg engine.FeedConfig) *engine.Feed {
	t.Helper()
	feed := e.svc.NewFeed(cfg)
	feed.Start(e.ctx)
	t.Cleanup(feed.Stop)
	return feed
}

// watchFeed subscribes to a feed until the test ends.
func watchFeed(t *testing.T, e *env, feed *engine.Feed, p *tc.WatchParams) tc.TaskWatch {
	t.Helper()
	w, err := feed.WatchTasks(e.ctx, p)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return w
}

// gatedStore holds the first TaskGetMany made after arm until release, so
// that a test can act while the feed is between reading a batch of events
// and handing it over.
type gatedStore struct {
	tc.Store
	armed            atomic.Bool
	entered, release chan struct{}
}

func (g *gatedStore) TaskGetMany(ctx context.Context, refs []tc.TaskRef) ([]*tc.Task, error) {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Store.TaskGetMany(ctx, refs)
}

// TestFeedReplayDuringPoll: a subscriber of a tenant nobody watched yet,
// resuming after a seq while the feed hands over a batch that holds one of
// its tenant's changes, gets that change. The feed read the batch for the
// tenants watched before, so only the replay can carry it.
func TestFeedReplayDuringPoll(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		g := &gatedStore{Store: open(t), entered: make(chan struct{}), release: make(chan struct{})}
		e := setup(t, g, engine.Config{})
		_, err := e.svc.PutInstance(e.ctx, &tc.Instance{ID: "b0", Tenant: "tb", Name: "db"})
		require.NoError(t, err)
		feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
		wa := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})
		first := e.submit(t, "Noop", []string{"i0"}, nil)
		changes, err := next(t, wa)
		require.NoError(t, err)
		require.Equal(t, first.ID, changes[0].Task.ID)
		after := changes[len(changes)-1].Event.Seq

		g.armed.Store(true)
		// One submission: the feed reads both events in one batch.
		res, err := e.svc.SubmitTasks(e.ctx, []*tc.SubmitTaskParams{
			{Tenant: "tb", Type: "Noop", InstanceIDs: []string{"b0"}, Actor: "test"},
			{Tenant: "ta", Type: "Noop", InstanceIDs: []string{"i0"}, Actor: "test"},
		})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		theirs := res[0].Task
		<-g.entered // the feed read the batch, and the tasks of tenant ta
		wb := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "tb"}, After: tc.EventCursor{Seq: after}})
		close(g.release)

		changes, err = next(t, wb)
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.Equal(t, theirs.ID, changes[0].Task.ID)
		require.Equal(t, "tb", changes[0].Task.Tenant)
	})
}

// countingStore records the refs of each TaskGetMany.
type countingStore struct {
	tc.Store
	mu    sync.Mutex
	reads []int
}

func (c *countingStore) TaskGetMany(ctx context.Context, refs []tc.TaskRef) ([]*tc.Task, error) {
	c.mu.Lock()
	c.reads = append(c.reads, len(refs))
	c.mu.Unlock()
	return c.Store.TaskGetMany(ctx, refs)
}

// TestFeedParts: a batch of events of more tasks than the feed reads at once
// is read and handed over in parts, each change once and in order, the
// tasks of each part in one read; the events of tenants nobody watches cost
// no read.
func TestFeedParts(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		c := &countingStore{Store: open(t)}
		e := setup(t, c, engine.Config{})
		_, err := e.svc.PutInstance(e.ctx, &tc.Instance{ID: "b0", Tenant: "tb", Name: "db"})
		require.NoError(t, err)
		feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond, Batch: 400})
		w := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})

		// 150 tasks of ta and 150 of tb, in turn, in one submission: one
		// batch of events for the feed.
		var ps []*tc.SubmitTaskParams
		for i := range 300 {
			p := &tc.SubmitTaskParams{Tenant: "ta", Type: "Noop", InstanceIDs: []string{"i1"}, Actor: "test"}
			if i%2 == 1 {
				p.Tenant, p.InstanceIDs = "tb", []string{"b0"}
			}
			ps = append(ps, p)
		}
		res, err := e.svc.SubmitTasks(e.ctx, ps)
		require.NoError(t, err)
		var want []int64
		for _, r := range res {
			require.NoError(t, r.Err)
			if r.Task.Tenant == "ta" {
				want = append(want, r.Task.ID)
			}
		}
		var got []int64
		var seqs []int64
		for len(got) < len(want) {
			changes, err := next(t, w)
			require.NoError(t, err)
			for _, ch := range changes {
				require.Equal(t, "ta", ch.Task.Tenant)
				got, seqs = append(got, ch.Task.ID), append(seqs, ch.Event.Seq)
			}
		}
		require.Equal(t, want, got, "every change once, in order")
		require.IsIncreasing(t, seqs)

		c.mu.Lock()
		reads := slices.Clone(c.reads)
		c.mu.Unlock()
		require.Len(t, reads, 3, "150 tasks of ta in parts of 64: %v", reads)
		require.Equal(t, []int{64, 64, 22}, reads)
	})
}

// setupPostgres is an engine on a migrated PostgreSQL store of the test's
// own, and that store's URL.
func setupPostgres(t *testing.T) (*env, string) {
	t.Helper()
	url := pgtest.URL(t)
	store, err := postgres.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	require.NoError(t, store.Migrate(context.Background()))
	return setup(t, store, engine.Config{}), url
}

// holdSeq has a transaction of its own take the next seq of the history,
// for an event "late" of the task, and hold it uncommitted until commit.
func holdSeq(t *testing.T, e *env, url string, taskID int64) (late int64, commit func()) {
	t.Helper()
	conn, err := pgx.Connect(e.ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(e.ctx)
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(e.ctx, `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, message, actor)
		VALUES ($1, 'ta', now(), 'INITIAL', 'INITIAL', 'late', 'test') RETURNING seq`, taskID).Scan(&late))
	return late, func() { require.NoError(t, tx.Commit(e.ctx)) }
}

// TestFeedGapPostgres: on PostgreSQL a seq is taken at insert and committed
// in any order. An event committed after a later one was delivered still
// reaches the subscriber, once.
func TestFeedGapPostgres(t *testing.T) {
	e, url := setupPostgres(t)
	feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
	w := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})
	task := e.submit(t, "Noop", []string{"i0"}, nil)
	changes, err := next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)

	late, commit := holdSeq(t, e, url, task.ID)

	later := e.submit(t, "Noop", []string{"i1"}, nil)
	changes, err = next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, later.ID, changes[0].Task.ID)
	require.Greater(t, changes[0].Event.Seq, late)
	laterSeq := changes[0].Event.Seq

	commit()
	changes, err = next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, late, changes[0].Event.Seq)
	require.Equal(t, "late", changes[0].Event.Message)
	// The late change's id is the stream's position, past the later one: a
	// client resuming from it gets neither again.
	filled := changes[0].Cursor
	require.True(t, filled.Has(late) && filled.Has(laterSeq), "%s", filled)
	resumed := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}, After: filled})

	// Nothing more: the late event came once.
	e.submit(t, "Noop", []string{"i2"}, nil)
	changes, err = next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.NotEqual(t, late, changes[0].Event.Seq)
	changes, err = next(t, resumed)
	require.NoError(t, err)
	require.Len(t, changes, 1, "the newest change alone")
	require.NotEqual(t, late, changes[0].Event.Seq)
	require.NotEqual(t, laterSeq, changes[0].Event.Seq)
}

// TestFeedResumeGapPostgres: a client that leaves while a seq below its
// last change is still uncommitted, and resumes after that seq's event
// committed, gets that event from the replay, once, and nothing it had.
func TestFeedResumeGapPostgres(t *testing.T) {
	e, url := setupPostgres(t)
	feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
	w, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})
	require.NoError(t, err)
	task := e.submit(t, "Noop", []string{"i0"}, nil)
	changes, err := next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Empty(t, changes[0].Cursor.Gaps)

	late, commit := holdSeq(t, e, url, task.ID)

	later := e.submit(t, "Noop", []string{"i1"}, nil)
	changes, err = next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, later.ID, changes[0].Task.ID)
	left := changes[0].Cursor
	require.Equal(t, changes[0].Event.Seq, left.Seq)
	require.False(t, left.Has(late), "the cursor names the uncommitted seq: %s", left)
	require.Contains(t, left.Gaps, tc.SeqRange{From: late, To: late})
	w.Close() // the client leaves

	commit()
	resumed := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}, After: left})
	changes, err = next(t, resumed)
	require.NoError(t, err)
	require.Len(t, changes, 1, "the late change alone")
	require.Equal(t, late, changes[0].Event.Seq)
	require.Equal(t, "late", changes[0].Event.Message)
	require.True(t, changes[0].Cursor.Has(late))
	require.Empty(t, changes[0].Cursor.Gaps, "nothing is lacking any more: %s", changes[0].Cursor)

	// The live changes that follow carry what the client had.
	last := e.submit(t, "Noop", []string{"i2"}, nil)
	changes, err = next(t, resumed)
	require.NoError(t, err)
	require.Len(t, changes, 1, "the new change alone: not the late one again")
	require.Equal(t, last.ID, changes[0].Task.ID)
	require.Empty(t, changes[0].Cursor.Gaps)
	require.Equal(t, changes[0].Event.Seq, changes[0].Cursor.Seq)
}

// TestFeedReplayGapPostgres: a replay that finds a seq missing (taken by a
// transaction still open) names it in the cursors of what it replays; the
// change then comes live to the stream that stays open, and from the replay
// to a client that resumes from the replayed change's id.
func TestFeedReplayGapPostgres(t *testing.T) {
	e, url := setupPostgres(t)
	feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
	filter := tc.TaskFilter{Tenant: "ta"}
	w, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: filter})
	require.NoError(t, err)
	task := e.submit(t, "Noop", []string{"i0"}, nil)
	changes, err := next(t, w)
	require.NoError(t, err)
	left := changes[len(changes)-1].Cursor
	w.Close()

	late, commit := holdSeq(t, e, url, task.ID)
	later := e.submit(t, "Noop", []string{"i1"}, nil)

	open := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter, After: left})
	changes, err = next(t, open)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, later.ID, changes[0].Task.ID)
	replayed := changes[0].Cursor
	require.False(t, replayed.Has(late), "the replay names the missing seq: %s", replayed)
	require.True(t, replayed.Has(changes[0].Event.Seq))

	commit()
	changes, err = next(t, open)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, late, changes[0].Event.Seq, "live, to the stream that stayed open")
	require.Empty(t, changes[0].Cursor.Gaps, "%s", changes[0].Cursor)

	back := watchFeed(t, e, feed, &tc.WatchParams{Filter: filter, After: replayed})
	changes, err = next(t, back)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, late, changes[0].Event.Seq, "from the replay, to the client that left")
	// Then the next change alone: nothing it had comes again.
	last := e.submit(t, "Noop", []string{"i2"}, nil)
	changes, err = next(t, back)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, last.ID, changes[0].Task.ID)
}

// TestFeedStartGapPostgres: a feed started (as after a restart) while a seq
// below the last stored one is still uncommitted awaits it: its cursors do
// not claim it, so a client that resumes with it in its id keeps it there,
// and the change is delivered when it commits.
func TestFeedStartGapPostgres(t *testing.T) {
	e, url := setupPostgres(t)
	task := e.submit(t, "Noop", []string{"i0"}, nil)

	late, commit := holdSeq(t, e, url, task.ID)
	later := e.submit(t, "Noop", []string{"i1"}, nil)
	events, err := e.store.TaskEvents(e.ctx, "ta", later.ID)
	require.NoError(t, err)
	left := tc.EventCursor{Seq: events[len(events)-1].Seq, Gaps: []tc.SeqRange{{From: late, To: late}}}

	feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
	w := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}, After: left})
	last := e.submit(t, "Noop", []string{"i2"}, nil)
	changes, err := next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, last.ID, changes[0].Task.ID)
	require.False(t, changes[0].Cursor.Has(late), "still awaited: %s", changes[0].Cursor)

	commit()
	changes, err = next(t, w)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.Equal(t, late, changes[0].Event.Seq)
	require.Empty(t, changes[0].Cursor.Gaps, "%s", changes[0].Cursor)
}

// TestFeedResumeAheadOfFeed: a client resuming after a seq that this
// process's feed has not handed over yet (it came from another replica, or
// the feed is behind) gets the newer changes once, from the replay, and not
// the older ones it had, when the feed catches up.
func TestFeedResumeAheadOfFeed(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		g := &gatedStore{Store: open(t), entered: make(chan struct{}), release: make(chan struct{})}
		e := setup(t, g, engine.Config{})
		feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond})
		wa := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})
		g.armed.Store(true)
		first := e.submit(t, "Noop", []string{"i0"}, nil)
		<-g.entered // the feed read first's event and waits to read its task
		second := e.submit(t, "Noop", []string{"i1"}, nil)
		events, err := e.store.TaskEvents(e.ctx, "ta", first.ID)
		require.NoError(t, err)
		after := events[len(events)-1].Seq

		wb := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}, After: tc.EventCursor{Seq: after}})
		close(g.release)
		// The feed hands both over to wa; by then wb has had all it gets.
		for seen := map[int64]bool{}; !seen[second.ID]; {
			changes, err := next(t, wa)
			require.NoError(t, err)
			for _, c := range changes {
				seen[c.Task.ID] = true
			}
		}
		changes, err := next(t, wb)
		require.NoError(t, err)
		require.Len(t, changes, 1, "the newer change alone, once")
		require.Equal(t, second.ID, changes[0].Task.ID)
		select {
		case <-wb.Ready():
			more, err := wb.Next()
			require.NoError(t, err)
			require.Empty(t, more, "nothing the client had, nor the same change again")
		default:
		}
	})
}

// failingStore fails one TaskGetMany, the fail-th from when it is armed.
type failingStore struct {
	tc.Store
	calls, fail atomic.Int64
}

func (f *failingStore) TaskGetMany(ctx context.Context, refs []tc.TaskRef) ([]*tc.Task, error) {
	if n := f.calls.Add(1); n == f.fail.Load() {
		return nil, tc.Errorf(tc.EUNAVAILABLE, "database unavailable")
	}
	return f.Store.TaskGetMany(ctx, refs)
}

// TestFeedPartFails: a read that fails halfway through a batch loses no
// change and repeats none: the parts handed over stay handed over, and the
// next poll goes on from the first part not.
func TestFeedPartFails(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		fs := &failingStore{Store: open(t)}
		e := setup(t, fs, engine.Config{})
		feed := startFeed(t, e, engine.FeedConfig{Poll: 20 * time.Millisecond, Batch: 400})
		w := watchFeed(t, e, feed, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: "ta"}})
		fs.fail.Store(fs.calls.Load() + 2) // the second part's read
		var ps []*tc.SubmitTaskParams
		for range 150 {
			ps = append(ps, &tc.SubmitTaskParams{Tenant: "ta", Type: "Noop", InstanceIDs: []string{"i1"}, Actor: "test"})
		}
		res, err := e.svc.SubmitTasks(e.ctx, ps)
		require.NoError(t, err)
		var want, got []int64
		for _, r := range res {
			require.NoError(t, r.Err)
			want = append(want, r.Task.ID)
		}
		for len(got) < len(want) {
			changes, err := next(t, w)
			require.NoError(t, err)
			for _, c := range changes {
				got = append(got, c.Task.ID)
			}
		}
		require.Equal(t, want, got)
		require.Greater(t, fs.calls.Load(), fs.fail.Load(), "the failed part was read again")
		last := e.submit(t, "Noop", []string{"i2"}, nil)
		var after []int64
		for !slices.Contains(after, last.ID) {
			changes, err := next(t, w)
			require.NoError(t, err)
			for _, c := range changes {
				after = append(after, c.Task.ID)
			}
		}
		require.Equal(t, []int64{last.ID}, after, "and nothing came twice")
	})
}
