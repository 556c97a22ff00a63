package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// gatedWrite records each batch and holds the first one until released, so
// that a test knows which writes arrive while a batch is being written.
type gatedWrite struct {
	mu      sync.Mutex
	batches [][]int
	started chan struct{}
	release chan struct{}
	fail    error
}

func newGatedWrite() *gatedWrite {
	return &gatedWrite{started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedWrite) write(ctx context.Context, ps []int) ([]tc.TaskResult, error) {
	g.mu.Lock()
	first := len(g.batches) == 0
	g.batches = append(g.batches, append([]int(nil), ps...))
	g.mu.Unlock()
	if first {
		close(g.started)
		<-g.release
	}
	if g.fail != nil {
		return nil, g.fail
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a store gives up on a canceled context
	}
	out := make([]tc.TaskResult, len(ps))
	for i, p := range ps {
		if p < 0 {
			out[i].Err = tc.Invalidf("p", "negative")
			continue
		}
		out[i].Task = &tc.Task{ID: int64(p)}
	}
	return out, nil
}

func (g *gatedWrite) sizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []int
	for _, b := range g.batches {
		out = append(out, len(b))
	}
	return out
}

// queued waits until n calls wait behind the batch being written.
func queued[P any](t *testing.T, b *batcher[P], n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.pending) == n
	}, 5*time.Second, time.Millisecond)
}

func TestBatcherGroupsWritesThatArriveDuringAWrite(t *testing.T) {
	g := newGatedWrite()
	b := newBatcher(4, 1, g.write)
	ctx := context.Background()
	results := make([]tc.TaskResult, 11)
	var wg sync.WaitGroup
	wg.Go(func() { results[0] = b.do(ctx, 0) })
	<-g.started
	for i := 1; i <= 10; i++ {
		wg.Go(func() {
			p := i
			if i == 5 {
				p = -5 // refused alone
			}
			results[i] = b.do(ctx, p)
		})
	}
	queued(t, b, 10)
	close(g.release)
	wg.Wait()

	require.Equal(t, []int{1, 4, 4, 2}, g.sizes(), "one write, then the ten that waited, at most 4 at a time")
	for i, r := range results {
		if i == 5 {
			require.Equal(t, tc.EINVALID, tc.ErrorCode(r.Err))
			continue
		}
		require.NoError(t, r.Err)
		require.Equal(t, int64(i), r.Task.ID, "each caller gets its own outcome")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Zero(t, b.active, "no batch left running")
}

func TestBatcherStoreFailureFailsTheWholeBatch(t *testing.T) {
	g := newGatedWrite()
	g.fail = errors.New("database is down")
	b := newBatcher(8, 1, g.write)
	ctx := context.Background()
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	wg.Go(func() { errs <- b.do(ctx, 1).Err })
	<-g.started
	for i := range 3 {
		wg.Go(func() { errs <- b.do(ctx, i+2).Err })
	}
	queued(t, b, 3)
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, g.fail)
	}
	require.Equal(t, []int{1, 3}, g.sizes())
}

func TestBatcherWritesAtOnceWhenIdle(t *testing.T) {
	g := newGatedWrite()
	close(g.release)
	b := newBatcher(8, 2, g.write)
	for i := range 3 {
		r := b.do(context.Background(), i)
		require.NoError(t, r.Err)
		require.Equal(t, int64(i), r.Task.ID)
	}
	require.Equal(t, []int{1, 1, 1}, g.sizes(), "alone, a write is a batch of one")
}

func TestBatcherCanceledCallerStillGetsTheOutcome(t *testing.T) {
	g := newGatedWrite()
	b := newBatcher(8, 1, g.write)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan tc.TaskResult)
	go func() { done <- b.do(ctx, 7) }()
	<-g.started
	cancel() // the leader's caller goes away while its batch is written
	close(g.release)
	r := <-done
	require.NoError(t, r.Err)
	require.Equal(t, int64(7), r.Task.ID)
}
