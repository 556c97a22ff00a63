// Package bench measures taskcenter: the engine's throughput with in-process
// workers, and the latency of the task lists over HTTP at scale. It is run by
// "taskcenter bench"; its figures are recorded in docs/BENCHMARKS.md.
package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/worker"
)

// EngineConfig tunes an engine benchmark. With Tasks > 0 it is a burn-down:
// Tasks are submitted first, then drained by the workers; otherwise it runs
// for Duration while submitters keep the queue fed.
type EngineConfig struct {
	Store       tc.Store
	Tenant      string        // default "bench"; with Tenants > 1, the prefix of their names
	Tenants     int           // the instances belong to this many tenants in turn; default 1
	Instances   int           // exclusive tasks are spread over this many instances; default 1000
	Concurrency int           // handlers of the worker running at once; default 64
	Workers     int           // workers, each with Concurrency slots; default 1
	Submitters  int           // goroutines submitting tasks; default 4
	SubmitBatch int           // tasks per submission (SubmitTasks); 1 submits one at a time; default 100
	Flushers    int           // engine.Config.BatchFlushers; default the engine's
	Duration    time.Duration // continuous mode; default 10s
	Tasks       int           // burn-down mode when positive
	Report      time.Duration // between progress lines; default 2s
	// NoMaintenance leaves out the engine's maintenance, which otherwise
	// runs its rounds as a server's does: nothing expires in the benchmark,
	// but each round folds the counts' deltas (TaskCountsCompact), whose
	// cost belongs to the writes that appended them.
	NoMaintenance bool
	// Watch runs the event feed with one subscriber of every tenant, as an
	// open console would, and reports how many changes it received and how
	// far behind the store it ended.
	Watch bool
	Out   io.Writer
}

// EngineResult is the outcome of an engine benchmark.
type EngineResult struct {
	Submitted, Completed int64
	Elapsed              time.Duration // of the measured phase
	PrefillElapsed       time.Duration // burn-down only
	// CPU is this process's user and system time over the measured phase,
	// 0 where the platform does not tell: the store's whole work on SQLite,
	// the client's on PostgreSQL. Less noisy than the rate on a shared
	// machine.
	CPU time.Duration
}

// Rate returns completed tasks per second.
func (r *EngineResult) Rate() float64 { return float64(r.Completed) / r.Elapsed.Seconds() }

// CPUPerTask returns CPU per completed task, 0 if either is unknown.
func (r *EngineResult) CPUPerTask() time.Duration {
	if r.Completed == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Completed)
}

// cpuNote is the summary's note of CPU per task, empty if unknown.
func (r *EngineResult) cpuNote() string {
	if r.CPUPerTask() == 0 {
		return ""
	}
	return fmt.Sprintf(", %.0f µs of this process's CPU per task", float64(r.CPUPerTask())/float64(time.Microsecond))
}

// cpuSince returns the CPU this process used since an earlier processCPU.
func cpuSince(start time.Duration, ok bool) time.Duration {
	now, nowOK := processCPU()
	if !ok || !nowOK {
		return 0
	}
	return now - start
}

// benchType is exclusive, so every task goes through the per-instance queues.
const benchType = tc.TypeReboot

// RunEngine runs the benchmark and prints progress lines and a summary to cfg.Out.
func RunEngine(ctx context.Context, cfg EngineConfig) (*EngineResult, error) {
	cfg.Tenant = cmp.Or(cfg.Tenant, "bench")
	cfg.Tenants = max(cfg.Tenants, 1)
	cfg.Instances = cmp.Or(cfg.Instances, 1000)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 64)
	cfg.Workers = cmp.Or(cfg.Workers, 1)
	cfg.Submitters = cmp.Or(cfg.Submitters, 4)
	cfg.SubmitBatch = cmp.Or(cfg.SubmitBatch, 100)
	cfg.Duration = cmp.Or(cfg.Duration, 10*time.Second)
	cfg.Report = cmp.Or(cfg.Report, 2*time.Second)
	svc := engine.New(cfg.Store, engine.Config{PollInterval: 50 * time.Millisecond, BatchFlushers: cfg.Flushers})
	instances, err := putInstances(ctx, svc, cfg.Tenant, cfg.Tenants, cfg.Instances)
	if err != nil {
		return nil, err
	}
	// The maintenance writes from its own goroutine.
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	cfg.Out = &syncWriter{w: cfg.Out}
	b := &engineBench{cfg: cfg, svc: svc, instances: instances}
	if !cfg.NoMaintenance {
		// Its failures show in the output; its routine lines do not.
		m := svc.NewMaintenance(engine.MaintenanceConfig{
			Logger: slog.New(slog.NewTextHandler(cfg.Out, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		m.Start(ctx)
		defer m.Stop()
	}
	if cfg.Tasks > 0 {
		return b.burnDown(ctx)
	}
	return b.continuous(ctx)
}

// syncWriter serializes the writes to w of several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type engineBench struct {
	cfg       EngineConfig
	svc       *engine.Service
	instances []*tc.Instance
	submitted atomic.Int64
	completed atomic.Int64
}

// putInstances stores n instances, the i-th of the tenant i modulo tenants:
// prefix itself when there is one tenant, else prefix-NNN.
func putInstances(ctx context.Context, svc *engine.Service, prefix string, tenants, n int) ([]*tc.Instance, error) {
	out := make([]*tc.Instance, n)
	for i := range out {
		tenant := prefix
		if tenants > 1 {
			tenant = fmt.Sprintf("%s-%03d", prefix, i%tenants)
		}
		id := fmt.Sprintf("bench-%06d", i)
		inst, err := svc.PutInstance(ctx, &tc.Instance{ID: id, Tenant: tenant, Name: id, Engine: "mysql",
			Region: "bench", Status: tc.InstanceNormal})
		if err != nil {
			return nil, fmt.Errorf("put instance: %w", err)
		}
		out[i] = inst
	}
	return out, nil
}

// submit stores n tasks on the next instances round robin: one at a time
// when SubmitBatch is 1, else in one SubmitTasks.
func (b *engineBench) submit(ctx context.Context, n int) error {
	ps := make([]*tc.SubmitTaskParams, n)
	for i := range ps {
		inst := b.instances[int(b.submitted.Add(1))%len(b.instances)]
		ps[i] = &tc.SubmitTaskParams{Tenant: inst.Tenant, Type: benchType, InstanceIDs: []string{inst.ID}, Actor: "bench"}
	}
	if b.cfg.SubmitBatch == 1 {
		_, _, err := b.svc.SubmitTask(ctx, ps[0])
		return err
	}
	res, err := b.svc.SubmitTasks(ctx, ps)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// submitters run the configured goroutines, each submitting as many tasks
// as take allows (at most SubmitBatch), waiting a moment when it allows
// none, until take says done.
func (b *engineBench) submitters(ctx context.Context, take func(max int) (n int, done bool)) (wait func() error) {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range b.cfg.Submitters {
		wg.Go(func() {
			for ctx.Err() == nil {
				n, done := take(b.cfg.SubmitBatch)
				switch {
				case done:
					return
				case n == 0:
					time.Sleep(time.Millisecond)
					continue
				}
				if err := b.submit(ctx, n); err != nil && ctx.Err() == nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	return func() error { wg.Wait(); return first }
}

// startWorkers starts the workers with a no-op handler and returns their stop.
func (b *engineBench) startWorkers(ctx context.Context) (stop func()) {
	counted := &countingService{WorkerService: b.svc, completed: &b.completed}
	var ws []*worker.Worker
	for i := range b.cfg.Workers {
		w := worker.New(counted, worker.Config{ID: fmt.Sprintf("bench-%d", i), Tenant: tc.AllTenants,
			Concurrency: b.cfg.Concurrency, Wait: time.Second})
		w.Handle(benchType, func(context.Context, *tc.Task, worker.Reporter) (*worker.Result, error) {
			return &worker.Result{Message: "done"}, nil
		})
		w.Start(ctx)
		ws = append(ws, w)
	}
	return func() {
		for _, w := range ws {
			w.Stop()
		}
	}
}

// countingService counts successful completions.
type countingService struct {
	tc.WorkerService
	completed *atomic.Int64
}

// CompleteTask completes the task and counts it.
func (c *countingService) CompleteTask(ctx context.Context, p *tc.CompleteParams) (*tc.Task, error) {
	t, err := c.WorkerService.CompleteTask(ctx, p)
	if err == nil {
		c.completed.Add(1)
	}
	return t, err
}
