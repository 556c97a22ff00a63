package engine

import (
	"context"
	"sync"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// flushTimeout bounds one batch's write. A batch runs on behalf of several
// callers, so it does not stop when one of them goes away.
const flushTimeout = 30 * time.Second

// batcher groups the writes that concurrent callers ask for into batches, a
// transaction each: group commit. A caller that finds fewer than flushers
// batches being written writes the pending ones itself; the others wait for
// it. At low load every write is a batch of one, written at once; under load
// the writes that arrive while a batch is written form the next one, so the
// cost of a transaction is shared without any timer adding latency.
type batcher[P any] struct {
	write    func(ctx context.Context, ps []P) ([]tc.TaskResult, error)
	size     int // most items in one batch
	flushers int // most batches written at once

	mu      sync.Mutex
	pending []*batchCall[P]
	active  int
}

type batchCall[P any] struct {
	p    P
	res  tc.TaskResult
	done chan struct{}
}

func (c *batchCall[P]) written() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func newBatcher[P any](size, flushers int, write func(context.Context, []P) ([]tc.TaskResult, error)) *batcher[P] {
	return &batcher[P]{write: write, size: size, flushers: flushers}
}

// do writes p in a batch and returns its outcome.
func (b *batcher[P]) do(ctx context.Context, p P) tc.TaskResult {
	c := &batchCall[P]{p: p, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	lead := b.active < b.flushers
	if lead {
		b.active++
	}
	b.mu.Unlock()
	if lead {
		b.flush(context.WithoutCancel(ctx), c)
	}
	<-c.done
	return c.res
}

// flush writes pending batches until own is written, then hands the rest to
// a new goroutine (own nil: it writes until none is left), so that a caller
// never waits for batches after its own.
func (b *batcher[P]) flush(ctx context.Context, own *batchCall[P]) {
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.active--
			b.mu.Unlock()
			return
		}
		if own != nil && own.written() {
			b.mu.Unlock()
			go b.flush(ctx, nil)
			return
		}
		n := min(len(b.pending), b.size)
		batch := make([]*batchCall[P], n)
		copy(batch, b.pending)
		b.pending = append(b.pending[:0], b.pending[n:]...)
		b.mu.Unlock()
		b.run(ctx, batch)
	}
}

func (b *batcher[P]) run(ctx context.Context, batch []*batchCall[P]) {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	ps := make([]P, len(batch))
	for i, c := range batch {
		ps[i] = c.p
	}
	results, err := b.write(ctx, ps)
	for i, c := range batch {
		if err != nil {
			c.res = tc.TaskResult{Err: err}
		} else {
			c.res = results[i]
		}
		close(c.done)
	}
}
