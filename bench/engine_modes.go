package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// continuous runs workers for the configured duration while submitters keep
// a backlog of a few tasks per instance.
func (b *engineBench) continuous(ctx context.Context) (*EngineResult, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Duration)
	defer cancel()
	backlog := int64(3 * len(b.instances))
	feed, err := b.startFeedReader(ctx)
	if err != nil {
		return nil, err
	}
	wait := b.submitters(ctx, func(most int) (int, bool) {
		room := backlog - (b.submitted.Load() - b.completed.Load())
		return int(max(0, min(room, int64(most)))), false
	})
	start := time.Now()
	cpu, cpuOK := processCPU()
	stop := b.startWorkers(ctx)
	b.progress(ctx, start)
	elapsed := time.Since(start)
	done := b.completed.Load()
	res := &EngineResult{Completed: done, Elapsed: elapsed, CPU: cpuSince(cpu, cpuOK)}
	watched := feed.measure(context.WithoutCancel(ctx), elapsed)
	stop()
	if err := wait(); err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	res.Submitted = b.submitted.Load()
	b.printWatched(watched)
	fmt.Fprintf(b.cfg.Out, "overall: continuous %s: %d tasks completed, %d submitted, %.0f tasks/s%s\n",
		elapsed.Round(time.Millisecond), res.Completed, res.Submitted, res.Rate(), res.cpuNote())
	return res, nil
}

// burnDown submits every task first, then drains them with the workers.
func (b *engineBench) burnDown(ctx context.Context) (*EngineResult, error) {
	total := int64(b.cfg.Tasks)
	start := time.Now()
	var reserved atomic.Int64
	wait := b.submitters(ctx, func(most int) (int, bool) {
		end := reserved.Add(int64(most))
		n := min(end, total) - (end - int64(most))
		return int(max(n, 0)), n <= 0
	})
	if err := wait(); err != nil {
		return nil, fmt.Errorf("prefill: %w", err)
	}
	prefill := time.Since(start)
	fmt.Fprintf(b.cfg.Out, "prefill: %d tasks in %s, %.0f tasks/s\n", b.submitted.Load(),
		prefill.Round(time.Millisecond), float64(b.submitted.Load())/prefill.Seconds())
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed, err := b.startFeedReader(ctx)
	if err != nil {
		return nil, err
	}
	start = time.Now()
	cpu, cpuOK := processCPU()
	stop := b.startWorkers(runCtx)
	go func() {
		for runCtx.Err() == nil && b.completed.Load() < total {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	b.progress(runCtx, start)
	elapsed := time.Since(start)
	res := &EngineResult{Submitted: total, Completed: b.completed.Load(), Elapsed: elapsed, PrefillElapsed: prefill,
		CPU: cpuSince(cpu, cpuOK)}
	watched := feed.measure(context.WithoutCancel(ctx), elapsed)
	stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.printWatched(watched)
	fmt.Fprintf(b.cfg.Out, "overall: burn-down of %d tasks in %s, %.0f tasks/s%s\n",
		res.Completed, elapsed.Round(time.Millisecond), res.Rate(), res.cpuNote())
	return res, nil
}

// progress prints the rate of completions every Report until ctx ends.
func (b *engineBench) progress(ctx context.Context, start time.Time) {
	tick := time.NewTicker(b.cfg.Report)
	defer tick.Stop()
	last, lastAt := int64(0), start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			done := b.completed.Load()
			fmt.Fprintf(b.cfg.Out, "%6.1fs  %8d done  %7.0f tasks/s\n", now.Sub(start).Seconds(), done,
				float64(done-last)/now.Sub(lastAt).Seconds())
			last, lastAt = done, now
		}
	}
}
