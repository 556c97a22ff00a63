package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func init() {
	register("TaskEventList", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		task := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		other := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		f.transition(t, "ta", task.ID, tc.StatusRunning)
		for p := 10; p <= 40; p += 10 {
			_, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: task.ID, Actor: "test", Now: f.now,
				Update: func(t *tc.Task) error { t.Progress = p; return nil }})
			require.NoError(t, err)
		}
		f.transition(t, "ta", other.ID, tc.StatusKilled) // interleaved: another task's events are not listed
		f.transition(t, "ta", task.ID, tc.StatusSucceed)
		all, err := f.store.TaskEvents(f.ctx, "ta", task.ID)
		require.NoError(t, err)
		require.Len(t, all, 7)

		// Pages of 3 walk the whole history, in order, each resuming after
		// the last seq of the one before.
		var walked []*tc.Event
		var after int64
		for range 4 {
			page, err := f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: "ta", TaskID: task.ID, AfterSeq: after, Limit: 3})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), 3)
			if len(page) == 0 {
				break
			}
			walked = append(walked, page...)
			after = page[len(page)-1].Seq
		}
		require.Equal(t, all, walked)

		page, err := f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: "ta", TaskID: task.ID, AfterSeq: all[1].Seq, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, all[2:4], page)
		page, err = f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: "ta", TaskID: task.ID, AfterSeq: all[6].Seq, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, page, "past the end: no event, no error")
		page, err = f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: tc.AllTenants, TaskID: task.ID, Limit: 100})
		require.NoError(t, err)
		require.Equal(t, all, page, "an administrator reads any tenant's")

		_, err = f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: "tb", TaskID: task.ID, Limit: 10})
		requireCode(t, err, tc.ENOTFOUND)
		_, err = f.store.TaskEventList(f.ctx, &tc.TaskEventListParams{Tenant: "ta", TaskID: other.ID + 100, Limit: 10})
		requireCode(t, err, tc.ENOTFOUND)
	})
}
