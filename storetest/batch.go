package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// newTask is a task ready for TaskInsert, as fixture.task builds it.
func (f *fixture) newTask(tenant, typ string, instances []string, mod func(*tc.Task)) *tc.TaskInsertParams {
	task := &tc.Task{
		Tenant: tenant, Type: typ, Status: tc.StatusInitial, InstanceIDs: instances,
		CreatedAt: f.now, Context: []byte(`{}`), MaxAttempts: 3,
	}
	if mod != nil {
		mod(task)
	}
	return &tc.TaskInsertParams{Task: task, Actor: "test"}
}

// to is an update that moves a task to a status.
func (f *fixture) to(tenant string, id int64, status tc.Status) *tc.TaskUpdateParams {
	return &tc.TaskUpdateParams{Tenant: tenant, ID: id, Actor: "test", Now: f.now,
		Update: func(task *tc.Task) error { return task.Transition(status, f.now) }}
}

func (f *fixture) events(t *testing.T, tenant string, id int64) []*tc.Event {
	t.Helper()
	events, err := f.store.TaskEvents(f.ctx, tenant, id)
	require.NoError(t, err)
	return events
}

func init() {
	register("BatchEmpty", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		ins, err := f.store.TaskInsertMany(f.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, ins)
		ups, err := f.store.TaskUpdateMany(f.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, ups)
	})

	register("BatchInsert", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "ta", "b")
		f.instance(t, "tb", "c")
		old := f.task(t, "ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.AsyncRequestID = "old" })
		exclusive := func(task *tc.Task) { task.Status, task.Exclusive = tc.StatusWaiting, true }
		res, err := f.store.TaskInsertMany(f.ctx, []*tc.TaskInsertParams{
			f.newTask("ta", tc.TypeReboot, []string{"b"}, nil),
			f.newTask("ta", tc.TypeReboot, []string{"c"}, nil), // c is tb's
			f.newTask("ta", tc.TypeReboot, []string{"a"}, func(task *tc.Task) { task.AsyncRequestID = "old" }),
			f.newTask("ta", tc.TypeReboot, []string{"b"}, func(task *tc.Task) { task.AsyncRequestID = "new" }),
			f.newTask("ta", tc.TypeModifyParam, []string{"a"}, func(task *tc.Task) { task.AsyncRequestID = "new" }),
			f.newTask("tb", tc.TypeReboot, []string{"c"}, exclusive),
			f.newTask("tb", tc.TypeReboot, []string{"c"}, exclusive),
		})
		require.NoError(t, err)
		require.Len(t, res, 7)

		require.NoError(t, res[0].Err)
		require.True(t, res[0].Created)
		require.Equal(t, []string{"b"}, res[0].Task.InstanceIDs)
		got, err := f.store.TaskGet(f.ctx, "ta", res[0].Task.ID)
		require.NoError(t, err)
		require.Equal(t, res[0].Task, got)

		requireCode(t, res[1].Err, tc.EINVALID)
		require.Nil(t, res[1].Task)

		require.NoError(t, res[2].Err)
		require.False(t, res[2].Created, "an existing request id returns the existing task")
		require.Equal(t, old.ID, res[2].Task.ID)

		require.NoError(t, res[3].Err)
		require.True(t, res[3].Created)
		require.NoError(t, res[4].Err)
		require.False(t, res[4].Created, "a request id used earlier in the batch")
		require.Equal(t, res[3].Task.ID, res[4].Task.ID)
		require.Equal(t, tc.TypeReboot, res[4].Task.Type)

		require.Equal(t, tc.StatusInitial, res[5].Task.Status, "the first exclusive task on c starts")
		require.Equal(t, tc.StatusWaiting, res[6].Task.Status, "the second queues behind it")
		require.Greater(t, res[6].Task.ID, res[5].Task.ID)
		require.Greater(t, res[0].Task.ID, old.ID)

		for _, i := range []int{0, 3, 5, 6} {
			events := f.events(t, res[i].Task.Tenant, res[i].Task.ID)
			require.Len(t, events, 1, "task %d", i)
			require.Equal(t, res[i].Task.Status, events[0].To)
		}
		page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, 3, page.Total, "old, [0] and [3]; nothing of the refused insert")

		// The queue holds: ending the first promotes the second.
		f.transition(t, "tb", res[5].Task.ID, tc.StatusKilled)
		require.Equal(t, tc.StatusInitial, f.status(t, "tb", res[6].Task.ID))
	})

	register("BatchUpdate", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "a")
		f.instance(t, "tb", "b")
		done := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		refused := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		twice := f.task(t, "ta", tc.TypeReboot, []string{"a"}, nil)
		other := f.task(t, "tb", tc.TypeReboot, []string{"b"}, nil)
		progress := func(id int64, p int) *tc.TaskUpdateParams {
			return &tc.TaskUpdateParams{Tenant: "ta", ID: id, Actor: "w", Now: f.now.Add(time.Second),
				Update: func(task *tc.Task) error { task.Progress = p; return nil }}
		}
		boom := errors.New("boom")
		res, err := f.store.TaskUpdateMany(f.ctx, []*tc.TaskUpdateParams{
			f.to("ta", done.ID, tc.StatusKilled),
			{Tenant: "ta", ID: refused.ID, Actor: "w", Now: f.now, Update: func(task *tc.Task) error {
				task.Progress = 50
				return boom
			}},
			{Tenant: "ta", ID: 1 << 40, Actor: "w", Now: f.now, Update: func(*tc.Task) error { return nil }},
			f.to("ta", other.ID, tc.StatusKilled), // tb's task, asked as ta
			progress(twice.ID, 10),
			progress(twice.ID, 20),
		})
		require.NoError(t, err)
		require.Len(t, res, 6)

		require.NoError(t, res[0].Err)
		require.Equal(t, tc.StatusKilled, res[0].Task.Status)
		require.ErrorIs(t, res[1].Err, boom)
		require.Nil(t, res[1].Task)
		requireCode(t, res[2].Err, tc.ENOTFOUND)
		requireCode(t, res[3].Err, tc.ENOTFOUND)
		require.NoError(t, res[4].Err)
		require.Equal(t, 10, res[4].Task.Progress)
		require.NoError(t, res[5].Err)
		require.Equal(t, 20, res[5].Task.Progress, "the second update sees the first")

		got, err := f.store.TaskGet(f.ctx, "ta", refused.ID)
		require.NoError(t, err)
		require.Equal(t, refused, got, "a failed update changes nothing")
		require.Len(t, f.events(t, "ta", refused.ID), 1)
		require.Equal(t, tc.StatusInitial, f.status(t, "tb", other.ID))
		require.Len(t, f.events(t, "tb", other.ID), 1)

		events := f.events(t, "ta", done.ID)
		require.Len(t, events, 2)
		require.Equal(t, tc.StatusKilled, events[1].To)
		events = f.events(t, "ta", twice.ID)
		require.Len(t, events, 3)
		require.Equal(t, 10, events[1].Progress)
		require.Equal(t, 20, events[2].Progress)
		got, err = f.store.TaskGet(f.ctx, "ta", twice.ID)
		require.NoError(t, err)
		require.Equal(t, 20, got.Progress)
		require.True(t, got.UpdatedAt.Equal(f.now.Add(time.Second)))
	})

	register("BatchUpdateReplans", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		var running, next []*tc.Task
		for _, inst := range []string{"a", "b", "c"} {
			f.instance(t, "ta", inst)
			running = append(running, f.exclusive(t, "ta", inst))
			next = append(next, f.exclusive(t, "ta", inst))
		}
		f.instance(t, "ta", "d")
		both := f.exclusive(t, "ta", "c", "d") // behind next[2] on c
		require.Len(t, f.claim(t, "ta", 10), 3)

		var ups []*tc.TaskUpdateParams
		for _, r := range running {
			ups = append(ups, f.to("ta", r.ID, tc.StatusSucceed))
		}
		ups = append(ups, f.to("ta", next[2].ID, tc.StatusKilled)) // after c's holder ended
		res, err := f.store.TaskUpdateMany(f.ctx, ups)
		require.NoError(t, err)
		for i, r := range res {
			require.NoError(t, r.Err, "update %d", i)
		}
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", next[0].ID))
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", next[1].ID))
		require.Equal(t, tc.StatusKilled, f.status(t, "ta", next[2].ID))
		require.Equal(t, tc.StatusKilled, res[3].Task.Status)
		require.Equal(t, tc.StatusInitial, f.status(t, "ta", both.ID), "c and d are free once the batch ends")
		for _, task := range []*tc.Task{next[0], next[1], both} {
			events := f.events(t, "ta", task.ID)
			require.Len(t, events, 2, "task %d: submitted, then promoted once", task.ID)
			require.Equal(t, tc.ActorEngine, events[1].Actor)
		}
		// Still exclusive afterwards: the promoted tasks hold their instances.
		late := f.exclusive(t, "ta", "d")
		require.Equal(t, tc.StatusWaiting, late.Status)
	})

	register("BatchConcurrent", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		var ids []int64
		for i := range 5 {
			inst := fmt.Sprintf("i%d", i)
			f.instance(t, "ta", inst)
			for range 4 {
				ids = append(ids, f.exclusive(t, "ta", inst).ID)
			}
		}
		// Batches over the same tasks in different orders: none may fail as
		// a whole (a deadlock, a lost write); each task ends KILLED once.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				order := append([]int64(nil), ids...)
				rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				var ups []*tc.TaskUpdateParams
				for _, id := range order {
					ups = append(ups, f.to("ta", id, tc.StatusKilled))
				}
				_, err := f.store.TaskUpdateMany(f.ctx, ups)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for _, id := range ids {
			require.Equal(t, tc.StatusKilled, f.status(t, "ta", id))
			events := f.events(t, "ta", id)
			require.Equal(t, tc.StatusKilled, events[len(events)-1].To)
			killed := 0
			for _, e := range events {
				if e.To == tc.StatusKilled {
					killed++
				}
			}
			require.Equal(t, 1, killed, "task %d", id)
		}
	})
}
