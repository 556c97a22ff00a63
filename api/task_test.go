package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
)

func TestSubmitGetList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "req-1"})
	require.Positive(t, task.ID)
	require.Equal(t, "ta", task.Tenant)
	require.Equal(t, tc.StatusInitial, task.Status)
	require.Equal(t, []string{"cdb-a1"}, task.InstanceIDs)
	require.Nil(t, task.StartedAt)
	require.JSONEq(t, `{}`, string(task.Context))

	// The same async request id answers 200 with the same task.
	var again api.Task
	e.call(e.opA, "POST", "/api/v1/tasks", api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "req-1"}, 200, &again)
	require.Equal(t, task.ID, again.ID)

	var got api.Task
	e.call(e.readA, "GET", fmt.Sprintf("/api/v1/tasks/%d", task.ID), nil, 200, &got)
	require.Equal(t, task, got)

	rollback := e.submit(e.opA, map[string]any{
		"type": "BATCH ROLLBACK", "instance_ids": []string{"cdb-a2"},
		"context": map[string]any{"operator": "u1", "dbs": []map[string]string{{"dbname": "d1", "newname": "d1_bak"}}},
	})
	require.JSONEq(t, `{"operator":"u1","dbs":[{"dbname":"d1","newname":"d1_bak"}]}`, string(rollback.Context))
	later := e.submit(e.opA, map[string]any{"type": "REBOOT", "instance_ids": []string{"cdb-a2"},
		"run_after": time.Now().Add(time.Hour).Format(time.RFC3339)})
	require.Equal(t, tc.StatusWaiting, later.Status)
	require.NotNil(t, later.RunAfter)

	var list api.TaskList
	e.call(e.readA, "GET", "/api/v1/tasks", nil, 200, &list)
	require.Equal(t, 3, list.Total)
	require.Equal(t, []int64{later.ID, rollback.ID, task.ID}, ids(list.Tasks))
	require.Empty(t, list.NextCursor)

	e.call(e.readA, "GET", "/api/v1/tasks?instance_id=cdb-a2&type=BATCH+ROLLBACK", nil, 200, &list)
	require.Equal(t, []int64{rollback.ID}, ids(list.Tasks))
	require.Equal(t, 1, list.Total)
	e.call(e.readA, "GET", "/api/v1/tasks?status=WAITING,INITIAL&type=REBOOT", nil, 200, &list)
	require.Equal(t, []int64{later.ID, task.ID}, ids(list.Tasks))
	e.call(e.readA, "GET", "/api/v1/tasks?async_request_id=req-1", nil, 200, &list)
	require.Equal(t, []int64{task.ID}, ids(list.Tasks))
	after := url.QueryEscape(time.Now().Add(-time.Minute).Format(time.RFC3339))
	e.call(e.readA, "GET", "/api/v1/tasks?created_after="+after, nil, 200, &list)
	require.Equal(t, 3, list.Total)
	e.call(e.readA, "GET", "/api/v1/tasks?created_before="+after, nil, 200, &list)
	require.Zero(t, list.Total)
	require.Equal(t, []api.Task{}, list.Tasks)
}

func TestListCursorWalk(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var want []int64
	for range 7 {
		want = append([]int64{e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}}).ID}, want...)
	}
	var seen []int64
	path := "/api/v1/tasks?limit=3"
	for {
		var page api.TaskList
		e.call(e.readA, "GET", path, nil, 200, &page)
		require.Equal(t, 7, page.Total)
		seen = append(seen, ids(page.Tasks)...)
		if page.NextCursor == "" {
			break
		}
		path = "/api/v1/tasks?limit=3&cursor=" + page.NextCursor
	}
	require.Equal(t, want, seen)
}

func TestCancelPauseResume(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	var got api.Task
	e.call(e.opA, "POST", path+"/pause", nil, 200, &got)
	require.Equal(t, tc.StatusPaused, got.Status)
	e.call(e.opA, "POST", path+"/resume", nil, 200, &got)
	require.Equal(t, tc.StatusInitial, got.Status)
	e.call(e.opA, "POST", path+"/cancel", nil, 200, &got)
	require.Equal(t, tc.StatusKilled, got.Status)
	require.NotNil(t, got.EndedAt)

	var events api.EventList
	e.call(e.readA, "GET", path+"/events", nil, 200, &events)
	var steps []string
	for _, ev := range events.Events {
		steps = append(steps, fmt.Sprintf("%s>%s", ev.From, ev.To))
	}
	require.Equal(t, []string{">INITIAL", "INITIAL>PAUSED", "PAUSED>WAITING", "WAITING>INITIAL", "INITIAL>KILLED"}, steps,
		"resumed, an exclusive task queues again and starts as its instance is free")
	require.NotEmpty(t, events.Events[1].Actor, "the caller's credential is the actor")

	var counts api.Counts
	e.call(e.readA, "GET", "/api/v1/tasks/counts", nil, 200, &counts)
	require.Equal(t, 1, counts.Counts[tc.StatusKilled])
	require.Equal(t, 1, counts.Total)
}

func TestInstances(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var inst api.Instance
	e.call(e.readA, "GET", "/api/v1/instances/cdb-a1", nil, 200, &inst)
	require.Equal(t, "ta", inst.Tenant)
	require.Equal(t, tc.InstanceNormal, inst.Status)
	var list api.InstanceList
	e.call(e.readA, "GET", "/api/v1/instances?limit=1", nil, 200, &list)
	require.Len(t, list.Instances, 1)
	require.NotEmpty(t, list.NextCursor)
	e.call(e.readA, "GET", "/api/v1/instances?limit=1&cursor="+list.NextCursor, nil, 200, &list)
	require.Equal(t, "cdb-a2", list.Instances[0].ID)
	require.Empty(t, list.NextCursor)
	// Admins name the tenant.
	e.call(e.admin, "GET", "/api/v1/instances?tenant=tb", nil, 200, &list)
	require.Len(t, list.Instances, 1)
	require.Equal(t, "cdb-b1", list.Instances[0].ID)

	// Or page through every tenant's, one at a time: an id two tenants use
	// comes once per tenant, none is skipped.
	e.instance(e.opB, "cdb-a1")
	e.instance(e.opB, "cdb-a2")
	var pages []string
	cursor := ""
	for {
		list = api.InstanceList{}
		e.call(e.admin, "GET", "/api/v1/instances?limit=1&cursor="+cursor, nil, 200, &list)
		require.Len(t, list.Instances, 1)
		pages = append(pages, list.Instances[0].Tenant+"/"+list.Instances[0].ID)
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	require.Equal(t, []string{"ta/cdb-a1", "tb/cdb-a1", "ta/cdb-a2", "tb/cdb-a2", "tb/cdb-b1"}, pages)
	// A cursor with a tenant that is not one is refused.
	_, detail := e.apiError(e.admin, "GET", "/api/v1/instances?cursor="+base64.RawURLEncoding.EncodeToString([]byte("cdb-a1/t b")), nil)
	require.Equal(t, "cursor", detail.Field)
}

func TestTaskTypes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var list api.TaskTypeList
	e.call(e.readA, "GET", "/api/v1/types", nil, 200, &list)
	require.Len(t, list.Types, 49)
	e.call(e.admin, "PUT", "/api/v1/types/VacuumFull", api.TaskType{Description: "vacuum", Exclusive: true, TimeoutSeconds: 600}, 200, nil)
	e.call(e.opA, "PUT", "/api/v1/types/Other", api.TaskType{}, 403, nil)
	e.call(e.admin, "PUT", "/api/v1/types/REBOOT", api.TaskType{}, 400, nil)
	task := e.submit(e.opA, api.SubmitTask{Type: "VacuumFull", InstanceIDs: []string{"cdb-a1"}})
	require.Equal(t, int64(600), task.TimeoutSeconds)

	// A type is exclusive unless it says otherwise, as the built-in ones are.
	var typ api.TaskType
	e.call(e.admin, "PUT", "/api/v1/types/Analyze", `{"description":"analyze"}`, 200, &typ)
	require.True(t, typ.Exclusive)
	e.call(e.admin, "PUT", "/api/v1/types/Checksum", `{"description":"checksum","exclusive":false}`, 200, &typ)
	require.False(t, typ.Exclusive)
	first := e.submit(e.opA, api.SubmitTask{Type: "Analyze", InstanceIDs: []string{"cdb-a2"}})
	second := e.submit(e.opA, api.SubmitTask{Type: "Analyze", InstanceIDs: []string{"cdb-a2"}})
	require.Equal(t, tc.StatusInitial, first.Status)
	require.Equal(t, tc.StatusWaiting, second.Status, "queued behind the first")
	e.call(e.readA, "GET", "/api/v1/types", nil, 200, &list)
	for _, ty := range list.Types {
		if ty.Key == "Checksum" {
			require.False(t, ty.Exclusive)
		}
	}
}

func ids(tasks []api.Task) []int64 {
	out := []int64{}
	for _, t := range tasks {
		out = append(out, t.ID)
	}
	return out
}

func TestSubmitBatch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	existing := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "req-1"})
	var out api.BatchResults
	e.call(e.opA, "POST", "/api/v1/tasks/batch", api.SubmitBatch{Tasks: []*api.SubmitTask{
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a2"}},
		{Type: "REBOOT", InstanceIDs: []string{"cdb-b1"}},                          // tb's instance
		{Type: "NO SUCH TYPE", InstanceIDs: []string{"cdb-a1"}},                    // refused by the engine
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, TimeoutSeconds: -1},      // refused by the API
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "req-1"}, // the existing task
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a2"}},
	}}, 200, &out)
	r := out.Results
	require.Len(t, r, 6)
	require.True(t, r[0].Created)
	require.Nil(t, r[0].Error)
	require.Equal(t, tc.StatusInitial, r[0].Task.Status)
	require.Equal(t, "instance_ids", r[1].Error.Field)
	require.Nil(t, r[1].Task)
	require.Equal(t, tc.EINVALID, r[2].Error.Code)
	require.Equal(t, "timeout_seconds", r[3].Error.Field)
	require.False(t, r[4].Created)
	require.Equal(t, existing.ID, r[4].Task.ID)
	require.Equal(t, tc.StatusWaiting, r[5].Task.Status, "queued behind the batch's earlier task on cdb-a2")

	var list api.TaskList
	e.call(e.readA, "GET", "/api/v1/tasks", nil, 200, &list)
	require.Equal(t, []int64{r[5].Task.ID, r[0].Task.ID, existing.ID}, ids(list.Tasks), "only the accepted tasks are stored")
	e.call(e.readB, "GET", "/api/v1/tasks", nil, 200, &list)
	require.Zero(t, list.Total, "nothing reached tenant tb")

	// The Go client sends the same batches.
	res, err := client.New(e.url, e.opA).SubmitTasks(t.Context(), []*api.SubmitTask{
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "req-1"},
		{Type: "REBOOT", InstanceIDs: []string{"cdb-a9"}},
	})
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.Equal(t, existing.ID, res[0].Task.ID)
	require.Equal(t, "instance_ids", res[1].Error.Field)

	code, detail := e.apiError(e.opA, "POST", "/api/v1/tasks/batch", api.SubmitBatch{})
	require.Equal(t, 400, code)
	require.Equal(t, "tasks", detail.Field)
	code, _ = e.apiError(e.readA, "POST", "/api/v1/tasks/batch", api.SubmitBatch{Tasks: []*api.SubmitTask{{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}}}})
	require.Equal(t, 403, code, "readers may not submit")
}

// TestTaskEventPages: a chatty task's history comes in pages of at most
// limit events, oldest first, each next_cursor resuming after the last seq
// of the page before; the last page has no next_cursor.
func TestTaskEventPages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	var claimed api.ClaimResponse
	e.call(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w1"}, 200, &claimed)
	require.Len(t, claimed.Tasks, 1)
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	for p := 1; p <= 8; p++ {
		e.call(e.workerA, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "w1", Progress: p * 10}, 200, nil)
	}
	var all api.EventList
	e.call(e.readA, "GET", path+"/events", nil, 200, &all)
	require.Len(t, all.Events, 10, "submitted, claimed and eight heartbeats: under the default limit")
	require.Empty(t, all.NextCursor)

	var walked []api.Event
	next := path + "/events?limit=3"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 4)
		var page api.EventList
		e.call(e.readA, "GET", next, nil, 200, &page)
		require.LessOrEqual(t, len(page.Events), 3)
		walked = append(walked, page.Events...)
		if page.NextCursor == "" {
			break
		}
		next = path + "/events?limit=3&cursor=" + page.NextCursor
	}
	require.Equal(t, all.Events, walked)
	for i := 1; i < len(walked); i++ {
		require.Greater(t, walked[i].Seq, walked[i-1].Seq)
	}

	var page api.EventList
	e.call(e.readA, "GET", path+"/events?limit=10", nil, 200, &page)
	require.Empty(t, page.NextCursor, "exactly a full page: no next page")
	e.call(e.readB, "GET", path+"/events?limit=3", nil, 404, nil)
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "cursor=dDU", "cursor=%%", "limit=1&limit=2", "after=3"} {
		code, detail := e.apiError(e.readA, "GET", path+"/events?"+bad, nil)
		require.Equal(t, 400, code, bad)
		require.NotEmpty(t, detail.Field, bad)
	}
}

// TestListLongPages: a page longer than the store's parts, and a page of
// large tasks that ends before its limit, both with a cursor that goes on
// where they stopped; every task comes once and the total is exact.
func TestListLongPages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, typ := range []string{"Big", "Small"} {
		e.call(e.admin, "PUT", "/api/v1/types/"+typ, `{"description":"test","exclusive":false}`, 200, nil)
	}
	big := json.RawMessage(`{"sql":"` + strings.Repeat("x", 60000) + `"}`)
	want := map[string][]int64{}
	submit := func(typ string, n int, ctx json.RawMessage) {
		for range n {
			id := e.submit(e.opA, api.SubmitTask{Type: typ, InstanceIDs: []string{"cdb-a1"}, Context: ctx}).ID
			want[typ] = append([]int64{id}, want[typ]...) // newest first
		}
	}
	submit("Big", 80, big)
	submit("Small", 230, nil)
	walk := func(typ string, limit int) (pages []int) {
		var got []int64
		cursor := ""
		for {
			var list api.TaskList
			e.call(e.readA, "GET", fmt.Sprintf("/api/v1/tasks?type=%s&limit=%d&cursor=%s", typ, limit, cursor), nil, 200, &list)
			require.Equal(t, len(want[typ]), list.Total)
			pages = append(pages, len(list.Tasks))
			for _, task := range list.Tasks {
				got = append(got, task.ID)
			}
			if cursor = list.NextCursor; cursor == "" {
				break
			}
		}
		require.Equal(t, want[typ], got)
		return pages
	}
	// 80 tasks of 60 KB pass 4 MiB: a page ends early, with a cursor.
	pages := walk("Big", 1000)
	require.Len(t, pages, 2)
	require.Greater(t, pages[0], 60)
	// The store is read 100 tasks at a time, and the page is whole.
	require.Equal(t, []int{230}, walk("Small", 1000))
	require.Equal(t, []int{150, 80}, walk("Small", 150))
	require.Equal(t, []int{100, 100, 30}, walk("Small", 100))
	require.Equal(t, []int{101, 101, 28}, walk("Small", 101))
}
