package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// exclusive inserts an exclusive task submitted as WAITING, as the engine does.
func (f *fixture) exclusive(t *testing.T, tenant string, instances ...string) *tc.Task {
	t.Helper()
	return f.task(t, tenant, tc.TypeReboot, instances, func(task *tc.Task) {
		task.Status, task.Exclusive = tc.StatusWaiting, true
	})
}

func (f *fixture) status(t *testing.T, tenant string, id int64) tc.Status {
	t.Helper()
	got, err := f.store.TaskGet(f.ctx, tenant, id)
	require.NoError(t, err)
	return got.Status
}

func (f *fixture) claim(t *testing.T, tenant string, max int, types ...string) []*tc.Task {
	t.Helper()
	got, err := f.store.TaskClaim(f.ctx, &tc.TaskClaimParams{Tenant: tenant, WorkerID: "w1", Types: types,
		Max: max, Lease: time.Minute, Now: f.now})
	require.NoError(t, err)
	return got
}

func init() {
	register("ExclusiveQueue", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "ta", "b")
		t1 := f.exclusive(t, "ta", "a")
		require.Equal(t, tc.StatusInitial, t1.Status, "a free instance starts at once")
		events, err := f.store.TaskEvents(f.ctx, "ta", t1.ID)
		require.NoError(t, err)
		require.Len(t, events, 1, "one submission event, not a queueing and a promotion")
		require.Equal(t, tc.StatusInitial, events[0].To)

		t2 := f.exclusive(t, "ta", "a")
		require.Equal(t, tc.StatusWaiting, t2.Status, "queued behind t1")
		t3 := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		require.Equal(t, tc.StatusInitial, t3.Status, "a non-exclusive task does not queue")
		t4 := f.exclusive(t, "ta", "b")
		require.Equal(t, tc.StatusInitial, t4.Status)

		f.transition(t, "ta", t1.ID, tc.StatusRunning)
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", t2.ID))
		f.transition(t, "ta", t1.ID, tc.StatusSucceed)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", t2.ID), "promoted when t1 ended")
		events, err = f.store.TaskEvents(f.ctx, "ta", t2.ID)
		require.NoError(t, err)
		require.Len(t, events, 2)
		require.Equal(t, tc.StatusWaiting, events[1].From)
		require.Equal(t, tc.StatusInitial, events[1].To)
		require.Equal(t, tc.ActorEngine, events[1].Actor)
	})

	register("ExclusiveNotDueHoldsNothing", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		later := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) {
			task.Status, task.RunAfter, task.Exclusive = tc.StatusWaiting, f.now.Add(time.Hour), true
		})
		require.Equal(t, tc.StatusWaiting, later.Status)
		first := f.exclusive(t, "ta", "a")
		require.Equal(t, tc.StatusInitial, first.Status, "an older task whose time has not come keeps nothing")
		second := f.exclusive(t, "ta", "a")
		require.Equal(t, tc.StatusWaiting, second.Status, "behind the one that started")
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", later.ID))
	})

	register("ExclusiveSubmissionOrder", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "ta", "b")
		t1 := f.exclusive(t, "ta", "a")
		t2 := f.exclusive(t, "ta", "a", "b")
		t3 := f.exclusive(t, "ta", "b")
		require.Equal(t, tc.StatusWaiting, t2.Status)
		require.Equal(t, tc.StatusWaiting, t3.Status, "b is free, but the older t2 waits for it")
		f.transition(t, "ta", t1.ID, tc.StatusKilled)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", t2.ID))
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", t3.ID))
		f.transition(t, "ta", t2.ID, tc.StatusRunning)
		f.transition(t, "ta", t2.ID, tc.StatusFailed)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", t3.ID))
	})

	register("ExclusiveMultiInstanceClosure", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "ta", "b")
		holder := f.exclusive(t, "ta", "a")
		both := f.exclusive(t, "ta", "a", "b")
		onB := f.exclusive(t, "ta", "b")
		require.Equal(t, tc.StatusInitial, holder.Status)
		require.Equal(t, tc.StatusWaiting, both.Status)
		require.Equal(t, tc.StatusWaiting, onB.Status)
		// A change on b alone must still see that a is held.
		f.transition(t, "ta", onB.ID, tc.StatusKilled)
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", both.ID))
	})

	register("ExclusiveBatchEndsHolderAndOldest", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		holder := f.exclusive(t, "ta", "a")
		oldest := f.exclusive(t, "ta", "a")
		next := f.exclusive(t, "ta", "a")
		last := f.exclusive(t, "ta", "a")
		// One batch ends the holder and the oldest waiting task: the plan
		// after it starts the next one, which waited behind both.
		res, err := f.store.TaskUpdateMany(f.ctx, []*tc.TaskUpdateParams{
			f.to("ta", holder.ID, tc.StatusKilled), f.to("ta", oldest.ID, tc.StatusKilled)})
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", next.ID))
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", last.ID))
		// A batch that ends the new holder and the oldest task whose time
		// has come, while an older one waits for its time: the next due one
		// starts, the older one still waits.
		f.transition(t, "ta", last.ID, tc.StatusPaused)
		notDue := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) {
			task.Status, task.RunAfter, task.Exclusive = tc.StatusWaiting, f.now.Add(time.Hour), true
		})
		due1, due2 := f.exclusive(t, "ta", "a"), f.exclusive(t, "ta", "a")
		res, err = f.store.TaskUpdateMany(f.ctx, []*tc.TaskUpdateParams{
			f.to("ta", next.ID, tc.StatusKilled), f.to("ta", due1.ID, tc.StatusKilled)})
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", notDue.ID))
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", due2.ID))
	})

	register("ExclusivePauseReleases", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		t1 := f.exclusive(t, "ta", "a")
		t2 := f.exclusive(t, "ta", "a")
		f.transition(t, "ta", t1.ID, tc.StatusPaused)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", t2.ID))
		// Resumed, t1 queues again, behind the task now holding the instance.
		f.transition(t, "ta", t1.ID, tc.StatusWaiting)
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", t1.ID))
		f.transition(t, "ta", t2.ID, tc.StatusKilled)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", t1.ID))
	})

	register("ExclusiveConcurrentSubmits", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				_, _, err := f.store.TaskInsert(f.ctx, &tc.TaskInsertParams{Task: &tc.Task{
					Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusWaiting, Exclusive: true,
					InstanceIDs: []string{"a"}, CreatedAt: f.now, Context: []byte(`{}`),
				}})
				require.NoError(t, err)
			})
		}
		wg.Wait()
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", Statuses: []tc.Status{tc.StatusInitial}, Limit: 100})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total, "exactly one exclusive task may hold the instance")
	})

	register("TaskClaim", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "tb", "a")
		r1 := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		m1 := f.task(t, "ta", tc.TypeModifyParam, []string{"a"}, nil)
		later := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.RunAfter = f.now.Add(time.Minute) })
		other := f.task(t, "tb", tc.TypeReboot, []string{"a"}, nil)

		require.Empty(t, f.claim(t, "ta", 10, tc.TypeDropTables), "no task of that type")
		got := f.claim(t, "ta", 10, tc.TypeReboot)
		require.Len(t, got, 1, "the other tenant's and the not-yet-due task stay")
		require.Equal(t, r1.ID, got[0].ID)
		require.Equal(t, tc.StatusRunning, got[0].Status)
		require.Equal(t, 1, got[0].Attempts)
		require.Equal(t, "w1", got[0].LeaseOwner)
		require.True(t, got[0].LeaseExpiresAt.Equal(f.now.Add(time.Minute)))
		require.True(t, got[0].ClaimedAt.Equal(f.now))
		require.True(t, got[0].StartedAt.Equal(f.now))
		events, err := f.store.TaskEvents(f.ctx, "ta", r1.ID)
		require.NoError(t, err)
		require.Equal(t, tc.StatusRunning, events[len(events)-1].To)
		require.Equal(t, "w1", events[len(events)-1].Actor)

		got = f.claim(t, tc.AllTenants, 10)
		require.ElementsMatch(t, []int64{m1.ID, other.ID}, []int64{got[0].ID, got[1].ID})
		require.Len(t, got, 2)
		require.Empty(t, f.claim(t, tc.AllTenants, 10))
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", later.ID))
	})

	// A claim of all tenants' tasks of some types takes the oldest ready
	// tasks of those types, across tenants and types, in id order: not
	// those of other types, nor those not yet due, nor a type twice.
	register("TaskClaimTypesAllTenants", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "tb", "a")
		var want []int64
		for i := range 4 {
			tenant := []string{"ta", "tb"}[i%2]
			f.task(t, tenant, tc.TypeSQLOperation, []string{"a"}, nil)
			want = append(want, f.task(t, tenant, tc.TypeReboot, []string{"a"}, nil).ID)
			f.task(t, tenant, tc.TypeModifyParam, []string{"a"}, func(task *tc.Task) { task.RunAfter = f.now.Add(time.Minute) })
			want = append(want, f.task(t, tenant, tc.TypeModifyParam, []string{"a"}, nil).ID)
		}
		ids := func(tasks []*tc.Task) []int64 {
			out := make([]int64, len(tasks))
			for i, task := range tasks {
				require.Equal(t, tc.StatusRunning, task.Status)
				out[i] = task.ID
			}
			return out
		}
		require.Empty(t, f.claim(t, tc.AllTenants, 10, tc.TypeDropTables), "no task of that type")
		types := []string{tc.TypeReboot, tc.TypeModifyParam, tc.TypeReboot}
		require.Equal(t, want[:3], ids(f.claim(t, tc.AllTenants, 3, types...)), "the three oldest")
		require.Equal(t, want[3:], ids(f.claim(t, tc.AllTenants, 10, types...)), "the rest, in order")
		require.Empty(t, f.claim(t, tc.AllTenants, 10, types...))
		events, err := f.store.TaskEvents(f.ctx, "tb", want[len(want)-1])
		require.NoError(t, err)
		require.Equal(t, tc.StatusRunning, events[len(events)-1].To)
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: tc.AllTenants, Statuses: []tc.Status{tc.StatusInitial}, Limit: 100})
		require.NoError(t, err)
		require.Equal(t, 8, page.Total, "the other type's and the tasks not yet due stay ready")
	})

	register("TaskClaimConcurrent", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		const n = 40
		for range n {
			f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for {
					got, err := f.store.TaskClaim(f.ctx, &tc.TaskClaimParams{Tenant: "ta", WorkerID: fmt.Sprint("w", w),
						Max: 3, Lease: time.Minute, Now: f.now})
					require.NoError(t, err)
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, task := range got {
						seen[task.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, seen, n)
		for id, c := range seen {
			require.Equal(t, 1, c, "task %d claimed %d times", id, c)
		}
	})

	// Claims are the fence of workers' reports: every claim raises them, a
	// release that gives the attempt back does not lower them, and no update
	// changes them, so no two leases of a task share a number.
	register("TaskClaimCountsClaims", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		task := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.Claims = 7 })
		require.Zero(t, task.Claims, "a new task has had no claim")
		release := func(task *tc.Task) error {
			task.Attempts-- // as the engine's release does
			task.Claims = 0 // and no update may lower the claims
			return task.Transition(tc.StatusInitial, f.now)
		}
		for i := range 3 {
			got := f.claim(t, "ta", 1)
			require.Len(t, got, 1)
			require.Equal(t, int64(i+1), got[0].Claims, "claim %d", i+1)
			require.Equal(t, 1, got[0].Attempts, "released attempts are given back")
			if i < 2 {
				back, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: task.ID, Actor: "w1",
					Now: f.now, Update: release})
				require.NoError(t, err)
				require.Equal(t, int64(i+1), back.Claims)
				require.Zero(t, back.Attempts)
			}
		}
		res, err := f.store.TaskUpdateMany(f.ctx, []*tc.TaskUpdateParams{
			{Tenant: "ta", ID: task.ID, Now: f.now, Update: func(task *tc.Task) error { task.Claims = 1; return nil }},
			{Tenant: "ta", ID: task.ID, Now: f.now, Update: func(task *tc.Task) error { task.Claims += 10; return nil }},
		})
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
			require.Equal(t, int64(3), r.Task.Claims, "an update changes no claims")
		}
		got, err := f.store.TaskGet(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Equal(t, int64(3), got.Claims)
		require.Equal(t, 1, got.Attempts)
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", Limit: 10})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1)
		require.Equal(t, int64(3), page.Tasks[0].Claims, "lists read the claims too")
	})

	register("TaskPromoteDue", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "ta", "b")
		soon := f.now.Add(time.Minute)
		plain := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) {
			task.Status, task.RunAfter = tc.StatusWaiting, soon
		})
		notYet := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) {
			task.Status, task.RunAfter = tc.StatusWaiting, soon.Add(time.Hour)
		})
		holder := f.exclusive(t, "ta", "a")
		blocked := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) {
			task.Status, task.RunAfter, task.Exclusive = tc.StatusWaiting, soon, true
		})
		free := f.task(t, "ta", tc.TypeReboot, []string{"b"}, func(task *tc.Task) {
			task.Status, task.RunAfter, task.Exclusive = tc.StatusWaiting, soon, true
		})
		require.Equal(t, tc.StatusWaiting, free.Status, "not due yet")

		n, err := f.store.TaskPromoteDue(f.ctx, f.now)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = f.store.TaskPromoteDue(f.ctx, soon)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", plain.ID))
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", notYet.ID))
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", holder.ID))
		require.Equal(t, tc.StatusWaiting, f.status(t, "ta", blocked.ID), "its instance is held")
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", free.ID))
		// Due but blocked, it is no longer picked as due: it waits in the
		// queue, and the holder's end starts it.
		got, err := f.store.TaskGet(f.ctx, "ta", blocked.ID)
		require.NoError(t, err)
		require.True(t, got.RunAfter.IsZero(), "run_after cleared: %v", got.RunAfter)
		f.transition(t, "ta", holder.ID, tc.StatusKilled)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", blocked.ID))
	})

	register("ClaimLeaseEndsAtTimeout", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		short := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.Timeout = 10 * time.Second })
		long := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.Timeout = time.Hour })
		none := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		claimed := f.claim(t, "ta", 3) // a lease of a minute
		require.Len(t, claimed, 3)
		want := map[int64]time.Time{short.ID: f.now.Add(10 * time.Second), long.ID: f.now.Add(time.Minute), none.ID: f.now.Add(time.Minute)}
		for _, task := range claimed {
			require.True(t, want[task.ID].Equal(task.LeaseExpiresAt), "task %d: lease until %s, want %s", task.ID, task.LeaseExpiresAt, want[task.ID])
			stored, err := f.store.TaskGet(f.ctx, "ta", task.ID)
			require.NoError(t, err)
			require.True(t, want[task.ID].Equal(stored.LeaseExpiresAt), "task %d stored: lease until %s", task.ID, stored.LeaseExpiresAt)
		}
	})

	register("TaskExpired", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		short := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.Timeout = 10 * time.Minute })
		long := f.task(t, "ta", tc.TypeModifyParam, []string{"a"}, func(task *tc.Task) { task.Timeout = time.Hour })
		f.task(t, "ta", tc.TypeSQLOperation, []string{"a"}, nil) // never claimed
		require.Len(t, f.claim(t, "ta", 2, tc.TypeReboot, tc.TypeModifyParam), 2)
		refs, err := f.store.TaskExpired(f.ctx, f.now.Add(30*time.Second), 10)
		require.NoError(t, err)
		require.Empty(t, refs)
		refs, err = f.store.TaskExpired(f.ctx, f.now.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Equal(t, []tc.TaskRef{{Tenant: "ta", ID: short.ID}, {Tenant: "ta", ID: long.ID}}, refs, "leases expired")
		// Renewed leases: only the attempt that outlived its timeout remains.
		for _, id := range []int64{short.ID, long.ID} {
			_, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: id, Now: f.now,
				Update: func(task *tc.Task) error { task.LeaseExpiresAt = f.now.Add(24 * time.Hour); return nil }})
			require.NoError(t, err)
		}
		refs, err = f.store.TaskExpired(f.ctx, f.now.Add(11*time.Minute), 10)
		require.NoError(t, err)
		require.Equal(t, []tc.TaskRef{{Tenant: "ta", ID: short.ID}}, refs)
	})

	register("TaskPrune", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		old := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		f.transition(t, "ta", old.ID, tc.StatusKilled) // ended at f.now
		running := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		f.transition(t, "ta", running.ID, tc.StatusRunning)
		n, err := f.store.TaskPrune(f.ctx, f.now, 10)
		require.NoError(t, err)
		require.Zero(t, n, "ended exactly at the bound: kept")
		n, err = f.store.TaskPrune(f.ctx, f.now.Add(time.Millisecond), 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = f.store.TaskGet(f.ctx, "ta", old.ID)
		requireCode(t, err, tc.ENOTFOUND)
		_, err = f.store.TaskEvents(f.ctx, "ta", old.ID)
		requireCode(t, err, tc.ENOTFOUND)
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", InstanceID: "a", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
	})

	register("LeaseAcquire", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		ok, err := f.store.LeaseAcquire(f.ctx, "maintenance", "a", f.now, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = f.store.LeaseAcquire(f.ctx, "maintenance", "b", f.now.Add(time.Second), time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "held by a")
		ok, err = f.store.LeaseAcquire(f.ctx, "maintenance", "a", f.now.Add(30*time.Second), time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "renewed by its holder")
		ok, err = f.store.LeaseAcquire(f.ctx, "maintenance", "b", f.now.Add(2*time.Minute), time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "taken over once expired")
		ok, err = f.store.LeaseAcquire(f.ctx, "maintenance", "a", f.now.Add(2*time.Minute), time.Minute)
		require.NoError(t, err)
		require.False(t, ok)
	})

	register("TaskUpdateMessageEvent", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		task := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		_, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: task.ID, Now: f.now, Actor: "w",
			Update: func(task *tc.Task) error { task.Message = "copying files"; return nil }})
		require.NoError(t, err)
		_, err = f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: task.ID, Now: f.now, Actor: "w",
			Update: func(task *tc.Task) error { task.LeaseExpiresAt = f.now; return nil }})
		require.NoError(t, err)
		events, err := f.store.TaskEvents(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Len(t, events, 2, "a message change is recorded; a lease renewal is not")
		require.Equal(t, "copying files", events[1].Message)
	})
}
