package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// listFixture stores a small fleet: tenant ta with tasks of several types,
// statuses, instances and creation times, and tenant tb with one task on an
// instance of the same id.
type listFixture struct {
	*fixture
	ids map[string]int64 // by name
}

func setupList(t *testing.T, open OpenFunc) *listFixture {
	t.Helper()
	f := &listFixture{fixture: setup(t, open), ids: map[string]int64{}}
	for _, id := range []string{"cdb-1", "cdb-2", "cdb-3"} {
		f.instance(t, "ta", id)
	}
	f.instance(t, "tb", "cdb-1")
	add := func(name, typ string, inst []string, minutes int, status tc.Status, arid string) {
		task := f.task(t, "ta", typ, inst, func(task *tc.Task) {
			task.CreatedAt = f.now.Add(time.Duration(minutes) * time.Minute)
			task.AsyncRequestID = arid
		})
		if status != tc.StatusInitial {
			path := map[tc.Status][]tc.Status{
				tc.StatusRunning: {tc.StatusRunning},
				tc.StatusSucceed: {tc.StatusRunning, tc.StatusSucceed},
				tc.StatusFailed:  {tc.StatusRunning, tc.StatusFailed},
				tc.StatusKilled:  {tc.StatusKilled},
				tc.StatusRemoved: {tc.StatusKilled, tc.StatusRemoved},
			}[status]
			for _, s := range path {
				f.transition(t, "ta", task.ID, s)
			}
		}
		f.ids[name] = task.ID
	}
	add("a", tc.TypeReboot, []string{"cdb-1"}, 0, tc.StatusSucceed, "")
	add("b", tc.TypeModifyParam, []string{"cdb-1", "cdb-2"}, 10, tc.StatusFailed, "req-b")
	add("c", tc.TypeRollback, []string{"cdb-2"}, 20, tc.StatusRunning, "")
	add("d", tc.TypeReboot, []string{"cdb-3"}, 30, tc.StatusInitial, "req-d")
	add("e", tc.TypeSQLOperation, []string{"cdb-1"}, 40, tc.StatusKilled, "")
	add("f", tc.TypeReboot, []string{"cdb-2"}, 50, tc.StatusRemoved, "")
	add("g", tc.TypeReboot, []string{"cdb-1"}, 60, tc.StatusRunning, "")
	f.task(t, "tb", tc.TypeReboot, []string{"cdb-1"}, func(task *tc.Task) { task.AsyncRequestID = "req-b" })
	return f
}

func (f *listFixture) list(t *testing.T, filter tc.TaskFilter) ([]string, int) {
	t.Helper()
	if filter.Tenant == "" {
		filter.Tenant = "ta"
	}
	page, err := f.store.TaskList(f.ctx, &filter)
	require.NoError(t, err)
	byID := map[int64]string{}
	for name, id := range f.ids {
		byID[id] = name
	}
	names := []string{}
	for _, task := range page.Tasks {
		require.Equal(t, filter.Tenant == tc.AllTenants || task.Tenant == filter.Tenant, true)
		if name, ok := byID[task.ID]; ok {
			names = append(names, name)
		} else {
			names = append(names, "other:"+task.Tenant)
		}
	}
	return names, page.Total
}

func init() {
	register("TaskListFilters", func(t *testing.T, open OpenFunc) {
		f := setupList(t, open)
		cases := []struct {
			name   string
			filter tc.TaskFilter
			want   []string
		}{
			{"all but removed, newest first", tc.TaskFilter{Limit: 100}, []string{"g", "e", "d", "c", "b", "a"}},
			{"instance", tc.TaskFilter{InstanceID: "cdb-1", Limit: 100}, []string{"g", "e", "b", "a"}},
			{"instance shared by a multi-instance task", tc.TaskFilter{InstanceID: "cdb-2", Limit: 100}, []string{"c", "b"}},
			{"one type", tc.TaskFilter{Types: []string{tc.TypeReboot}, Limit: 100}, []string{"g", "d", "a"}},
			{"several types", tc.TaskFilter{Types: []string{tc.TypeRollback, tc.TypeSQLOperation}, Limit: 100}, []string{"e", "c"}},
			{"one status", tc.TaskFilter{Statuses: []tc.Status{tc.StatusRunning}, Limit: 100}, []string{"g", "c"}},
			{"several statuses", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed, tc.StatusKilled}, Limit: 100}, []string{"e", "b"}},
			{"removed on request", tc.TaskFilter{Statuses: []tc.Status{tc.StatusRemoved}, Limit: 100}, []string{"f"}},
			{"async request id", tc.TaskFilter{AsyncRequestID: "req-b", Limit: 100}, []string{"b"}},
			{"id", tc.TaskFilter{ID: f.ids["c"], Limit: 100}, []string{"c"}},
			{"removed id stays hidden", tc.TaskFilter{ID: f.ids["f"], Limit: 100}, []string{}},
			{"created window", tc.TaskFilter{CreatedAfter: f.now.Add(10 * time.Minute), CreatedBefore: f.now.Add(40 * time.Minute), Limit: 100}, []string{"d", "c", "b"}},
			{"created after only", tc.TaskFilter{CreatedAfter: f.now.Add(45 * time.Minute), Limit: 100}, []string{"g"}},
			{"combined", tc.TaskFilter{InstanceID: "cdb-1", Types: []string{tc.TypeReboot}, Statuses: []tc.Status{tc.StatusRunning, tc.StatusSucceed}, Limit: 100}, []string{"g", "a"}},
			{"combined empty", tc.TaskFilter{InstanceID: "cdb-3", Statuses: []tc.Status{tc.StatusFailed}, Limit: 100}, []string{}},
			{"unknown instance", tc.TaskFilter{InstanceID: "cdb-404", Limit: 100}, []string{}},
		}
		for _, c := range cases {
			got, total := f.list(t, c.filter)
			require.Equal(t, c.want, got, c.name)
			require.Equal(t, len(c.want), total, c.name)
		}
	})

	register("TaskListSummary", func(t *testing.T, open OpenFunc) {
		// A summary's tasks carry what a list shows exactly as the full
		// tasks do, whatever the shape of the filter.
		f := setupList(t, open)
		_, err := f.store.TaskUpdate(f.ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: f.ids["g"], Actor: "test", Now: f.now,
			Update: func(task *tc.Task) error {
				task.Progress, task.Code, task.Message = 40, 7, "half way"
				task.AttachInfo = []tc.Attach{{Key: "k", Value: "v"}}
				return nil
			}})
		require.NoError(t, err)
		for _, filter := range []tc.TaskFilter{
			{Limit: 100},
			{InstanceID: "cdb-1", Limit: 100},
			{InstanceID: "cdb-2", Statuses: []tc.Status{tc.StatusRemoved, tc.StatusRunning}, Limit: 100},
			{Statuses: []tc.Status{tc.StatusRunning}, Limit: 100},
			{Statuses: []tc.Status{tc.StatusRunning, tc.StatusInitial, tc.StatusSucceed}, Limit: 100},
			{Types: []string{tc.TypeReboot}, Limit: 2, Offset: 1},
			{AsyncRequestID: "req-b", Limit: 100},
			{ID: f.ids["g"], Limit: 100},
			{CreatedAfter: f.now.Add(10 * time.Minute), Limit: 100, InstanceNames: true},
			{Tenant: tc.AllTenants, Limit: 100},
		} {
			if filter.Tenant == "" {
				filter.Tenant = "ta"
			}
			full, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err)
			require.NotEmpty(t, full.Tasks, "%+v", filter)
			filter.Summary = true
			summary, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err)
			require.Equal(t, full.Total, summary.Total, "%+v", filter)
			require.Len(t, summary.Tasks, len(full.Tasks), "%+v", filter)
			for i, want := range full.Tasks {
				got := summary.Tasks[i]
				require.Equal(t, summaryOf(want), summaryOf(got), "%+v", filter)
			}
		}
	})

	register("TaskListInstanceNames", func(t *testing.T, open OpenFunc) {
		f := setupList(t, open)
		// Names differ by tenant for the same id, one is empty, and one has
		// changed since its tasks were submitted.
		for _, inst := range []tc.Instance{
			{Tenant: "tb", ID: "cdb-1", Name: "tb's one"},
			{Tenant: "ta", ID: "cdb-2", Name: "renamed"},
			{Tenant: "ta", ID: "cdb-3", Name: ""},
		} {
			inst.Status, inst.CreatedAt, inst.UpdatedAt = tc.InstanceNormal, f.now, f.now
			_, err := f.store.InstancePut(f.ctx, &inst)
			require.NoError(t, err)
		}
		want := map[[2]string]string{
			{"ta", "cdb-1"}: "name-cdb-1", {"ta", "cdb-2"}: "renamed", {"ta", "cdb-3"}: "", {"tb", "cdb-1"}: "tb's one",
		}
		window := tc.TaskFilter{CreatedAfter: f.now.Add(10 * time.Minute), CreatedBefore: f.now.Add(40 * time.Minute)}
		for _, c := range []struct {
			name   string
			filter tc.TaskFilter
		}{
			{"tenant", tc.TaskFilter{}},
			{"tenant, paged", tc.TaskFilter{Offset: 1, Limit: 3}},
			{"tenant, after a cursor", tc.TaskFilter{BeforeID: f.ids["d"]}},
			{"one status", tc.TaskFilter{Statuses: []tc.Status{tc.StatusRunning}}},
			{"several statuses", tc.TaskFilter{Statuses: []tc.Status{tc.StatusFailed, tc.StatusRunning}}},
			{"several types", tc.TaskFilter{Types: []string{tc.TypeModifyParam, tc.TypeReboot}}},
			{"window", window},
			{"instance", tc.TaskFilter{InstanceID: "cdb-2"}},
			{"request id", tc.TaskFilter{AsyncRequestID: "req-b"}},
			{"id", tc.TaskFilter{ID: f.ids["b"]}},
			{"every tenant", tc.TaskFilter{Tenant: tc.AllTenants}},
			{"every tenant's instance", tc.TaskFilter{Tenant: tc.AllTenants, InstanceID: "cdb-1"}},
			{"nothing", tc.TaskFilter{Statuses: []tc.Status{tc.StatusPaused}}},
		} {
			filter := c.filter
			if filter.Tenant == "" {
				filter.Tenant = "ta"
			}
			if filter.Limit == 0 {
				filter.Limit = 100
			}
			plain, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err, c.name)
			filter.InstanceNames = true
			named, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err, c.name)
			require.Equal(t, plain.Total, named.Total, c.name)
			require.Len(t, named.Tasks, len(plain.Tasks), c.name)
			for i, task := range named.Tasks {
				require.Nil(t, plain.Tasks[i].InstanceNames, c.name)
				require.Equal(t, plain.Tasks[i].ID, task.ID, "%s: the names change neither order nor page", c.name)
				var names []string
				for _, id := range task.InstanceIDs {
					names = append(names, want[[2]string{task.Tenant, id}])
				}
				require.Equal(t, names, task.InstanceNames, "%s: task %d", c.name, task.ID)
			}
		}
		// The task on two instances names both, in order, and a list after a
		// rename, of either kind, has the new name.
		byID := tc.TaskFilter{Tenant: "ta", ID: f.ids["b"], Limit: 1, InstanceNames: true}
		byStatus := tc.TaskFilter{Tenant: "ta", Statuses: []tc.Status{tc.StatusFailed}, Limit: 1, InstanceNames: true}
		for _, filter := range []tc.TaskFilter{byID, byStatus} {
			named, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err)
			require.Len(t, named.Tasks, 1)
			require.Equal(t, []string{"name-cdb-1", "renamed"}, named.Tasks[0].InstanceNames)
		}
		_, err := f.store.InstancePut(f.ctx, &tc.Instance{Tenant: "ta", ID: "cdb-1", Name: "renamed again",
			Status: tc.InstanceNormal, CreatedAt: f.now, UpdatedAt: f.now})
		require.NoError(t, err)
		for _, filter := range []tc.TaskFilter{byStatus, byID} {
			named, err := f.store.TaskList(f.ctx, &filter)
			require.NoError(t, err)
			require.Len(t, named.Tasks, 1)
			require.Equal(t, []string{"renamed again", "renamed"}, named.Tasks[0].InstanceNames)
		}
	})

	register("TaskListTotalsIgnorePaging", func(t *testing.T, open OpenFunc) {
		f := setupList(t, open)
		got, total := f.list(t, tc.TaskFilter{Limit: 2})
		require.Equal(t, []string{"g", "e"}, got)
		require.Equal(t, 6, total)
		got, total = f.list(t, tc.TaskFilter{Limit: 2, Offset: 3})
		require.Equal(t, []string{"c", "b"}, got)
		require.Equal(t, 6, total)
		got, total = f.list(t, tc.TaskFilter{Limit: 2, Offset: 10})
		require.Equal(t, []string{}, got)
		require.Equal(t, 6, total)
		got, total = f.list(t, tc.TaskFilter{Limit: 0, InstanceID: "cdb-1"})
		require.Equal(t, []string{}, got)
		require.Equal(t, 4, total)
		got, total = f.list(t, tc.TaskFilter{Limit: 2, BeforeID: f.ids["d"]})
		require.Equal(t, []string{"c", "b"}, got)
		require.Equal(t, 6, total, "the cursor does not change the total")
		// Several statuses (g, c running; b failed), named twice, paged and
		// walked: a store may read each status apart and merge them.
		several := []tc.Status{tc.StatusRunning, tc.StatusFailed, tc.StatusRunning}
		for _, c := range []struct {
			filter tc.TaskFilter
			want   []string
		}{
			{tc.TaskFilter{Statuses: several, Limit: 10}, []string{"g", "c", "b"}},
			{tc.TaskFilter{Statuses: several, Limit: 2}, []string{"g", "c"}},
			{tc.TaskFilter{Statuses: several, Limit: 2, Offset: 1}, []string{"c", "b"}},
			{tc.TaskFilter{Statuses: several, Limit: 1, Offset: 1}, []string{"c"}},
			{tc.TaskFilter{Statuses: several, Limit: 2, Offset: 3}, []string{}},
			{tc.TaskFilter{Statuses: several, Limit: 2, BeforeID: f.ids["g"]}, []string{"c", "b"}},
			{tc.TaskFilter{Statuses: several, Limit: 1, Offset: 1, BeforeID: f.ids["g"]}, []string{"b"}},
		} {
			got, total = f.list(t, c.filter)
			require.Equal(t, c.want, got, "%+v", c.filter)
			require.Equal(t, 3, total, "%+v", c.filter)
		}
		// An instance's few tasks (g, e, b, a), which a store may count from
		// its page when the page holds them all.
		for _, c := range []struct {
			filter tc.TaskFilter
			want   []string
		}{
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 5}, []string{"g", "e", "b", "a"}},
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 4}, []string{"g", "e", "b", "a"}},
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 2}, []string{"g", "e"}},
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 2, Offset: 3}, []string{"a"}},
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 2, Offset: 10}, []string{}},
			{tc.TaskFilter{InstanceID: "cdb-1", Limit: 10, BeforeID: f.ids["e"]}, []string{"b", "a"}},
		} {
			got, total = f.list(t, c.filter)
			require.Equal(t, c.want, got, "%+v", c.filter)
			require.Equal(t, 4, total, "%+v", c.filter)
		}
	})

	register("TaskListCursorWalk", func(t *testing.T, open OpenFunc) {
		f := setupList(t, open)
		var seen []string
		var before int64
		for range 10 {
			page, err := f.store.TaskList(f.ctx, &tc.TaskFilter{Tenant: "ta", BeforeID: before, Limit: 4})
			require.NoError(t, err)
			require.Equal(t, 6, page.Total)
			for _, task := range page.Tasks {
				seen = append(seen, task.Type+"@"+task.InstanceIDs[0])
				before = task.ID
			}
			if len(page.Tasks) < 4 {
				break
			}
		}
		require.Len(t, seen, 6)
	})

	register("TaskListTenantScoped", func(t *testing.T, open OpenFunc) {
		f := setupList(t, open)
		got, total := f.list(t, tc.TaskFilter{Tenant: "tb", Limit: 100})
		require.Equal(t, []string{"other:tb"}, got)
		require.Equal(t, 1, total)
		got, total = f.list(t, tc.TaskFilter{Tenant: "tb", ID: f.ids["a"], Limit: 100})
		require.Equal(t, []string{}, got)
		require.Zero(t, total)
		got, total = f.list(t, tc.TaskFilter{Tenant: "tb", InstanceID: "cdb-2", Limit: 100})
		require.Equal(t, []string{}, got)
		require.Zero(t, total)
		got, total = f.list(t, tc.TaskFilter{Tenant: "tb", AsyncRequestID: "req-d", Limit: 100})
		require.Equal(t, []string{}, got)
		require.Zero(t, total)
		_, total = f.list(t, tc.TaskFilter{Tenant: tc.AllTenants, Limit: 100})
		require.Equal(t, 7, total)
	})
}

// summaryOf is what a summary of t carries (TaskFilter.Summary).
func summaryOf(t *tc.Task) tc.Task {
	return tc.Task{ID: t.ID, Tenant: t.Tenant, Type: t.Type, Status: t.Status, Progress: t.Progress, Code: t.Code,
		Message: t.Message, InstanceIDs: t.InstanceIDs, InstanceNames: t.InstanceNames, AsyncRequestID: t.AsyncRequestID,
		AttachInfo: t.AttachInfo, CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, EndedAt: t.EndedAt, UpdatedAt: t.UpdatedAt}
}
