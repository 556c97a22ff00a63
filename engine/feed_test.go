package engine_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
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
		feed := e.svc.NewFeed(engine.FeedConfig{Poll: 20 * time.Millisecond, MaxQueueBytes: 200_000, MaxBacklogBytes: 200_000})
		feed.Start(e.ctx)
		t.Cleanup(feed.Stop)
		filter := tc.TaskFilter{Tenant: "ta", Types: []string{"Noop"}}
		live, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: filter})
		require.NoError(t, err)
		t.Cleanup(live.Close)
		idle, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: filter}) // never read until the end
		require.NoError(t, err)
		t.Cleanup(idle.Close)

		// The feed starts reading after the events stored when its first
		// read ran: submit small tasks until the live watch sees one.
		for seen := false; !seen; {
			e.submit(t, "Noop", []string{"i0"}, nil)
			select {
			case <-live.Ready():
				changes, err := live.Next()
				require.NoError(t, err)
				seen = len(changes) > 0
			case <-time.After(200 * time.Millisecond):
			}
		}
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
		all, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: filter, AfterSeq: first})
		require.NoError(t, err)
		t.Cleanup(all.Close)
		_, err = next(t, all)
		require.ErrorContains(t, err, "reload")
		last2, err := feed.WatchTasks(e.ctx, &tc.WatchParams{Filter: filter, AfterSeq: first + 2})
		require.NoError(t, err)
		t.Cleanup(last2.Close)
		changes, err := next(t, last2)
		require.NoError(t, err)
		require.Len(t, changes, 2)

		// The idle subscriber's queue passed 200,000 bytes.
		_, err = idle.Next()
		require.ErrorContains(t, err, "fell behind")
	})
}
