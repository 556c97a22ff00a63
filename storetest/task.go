package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func init() {
	register("TaskInsertGet", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "ta", "cdb-2")
		runAfter := f.now.Add(time.Minute)
		in := f.task(t, "ta", tc.TypeBatchRollback, []string{"cdb-2", "cdb-1"}, func(task *tc.Task) {
			task.Status = tc.StatusWaiting
			task.AsyncRequestID = "req-1"
			task.Context = json.RawMessage(`{"operator":"u1","dbs":[{"dbname":"d","newname":"d_bak"}]}`)
			task.RunAfter = runAfter
			task.Timeout = 90 * time.Second
			task.MaxAttempts = 5
		})
		require.Positive(t, in.ID)
		got, err := f.store.TaskGet(f.ctx, "ta", in.ID)
		require.NoError(t, err)
		require.Equal(t, in, got)
		require.Equal(t, "ta", got.Tenant)
		require.Equal(t, tc.TypeBatchRollback, got.Type)
		require.Equal(t, tc.StatusWaiting, got.Status)
		require.Equal(t, []string{"cdb-2", "cdb-1"}, got.InstanceIDs, "instance order is kept")
		require.Equal(t, "req-1", got.AsyncRequestID)
		require.JSONEq(t, `{"operator":"u1","dbs":[{"dbname":"d","newname":"d_bak"}]}`, string(got.Context))
		require.True(t, got.CreatedAt.Equal(f.now))
		require.True(t, got.StartedAt.IsZero())
		require.True(t, got.EndedAt.IsZero())
		require.True(t, got.RunAfter.Equal(runAfter))
		require.Equal(t, 90*time.Second, got.Timeout)
		require.Equal(t, 5, got.MaxAttempts)
		require.Equal(t, 0, got.Attempts)

		events, err := f.store.TaskEvents(f.ctx, "ta", in.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, tc.Status(""), events[0].From)
		require.Equal(t, tc.StatusWaiting, events[0].To)
		require.Equal(t, "test", events[0].Actor)
		require.Equal(t, in.ID, events[0].TaskID)
	})

	register("TaskIDsIncrease", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-1")
		a := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		b := f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, nil)
		c := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		require.Less(t, a.ID, b.ID)
		require.Less(t, b.ID, c.ID)
	})

	register("TaskInsertUnknownInstance", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-9")
		for _, ids := range [][]string{{"cdb-2"}, {"cdb-1", "cdb-2"}, {"cdb-9"}} {
			_, _, err := f.store.TaskInsert(f.ctx, &tc.TaskInsertParams{Task: &tc.Task{
				Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusInitial, InstanceIDs: ids,
				CreatedAt: f.now, Context: []byte(`{}`),
			}})
			requireCode(t, err, tc.EINVALID)
			require.Equal(t, "instance_ids", tc.ErrorField(err))
		}
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: tc.AllTenants, Limit: 10})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing written")
	})

	register("TaskInsertIdempotent", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-1")
		first := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, func(task *tc.Task) { task.AsyncRequestID = "r1" })
		again, created, err := f.store.TaskInsert(f.ctx, &tc.TaskInsertParams{Task: &tc.Task{
			Tenant: "ta", Type: tc.TypeModifyParam, Status: tc.StatusInitial, InstanceIDs: []string{"cdb-1"},
			AsyncRequestID: "r1", CreatedAt: f.now, Context: []byte(`{}`),
		}})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, first.ID, again.ID)
		require.Equal(t, tc.TypeReboot, again.Type, "the first task is returned unchanged")
		// Another tenant may use the same async request id.
		other := f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, func(task *tc.Task) { task.AsyncRequestID = "r1" })
		require.NotEqual(t, first.ID, other.ID)
		events, err := f.store.TaskEvents(f.ctx, "ta", first.ID)
		require.NoError(t, err)
		require.Len(t, events, 1, "a repeated submit appends nothing")
	})

	register("TaskInsertIdempotentConcurrent", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		const n = 8
		var wg sync.WaitGroup
		ids := make([]int64, n)
		createdN := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				task, created, err := f.store.TaskInsert(f.ctx, &tc.TaskInsertParams{Task: &tc.Task{
					Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusInitial, InstanceIDs: []string{"cdb-1"},
					AsyncRequestID: "race", CreatedAt: f.now, Context: []byte(`{}`),
				}})
				errs[i] = err
				if err == nil {
					ids[i], createdN[i] = task.ID, created
				}
			})
		}
		wg.Wait()
		nCreated := 0
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, ids[0], ids[i])
			if createdN[i] {
				nCreated++
			}
		}
		require.Equal(t, 1, nCreated)
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
	})

	register("TaskGetTenantScoped", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		task := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		_, err := f.store.TaskGet(f.ctx, "tb", task.ID)
		requireCode(t, err, tc.ENOTFOUND)
		_, err = f.store.TaskGet(f.ctx, "ta", task.ID+1000)
		requireCode(t, err, tc.ENOTFOUND)
		_, err = f.store.TaskEvents(f.ctx, "tb", task.ID)
		requireCode(t, err, tc.ENOTFOUND)
		got, err := f.store.TaskGet(f.ctx, tc.AllTenants, task.ID)
		require.NoError(t, err)
		require.Equal(t, "ta", got.Tenant)
	})

	register("TaskGetManyScoped", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-1")
		a1 := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, func(t *tc.Task) { t.Message = "first" })
		b1 := f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, nil)
		a2 := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, func(t *tc.Task) {
			t.Context = json.RawMessage(`{"sql":"SELECT 1"}`)
			t.AttachInfo = []tc.Attach{{Key: "k", Value: "v"}}
		})
		got, err := f.store.TaskGetMany(f.ctx, []tc.TaskRef{
			{Tenant: "ta", ID: a2.ID}, {Tenant: "ta", ID: b1.ID}, // b1 is another tenant's
			{Tenant: "ta", ID: a1.ID}, {Tenant: "ta", ID: a2.ID}, // named twice, read once
			{Tenant: "ta", ID: a2.ID + 1000}, // no such task
		})
		require.NoError(t, err)
		require.Len(t, got, 2)
		for i, want := range []*tc.Task{a1, a2} {
			one, err := f.store.TaskGet(f.ctx, "ta", want.ID)
			require.NoError(t, err)
			require.Equal(t, one, got[i], "the same task as TaskGet reads")
		}
		require.Equal(t, "first", got[0].Message)
		require.JSONEq(t, `{"sql":"SELECT 1"}`, string(got[1].Context))

		got, err = f.store.TaskGetMany(f.ctx, []tc.TaskRef{{Tenant: tc.AllTenants, ID: b1.ID}, {Tenant: "tb", ID: a1.ID}})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "tb", got[0].Tenant)

		got, err = f.store.TaskGetMany(f.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = f.store.TaskGetMany(f.ctx, make([]tc.TaskRef, tc.MaxTaskGetMany+1))
		requireCode(t, err, tc.EINVALID)
	})

	register("TaskUpdateTransitionsAndEvents", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		task := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		later := f.now.Add(time.Second)
		got, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "ta", ID: task.ID, Actor: "worker-1", Now: later,
			Update: func(task *tc.Task) error {
				task.Attempts++
				task.LeaseOwner = "worker-1"
				task.LeaseExpiresAt = later.Add(time.Minute)
				return task.Transition(tc.StatusRunning, later)
			},
		})
		require.NoError(t, err)
		require.Equal(t, tc.StatusRunning, got.Status)
		require.True(t, got.StartedAt.Equal(later))
		require.Equal(t, "worker-1", got.LeaseOwner)
		require.True(t, got.LeaseExpiresAt.Equal(later.Add(time.Minute)))

		_, err = f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "ta", ID: task.ID, Actor: "worker-1", Now: later, Note: "copying",
			Update: func(task *tc.Task) error { task.Progress = 40; return nil },
		})
		require.NoError(t, err)
		done := later.Add(time.Second)
		got, err = f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "ta", ID: task.ID, Actor: "worker-1", Now: done,
			Update: func(task *tc.Task) error {
				task.Message = "restarted"
				task.AttachInfo = []tc.Attach{{Key: "FastUpgradeStatus", Value: "1"}}
				return task.Transition(tc.StatusSucceed, done)
			},
		})
		require.NoError(t, err)
		require.Equal(t, tc.StatusSucceed, got.Status)
		require.Equal(t, 100, got.Progress)
		require.True(t, got.EndedAt.Equal(done))
		require.Empty(t, got.LeaseOwner)

		reread, err := f.store.TaskGet(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Equal(t, got, reread)
		require.Equal(t, []tc.Attach{{Key: "FastUpgradeStatus", Value: "1"}}, reread.AttachInfo)

		events, err := f.store.TaskEvents(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Len(t, events, 4)
		want := []struct {
			from, to tc.Status
			progress int
			message  string
		}{
			{"", tc.StatusInitial, 0, ""},
			{tc.StatusInitial, tc.StatusRunning, 0, ""},
			{tc.StatusRunning, tc.StatusRunning, 40, "copying"},
			{tc.StatusRunning, tc.StatusSucceed, 100, "restarted"},
		}
		for i, w := range want {
			require.Equal(t, w.from, events[i].From, "event %d", i)
			require.Equal(t, w.to, events[i].To, "event %d", i)
			require.Equal(t, w.progress, events[i].Progress, "event %d", i)
			require.Equal(t, w.message, events[i].Message, "event %d", i)
			if i > 0 {
				require.Less(t, events[i-1].Seq, events[i].Seq)
				require.Equal(t, "worker-1", events[i].Actor)
			}
		}
		require.True(t, events[3].At.Equal(done))
	})

	register("TaskUpdateErrorWritesNothing", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		task := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		_, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "ta", ID: task.ID, Now: f.now,
			Update: func(task *tc.Task) error {
				task.Progress = 50
				return task.Transition(tc.StatusSucceed, f.now) // INITIAL -> SUCCEED is not allowed
			},
		})
		requireCode(t, err, tc.ECONFLICT)
		got, err := f.store.TaskGet(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Equal(t, task, got)
		events, err := f.store.TaskEvents(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)

		_, err = f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "tb", ID: task.ID, Now: f.now,
			Update: func(task *tc.Task) error { return task.Transition(tc.StatusKilled, f.now) },
		})
		requireCode(t, err, tc.ENOTFOUND)
		got, err = f.store.TaskGet(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Equal(t, tc.StatusInitial, got.Status)
	})

	register("TaskUpdateKeepsIdentity", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		task := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		got, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{
			Tenant: "ta", ID: task.ID, Now: f.now,
			Update: func(task *tc.Task) error {
				task.Tenant, task.ID, task.Type = "tb", 999999, tc.TypeDropTables
				task.InstanceIDs, task.AsyncRequestID = []string{"cdb-9"}, "other"
				task.CreatedAt = f.now.Add(time.Hour)
				return nil
			},
		})
		require.NoError(t, err)
		require.Equal(t, "ta", got.Tenant)
		require.Equal(t, task.ID, got.ID)
		require.Equal(t, tc.TypeReboot, got.Type)
		require.Equal(t, []string{"cdb-1"}, got.InstanceIDs)
		require.Empty(t, got.AsyncRequestID)
		require.True(t, got.CreatedAt.Equal(f.now))
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", InstanceID: "cdb-1", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
	})

	register("TaskCounts", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-1")
		for range 3 {
			f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		}
		k := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		f.transition(t, "ta", k.ID, tc.StatusKilled)
		f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, nil)
		counts, err := f.store.TaskCounts(f.ctx, "ta")
		require.NoError(t, err)
		require.Equal(t, map[tc.Status]int{tc.StatusInitial: 3, tc.StatusKilled: 1}, counts)
		all, err := f.store.TaskCounts(f.ctx, tc.AllTenants)
		require.NoError(t, err)
		require.Equal(t, map[tc.Status]int{tc.StatusInitial: 4, tc.StatusKilled: 1}, all)
	})
}
