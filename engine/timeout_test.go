package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clocked is an engine on a clock the test moves, without maintenance: the
// test runs the rescue itself. Leases last 30 s, and instance i0 of tenant
// ta exists.
func clocked(t *testing.T, store tc.Store) (*env, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
	svc := engine.New(store, engine.Config{Now: c.Now, Lease: 30 * time.Second})
	e := &env{ctx: t.Context(), store: store, svc: svc}
	_, err := svc.PutInstance(e.ctx, &tc.Instance{ID: "i0", Tenant: "ta", Name: "db"})
	require.NoError(t, err)
	return e, c
}

func (e *env) claimOne(t *testing.T, worker string) *tc.Task {
	t.Helper()
	got, err := e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: worker, Max: 1})
	require.NoError(t, err)
	require.Len(t, got, 1)
	return got[0]
}

func (e *env) rescue(t *testing.T) int {
	t.Helper()
	n, err := e.svc.RescueExpired(e.ctx)
	require.NoError(t, err)
	return n
}

// TestTimeoutEndsLease: a lease never runs past the attempt's timeout, so
// the instance of an exclusive task goes to the next task only once the
// worker's lease has ended, and at the timeout.
func TestTimeoutEndsLease(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e, c := clocked(t, open(t))
		start := c.Now()
		a := e.submit(t, tc.TypeReboot, []string{"i0"}, func(p *tc.SubmitTaskParams) {
			p.Timeout, p.MaxAttempts = 10*time.Second, 1
		})
		b := e.submit(t, tc.TypeReboot, []string{"i0"}, nil)
		require.Equal(t, tc.StatusWaiting, b.Status)

		claimed := e.claimOne(t, "w")
		require.Equal(t, a.ID, claimed.ID)
		require.True(t, claimed.LeaseExpiresAt.Equal(start.Add(10*time.Second)), "lease until %s", claimed.LeaseExpiresAt)

		c.add(5 * time.Second)
		lease := tc.TaskLease{Tenant: "ta", ID: a.ID, WorkerID: "w"}
		hb, err := e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: lease, Progress: 50})
		require.NoError(t, err)
		require.True(t, hb.LeaseExpiresAt.Equal(start.Add(10*time.Second)), "renewed until %s, not past the timeout", hb.LeaseExpiresAt)

		c.add(4 * time.Second) // 9 s: the attempt goes on
		require.Zero(t, e.rescue(t))
		require.Equal(t, tc.StatusRunning, e.get(t, a.ID).Status)
		require.Equal(t, tc.StatusWaiting, e.get(t, b.ID).Status)

		c.add(1500 * time.Millisecond) // 10.5 s: a heartbeat gets no more time
		hb, err = e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: lease, Progress: 60})
		require.NoError(t, err)
		require.False(t, hb.LeaseExpiresAt.After(start.Add(10*time.Second)), "renewed until %s", hb.LeaseExpiresAt)

		require.Equal(t, 1, e.rescue(t))
		failed := e.get(t, a.ID)
		require.Equal(t, tc.StatusFailed, failed.Status)
		require.Contains(t, failed.Message, "timed out")
		require.Equal(t, tc.StatusInitial, e.get(t, b.ID).Status, "the instance goes to the next task")
	})
}

// TestStopOutlivesTimeout: a cancel or pause asked for during an attempt is
// kept when the attempt then times out: the task is KILLED or PAUSED, not
// retried.
func TestStopOutlivesTimeout(t *testing.T) {
	for _, stop := range []tc.Status{tc.StatusKilled, tc.StatusPaused} {
		t.Run(string(stop), func(t *testing.T) {
			eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
				e, c := clocked(t, open(t))
				task := e.submit(t, tc.TypeReboot, []string{"i0"}, func(p *tc.SubmitTaskParams) {
					p.Timeout, p.MaxAttempts = 10*time.Second, 3
				})
				e.claimOne(t, "w")
				c.add(5 * time.Second)
				var err error
				if stop == tc.StatusKilled {
					_, err = e.svc.CancelTask(e.ctx, "ta", task.ID, "op")
				} else {
					_, err = e.svc.PauseTask(e.ctx, "ta", task.ID, "op")
				}
				require.NoError(t, err)
				require.Equal(t, tc.StatusRunning, e.get(t, task.ID).Status, "the worker is still at work")

				c.add(6 * time.Second) // past the timeout, and so past the lease
				require.Equal(t, 1, e.rescue(t))
				got := e.get(t, task.ID)
				require.Equal(t, stop, got.Status)
				c.add(time.Hour)
				claimed, err := e.svc.ClaimTasks(e.ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w2", Max: 1})
				require.NoError(t, err)
				require.Empty(t, claimed, "a stopped task does not run again")
				if stop == tc.StatusPaused {
					require.Zero(t, got.Attempts, "the interrupted attempt is not counted")
				}
			})
		})
	}
}

// TestRescueWaitsForLease: an attempt past its timeout whose lease still
// holds (one taken before leases ended at the timeout) is left to its worker
// until the lease ends.
func TestRescueWaitsForLease(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		e, c := clocked(t, open(t))
		task := e.submit(t, tc.TypeReboot, []string{"i0"}, func(p *tc.SubmitTaskParams) {
			p.Timeout, p.MaxAttempts = 10*time.Second, 1
		})
		e.claimOne(t, "w")
		until := c.Now().Add(30 * time.Second)
		_, err := e.store.TaskUpdate(e.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: task.ID, Now: c.Now(),
			Update: func(t *tc.Task) error { t.LeaseExpiresAt = until; return nil }})
		require.NoError(t, err)

		c.add(11 * time.Second)
		require.Zero(t, e.rescue(t))
		require.Equal(t, tc.StatusRunning, e.get(t, task.ID).Status)
		c.add(20 * time.Second)
		require.Equal(t, 1, e.rescue(t))
		got := e.get(t, task.ID)
		require.Equal(t, tc.StatusFailed, got.Status)
		require.Contains(t, got.Message, "timed out")
	})
}

// stuck is a store whose search for expired tasks waits on a lock that is
// never released, until its context ends.
type stuck struct{ tc.Store }

func (stuck) TaskExpired(ctx context.Context, _ time.Time, _ int) ([]tc.TaskRef, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestMaintenanceRoundTimeout: a round stuck in the store gives up after
// its timeout, so the next round can try again.
func TestMaintenanceRoundTimeout(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
		svc := engine.New(stuck{open(t)}, engine.Config{})
		m := svc.NewMaintenance(engine.MaintenanceConfig{RoundTimeout: 200 * time.Millisecond})
		done := make(chan error, 1)
		go func() { done <- m.Round(context.Background()) }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.DeadlineExceeded)
		case <-time.After(30 * time.Second):
			t.Fatal("the round did not give up")
		}
	})
}

// TestMaintenancePrunesSharedPostgres: on a store the replicas share, a
// maintenance round deletes the expired Nonces (a grace later, for clocks
// that differ) and stream tickets.
func TestMaintenancePrunesSharedPostgres(t *testing.T) {
	store, err := postgres.Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	require.NoError(t, store.Migrate(context.Background()))
	ctx := context.Background()
	past := time.Now().Add(-10 * time.Minute)
	fresh, err := store.NonceUse(ctx, "ta", "k", 1, 0, past, past.Add(time.Second))
	require.NoError(t, err)
	require.True(t, fresh)
	require.NoError(t, store.TicketIssue(ctx, [32]byte{1}, &tc.StreamTicket{CredentialID: "c", Tenant: "ta", ExpiresAt: past.Add(time.Second)},
		past, tc.TicketLimits{PerCredential: 1, PerOwner: 1, Total: 1}))

	recent, err := store.NonceUse(ctx, "ta", "k", 2, 0, time.Now().Add(-time.Minute), time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.True(t, recent)

	require.NoError(t, engine.New(store, engine.Config{}).NewMaintenance(engine.MaintenanceConfig{}).Round(ctx))
	fresh, err = store.NonceUse(ctx, "ta", "k", 2, 0, time.Now().Add(-2*time.Minute), time.Now())
	require.NoError(t, err)
	require.False(t, fresh, "expired a minute ago, kept for a replica whose clock is behind")
	n, err := store.NoncePrune(ctx, time.Now().Add(-5*time.Minute))
	require.NoError(t, err)
	require.Zero(t, n, "the round pruned the Nonce")
	n, err = store.TicketPrune(ctx, time.Now())
	require.NoError(t, err)
	require.Zero(t, n, "and the ticket")
}
