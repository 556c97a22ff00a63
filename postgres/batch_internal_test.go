package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// statementCounter counts the statements a pool sends, alone or in a
// pipeline.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (c *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}

func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// setupCounted opens a migrated store whose statements are counted.
func setupCounted(t *testing.T) (*Store, *statementCounter) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	require.NoError(t, err)
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	s := &Store{pool: pool, lists: pool}
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(ctx))
	return s, counter
}

// TestBatchStatementsDoNotGrow runs the same work as batches of 2 and of 40
// exclusive tasks, each with a successor that the completion promotes, and
// requires both to send as many statements.
func TestBatchStatementsDoNotGrow(t *testing.T) {
	t.Parallel()
	s, counter := setupCounted(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	// run inserts n exclusive tasks and their successors, claims the first
	// ones and completes them, and returns the statements each step sent.
	run := func(prefix string, n int) []int64 {
		var ps []*taskcenter.TaskInsertParams
		for i := range n {
			inst := fmt.Sprintf("%s-%d", prefix, i)
			_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: inst, Tenant: "ta", Status: taskcenter.InstanceNormal})
			require.NoError(t, err)
			for range 2 {
				ps = append(ps, &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{
					Tenant: "ta", Type: prefix, Status: taskcenter.StatusWaiting, Exclusive: true,
					InstanceIDs: []string{inst}, CreatedAt: now, AsyncRequestID: fmt.Sprintf("%s-%d", inst, len(ps)),
				}})
			}
		}
		var counts []int64
		step := func(fn func()) {
			before := counter.n.Load()
			fn()
			counts = append(counts, counter.n.Load()-before)
		}
		step(func() {
			res, err := s.TaskInsertMany(ctx, ps)
			require.NoError(t, err)
			for _, r := range res {
				require.NoError(t, r.Err)
			}
		})
		var claimed []*taskcenter.Task
		step(func() {
			var err error
			claimed, err = s.TaskClaim(ctx, &taskcenter.TaskClaimParams{Tenant: "ta", WorkerID: "w",
				Types: []string{prefix}, Max: 2 * n, Lease: time.Minute, Now: now})
			require.NoError(t, err)
			require.Len(t, claimed, n, "one task per instance is ready")
		})
		step(func() {
			var ups []*taskcenter.TaskUpdateParams
			for _, task := range claimed {
				ups = append(ups, &taskcenter.TaskUpdateParams{Tenant: "ta", ID: task.ID, Actor: "w", Now: now,
					Update: func(t *taskcenter.Task) error { return t.Transition(taskcenter.StatusSucceed, now) }})
			}
			res, err := s.TaskUpdateMany(ctx, ups)
			require.NoError(t, err)
			for _, r := range res {
				require.NoError(t, r.Err)
			}
		})
		page, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: taskcenter.AllTenants, Types: []string{prefix},
			Statuses: []taskcenter.Status{taskcenter.StatusInitial}, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, n, page.Total, "every successor was promoted")
		return counts
	}
	// The first run also prepares the statements on the pool's connections.
	run("warm", 2)
	small, large := run("small", 2), run("large", 40)
	require.Equal(t, small, large, "statements of insert, claim and complete")
}

// TestBatchPlansTenantsApart updates and inserts, in single batches, the
// tasks of two tenants whose instances have the same id: each tenant's
// queue is planned on its own.
func TestBatchPlansTenantsApart(t *testing.T) {
	t.Parallel()
	s, _ := setupCounted(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tenants := []string{"ta", "tb"}
	exclusive := func(tenant string) *taskcenter.TaskInsertParams {
		return &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{
			Tenant: tenant, Type: taskcenter.TypeReboot, Status: taskcenter.StatusWaiting, Exclusive: true,
			InstanceIDs: []string{"cdb-1"}, CreatedAt: now,
		}}
	}
	for _, tenant := range tenants {
		_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: "cdb-1", Tenant: tenant, Status: taskcenter.InstanceNormal})
		require.NoError(t, err)
	}
	res, err := s.TaskInsertMany(ctx, []*taskcenter.TaskInsertParams{
		exclusive("ta"), exclusive("tb"), exclusive("ta"), exclusive("tb"),
	})
	require.NoError(t, err)
	for i, want := range []taskcenter.Status{taskcenter.StatusInitial, taskcenter.StatusInitial,
		taskcenter.StatusWaiting, taskcenter.StatusWaiting} {
		require.NoError(t, res[i].Err)
		require.Equal(t, want, res[i].Task.Status, "task %d", i)
	}

	kill := func(task *taskcenter.Task) *taskcenter.TaskUpdateParams {
		return &taskcenter.TaskUpdateParams{Tenant: taskcenter.AllTenants, ID: task.ID, Actor: "op", Now: now,
			Update: func(t *taskcenter.Task) error { return t.Transition(taskcenter.StatusKilled, now) }}
	}
	ups, err := s.TaskUpdateMany(ctx, []*taskcenter.TaskUpdateParams{kill(res[1].Task), kill(res[0].Task)})
	require.NoError(t, err)
	for _, u := range ups {
		require.NoError(t, u.Err)
		require.Equal(t, taskcenter.StatusKilled, u.Task.Status)
	}
	for i := 2; i < 4; i++ {
		got, err := s.TaskGet(ctx, res[i].Task.Tenant, res[i].Task.ID)
		require.NoError(t, err)
		require.Equal(t, taskcenter.StatusInitial, got.Status, "the successor in %s", got.Tenant)
		events, err := s.TaskEvents(ctx, got.Tenant, got.ID)
		require.NoError(t, err)
		require.Len(t, events, 2)
		require.Equal(t, taskcenter.ActorEngine, events[1].Actor)
	}

	// The successors hold cdb-1 in their tenants only.
	more, err := s.TaskInsertMany(ctx, []*taskcenter.TaskInsertParams{exclusive("ta"), exclusive("tb")})
	require.NoError(t, err)
	for _, r := range more {
		require.NoError(t, r.Err)
		require.Equal(t, taskcenter.StatusWaiting, r.Task.Status, "tenant %s", r.Task.Tenant)
	}
}

// TestBatchItemPostgresRefuses sends, among good items, an insert and an
// update that PostgreSQL itself would refuse (a NUL byte in text, a context
// that is not JSON, a request id or instance id that is not text): they fail
// alone, with EINVALID, and the rest is written.
func TestBatchItemPostgresRefuses(t *testing.T) {
	t.Parallel()
	s, _ := setupCounted(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: "cdb-1", Tenant: "ta", Status: taskcenter.InstanceNormal})
	require.NoError(t, err)
	task := func(context string) *taskcenter.TaskInsertParams {
		return &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{Tenant: "ta", Type: taskcenter.TypeReboot,
			Status: taskcenter.StatusInitial, InstanceIDs: []string{"cdb-1"}, CreatedAt: now, Context: []byte(context)}}
	}
	nulRequest, badInstance := task(`{}`), task(`{}`)
	nulRequest.Task.AsyncRequestID = "r\x00"
	badInstance.Task.InstanceIDs = []string{"cdb-\xff"}
	ins, err := s.TaskInsertMany(ctx, []*taskcenter.TaskInsertParams{
		task(`{}`), task(`{"a":`), task(`{"b":1}`), nulRequest, badInstance,
	})
	require.NoError(t, err)
	require.NoError(t, ins[0].Err)
	require.NoError(t, ins[2].Err)
	for _, i := range []int{1, 3, 4} {
		require.Equal(t, taskcenter.EINVALID, taskcenter.ErrorCode(ins[i].Err), "item %d: %v", i, ins[i].Err)
		require.Nil(t, ins[i].Task)
	}

	message := func(id int64, m string) *taskcenter.TaskUpdateParams {
		return &taskcenter.TaskUpdateParams{Tenant: "ta", ID: id, Actor: "w", Now: now,
			Update: func(t *taskcenter.Task) error { t.Message = m; return nil }}
	}
	ups, err := s.TaskUpdateMany(ctx, []*taskcenter.TaskUpdateParams{
		message(ins[0].Task.ID, "half"), message(ins[2].Task.ID, "nul\x00"), message(ins[2].Task.ID, "fine"),
	})
	require.NoError(t, err)
	require.NoError(t, ups[0].Err)
	require.Equal(t, taskcenter.EINVALID, taskcenter.ErrorCode(ups[1].Err))
	require.NoError(t, ups[2].Err)
	for i, want := range map[int]string{0: "half", 2: "fine"} {
		got, err := s.TaskGet(ctx, "ta", ins[i].Task.ID)
		require.NoError(t, err)
		require.Equal(t, want, got.Message)
		events, err := s.TaskEvents(ctx, "ta", got.ID)
		require.NoError(t, err)
		require.Len(t, events, 2, "the submission and one message change")
	}
}

// TestBatchInsertsConcurrent runs overlapping insert batches at once: every
// batch queues exclusive tasks on the same instances and reuses request ids
// that the other batches use too. None may fail as a whole; each request id
// names one task, which every batch gets back; each instance has exactly
// one task ready, the oldest of its queue.
func TestBatchInsertsConcurrent(t *testing.T) {
	t.Parallel()
	s, _ := setupCounted(t)
	ctx := context.Background()
	instances := []string{"cdb-1", "cdb-2", "cdb-3"}
	for _, id := range instances {
		_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: id, Tenant: "ta", Status: taskcenter.InstanceNormal})
		require.NoError(t, err)
	}
	const batches, size = 6, 12
	results := make([][]taskcenter.TaskResult, batches)
	errs := make([]error, batches)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for b := range batches {
		wg.Go(func() {
			var ps []*taskcenter.TaskInsertParams
			for i := range size {
				// Request ids r0..r5 are shared by all batches, in an order of
				// their own; the rest belong to this batch.
				request := fmt.Sprintf("b%d-%d", b, i)
				if i < 6 {
					request = fmt.Sprintf("r%d", (i+b)%6)
				}
				ps = append(ps, &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{
					Tenant: "ta", Type: taskcenter.TypeReboot, Status: taskcenter.StatusWaiting, Exclusive: true,
					InstanceIDs: []string{instances[i%len(instances)]}, AsyncRequestID: request, CreatedAt: time.Now(),
				}})
			}
			<-start
			results[b], errs[b] = s.TaskInsertMany(ctx, ps)
		})
	}
	close(start)
	wg.Wait()

	byRequest := map[string]int64{}
	for b := range batches {
		require.NoError(t, errs[b], "batch %d", b)
		for i, r := range results[b] {
			require.NoError(t, r.Err)
			request := r.Task.AsyncRequestID
			if id, ok := byRequest[request]; ok {
				require.Equal(t, id, r.Task.ID, "request %s in batch %d item %d", request, b, i)
			}
			byRequest[request] = r.Task.ID
		}
	}
	page, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: "ta", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, len(byRequest), page.Total, "one task per request id")
	require.Equal(t, 6+batches*(size-6), page.Total)
	for _, inst := range instances {
		queue, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: "ta", InstanceID: inst, Limit: 100})
		require.NoError(t, err)
		oldest := queue.Tasks[len(queue.Tasks)-1] // lists are newest first
		ready, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: "ta", InstanceID: inst,
			Statuses: []taskcenter.Status{taskcenter.StatusInitial, taskcenter.StatusRunning}, Limit: 10})
		require.NoError(t, err)
		require.Len(t, ready.Tasks, 1, "instance %s", inst)
		require.Equal(t, oldest.ID, ready.Tasks[0].ID, "instance %s", inst)
	}
}
