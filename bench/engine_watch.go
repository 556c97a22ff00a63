package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
)

// feedReader is an event stream's subscriber of every tenant, as a console
// left open on the task list would be: it takes the changes as the feed
// hands them over and keeps the highest seq it got.
type feedReader struct {
	feed    *engine.Feed
	store   tc.Store
	watch   tc.TaskWatch
	changes atomic.Int64
	last    atomic.Int64 // highest seq received
	err     error        // the watch's end, if it ended before the reader stopped
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// startFeedReader starts the service's feed and one watch of every tenant
// when the benchmark watches, and returns nil otherwise; the feed delivers
// the events stored after it started.
func (b *engineBench) startFeedReader(ctx context.Context) (*feedReader, error) {
	if !b.cfg.Watch {
		return nil, nil
	}
	r := &feedReader{feed: b.svc.NewFeed(engine.FeedConfig{}), store: b.cfg.Store}
	r.feed.Start(ctx)
	w, err := r.feed.WatchTasks(ctx, &tc.WatchParams{Filter: tc.TaskFilter{Tenant: tc.AllTenants}})
	if err != nil {
		r.feed.Stop()
		return nil, fmt.Errorf("watch: %w", err)
	}
	r.watch = w
	readCtx, cancel := context.WithCancel(ctx)
	r.stop = cancel
	r.done.Go(func() { r.read(readCtx) })
	return r, nil
}

func (r *feedReader) read(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.watch.Ready():
		}
		changes, err := r.watch.Next()
		if err != nil {
			r.err = err
			return
		}
		r.changes.Add(int64(len(changes)))
		for _, c := range changes {
			r.last.Store(max(r.last.Load(), c.Event.Seq))
		}
	}
}

// measure stops the reader and the feed at the end of the measured phase,
// and says how many changes the reader got and how many events the store
// held past the last of them then. Nil reports nothing.
func (r *feedReader) measure(ctx context.Context, elapsed time.Duration) string {
	if r == nil {
		return ""
	}
	got, last := r.changes.Load(), r.last.Load()
	seq, seqErr := r.store.EventSeq(ctx)
	r.stop()
	r.done.Wait()
	r.feed.Stop()
	s := fmt.Sprintf("event feed: %d changes received, %.0f/s", got, float64(got)/elapsed.Seconds())
	if seqErr == nil {
		s += fmt.Sprintf(", %d events behind at the end", max(seq-last, 0))
	}
	if r.err != nil {
		s += fmt.Sprintf(" (the watch ended: %v)", r.err)
	}
	return s
}

func (b *engineBench) printWatched(line string) {
	if line != "" {
		fmt.Fprintln(b.cfg.Out, line)
	}
}
