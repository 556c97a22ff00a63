package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"sort"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Loader is the bulk-load capability of the sqlite and postgres stores: many
// rows in one transaction, without events or queue planning.
type Loader interface {
	BulkLoad(ctx context.Context, instances []*tc.Instance, tasks []*tc.Task) error
}

// SeqLoader is a Loader that also loads tasks as they are made, in one
// transaction, so that a big data set need not fit in memory.
type SeqLoader interface {
	BulkLoadSeq(ctx context.Context, instances []*tc.Instance, tasks iter.Seq[*tc.Task]) error
}

// GenerateConfig shapes the generated data set.
type GenerateConfig struct {
	Tasks     int       // default 1,000,000
	Instances int       // default 100,000
	Tenants   int       // default 1,000
	Batch     int       // tasks per transaction; default 50,000
	Seed      uint64    // of the random choices; the same seed gives the same data
	End       time.Time // the newest task's creation; default now
	Out       io.Writer
}

// Span is how far back the generated tasks' creation times reach.
const Span = 180 * 24 * time.Hour

// Dataset describes generated data: what the query shapes filter on.
type Dataset struct {
	Tenants   []string   // by size, biggest first
	Instances [][]string // per tenant
	End       time.Time
}

// Tenant returns the name of tenant i: t0000 is the biggest.
func Tenant(i int) string { return fmt.Sprintf("t%04d", i) }

// genTypes are the generated task types: the Tencent codes 1, 2, 5, 7 and 10
// (types of the "several types" shape) and Huawei names.
var genTypes = []string{tc.TypeRollback, tc.TypeSQLOperation, tc.TypeModifyParam, tc.TypeReboot,
	tc.TypeBatchRollback, tc.TypeImportData, "RestartInstance", "EnlargeMongoDBVolume"}

// genStatuses are weighted: most tasks ended well. Non-terminal ones are
// loaded as non-exclusive, since a bulk load plans no queue.
var genStatuses = []struct {
	s tc.Status
	w int
}{{tc.StatusSucceed, 900}, {tc.StatusFailed, 50}, {tc.StatusKilled, 20}, {tc.StatusRemoved, 10},
	{tc.StatusRunning, 10}, {tc.StatusInitial, 5}, {tc.StatusPaused, 5}}

// Generate writes a skewed data set: tenant i weighs 1/(i+1) (Zipf), both in
// instances and in tasks, so t0000 holds about 13% of everything and the
// smallest tenants a few hundredths of a percent. Creation times increase
// with ids over Span before End; every task has an async request id.
func Generate(ctx context.Context, store Loader, cfg GenerateConfig) (*Dataset, error) {
	cfg.Tasks = cmp.Or(cfg.Tasks, 1_000_000)
	cfg.Instances = cmp.Or(cfg.Instances, 100_000)
	cfg.Tenants = cmp.Or(cfg.Tenants, 1000)
	cfg.Batch = cmp.Or(cfg.Batch, 50_000)
	if cfg.End.IsZero() {
		cfg.End = time.Now().UTC().Truncate(time.Millisecond)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 8))
	ds, cum := layout(cfg)
	var instances []*tc.Instance
	start := cfg.End.Add(-Span)
	for ti, ids := range ds.Instances {
		for _, id := range ids {
			instances = append(instances, &tc.Instance{Tenant: ds.Tenants[ti], ID: id, Name: id, Engine: "mysql",
				Region: "ap-guangzhou", Status: tc.InstanceNormal, CreatedAt: start, UpdatedAt: start})
		}
	}
	began := time.Now()
	progress := func(done int) {
		if cfg.Out != nil {
			fmt.Fprintf(cfg.Out, "generated %d tasks in %s\n", done, time.Since(began).Round(time.Millisecond))
		}
	}
	if seq, ok := store.(SeqLoader); ok {
		tasks := func(yield func(*tc.Task) bool) {
			for i := range cfg.Tasks {
				if i > 0 && i%cfg.Batch == 0 {
					progress(i)
				}
				if !yield(genTask(rng, ds, cum, i, cfg)) {
					return
				}
			}
		}
		if err := seq.BulkLoadSeq(ctx, instances, tasks); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		progress(cfg.Tasks)
		ds.End = cfg.End
		return ds, nil
	}
	for done := 0; done < cfg.Tasks; {
		n := min(cfg.Batch, cfg.Tasks-done)
		tasks := make([]*tc.Task, n)
		for i := range tasks {
			tasks[i] = genTask(rng, ds, cum, done+i, cfg)
		}
		if err := store.BulkLoad(ctx, instances, tasks); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		instances = nil
		done += n
		progress(done)
	}
	ds.End = cfg.End
	return ds, nil
}

// layout names the tenants and instances and returns the cumulative weights
// of the tenants.
func layout(cfg GenerateConfig) (*Dataset, []float64) {
	ds := &Dataset{}
	cum := make([]float64, cfg.Tenants)
	var sum float64
	for i := range cfg.Tenants {
		sum += 1 / float64(i+1)
		cum[i] = sum
	}
	next := 0
	for i := range cfg.Tenants {
		ds.Tenants = append(ds.Tenants, Tenant(i))
		n := max(1, int(float64(cfg.Instances)/float64(i+1)/sum))
		ids := make([]string, n)
		for j := range ids {
			ids[j] = fmt.Sprintf("cdb-%07d", next)
			next++
		}
		ds.Instances = append(ds.Instances, ids)
	}
	for i := range cum {
		cum[i] /= sum
	}
	return ds, cum
}

func genTask(rng *rand.Rand, ds *Dataset, cum []float64, i int, cfg GenerateConfig) *tc.Task {
	ti := min(sort.SearchFloat64s(cum, rng.Float64()), len(cum)-1)
	own := ds.Instances[ti]
	ids := []string{own[rng.IntN(len(own))]}
	if rng.IntN(20) == 0 && len(own) > 1 {
		if other := own[rng.IntN(len(own))]; other != ids[0] {
			ids = append(ids, other)
		}
	}
	created := cfg.End.Add(-Span + time.Duration(float64(Span)*float64(i+1)/float64(cfg.Tasks))).Truncate(time.Millisecond)
	t := &tc.Task{Tenant: ds.Tenants[ti], Type: genTypes[rng.IntN(len(genTypes))], Status: pickStatus(rng),
		InstanceIDs: ids, AsyncRequestID: fmt.Sprintf("req-%08d", i), CreatedAt: created, UpdatedAt: created,
		StartedAt: created, Context: []byte("{}"), Attempts: 1, Claims: 1, MaxAttempts: 3, Timeout: time.Hour,
		Exclusive: true}
	switch {
	case t.Status.Terminal():
		t.EndedAt = created.Add(time.Minute)
		t.UpdatedAt = t.EndedAt
		t.Progress = 100
		t.Message = "done"
		if t.Status != tc.StatusSucceed {
			t.Code, t.Message, t.Progress = 1, "failed", 40
		}
	default:
		t.Exclusive = false
		t.Progress = 50
	}
	return t
}

func pickStatus(rng *rand.Rand) tc.Status {
	n := rng.IntN(1000)
	for _, s := range genStatuses {
		if n < s.w {
			return s.s
		}
		n -= s.w
	}
	return tc.StatusSucceed
}
