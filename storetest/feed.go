package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func init() {
	register("EventsAfter", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		base, err := f.store.EventSeq(f.ctx)
		require.NoError(t, err)
		f.instance(t, "ta", "cdb-1")
		f.instance(t, "tb", "cdb-1")
		a := f.task(t, "ta", tc.TypeReboot, []string{"cdb-1"}, nil)
		b := f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, nil)
		f.transition(t, "ta", a.ID, tc.StatusKilled)

		head, err := f.store.EventSeq(f.ctx)
		require.NoError(t, err)
		all, err := f.store.EventsAfter(f.ctx, base, 100)
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Equal(t, head, all[2].Seq)
		want := []struct {
			tenant string
			task   int64
			to     tc.Status
		}{{"ta", a.ID, tc.StatusInitial}, {"tb", b.ID, tc.StatusInitial}, {"ta", a.ID, tc.StatusKilled}}
		for i, w := range want {
			require.Equal(t, w.tenant, all[i].Tenant, "event %d carries its tenant", i)
			require.Equal(t, w.task, all[i].TaskID)
			require.Equal(t, w.to, all[i].To)
			require.Equal(t, "test", all[i].Actor)
			require.False(t, all[i].At.IsZero())
			if i > 0 {
				require.Greater(t, all[i].Seq, all[i-1].Seq, "ordered by seq")
			}
		}

		page, err := f.store.EventsAfter(f.ctx, all[0].Seq, 1)
		require.NoError(t, err)
		require.Len(t, page, 1, "limit holds")
		require.Equal(t, all[1].Seq, page[0].Seq)
		none, err := f.store.EventsAfter(f.ctx, head, 100)
		require.NoError(t, err)
		require.Empty(t, none)
	})
}
