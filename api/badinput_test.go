package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/api"
)

// TestBadInput sends every kind of bad input to every native endpoint and
// requires a 4xx whose error names the field, and that nothing was written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	killed := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	e.call(e.opA, "POST", fmt.Sprintf("/api/v1/tasks/%d/cancel", killed.ID), nil, 200, nil)
	ready := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	before := snapshot(e)

	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"malformed JSON", "POST", "/api/v1/tasks", `{"type": "REBOOT",`, 400, "body"},
		{"not an object", "POST", "/api/v1/tasks", `[1,2]`, 400, ""},
		{"two objects", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"]} {}`, 400, "body"},
		{"empty body", "POST", "/api/v1/tasks", ``, 400, "body"},
		{"unknown field", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"priority":1}`, 400, "priority"},
		{"wrong JSON type", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":"cdb-a1"}`, 400, "instance_ids"},
		{"number too big", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"max_attempts":1e40}`, 400, "max_attempts"},
		{"missing type", "POST", "/api/v1/tasks", `{"instance_ids":["cdb-a1"]}`, 400, "type"},
		{"unknown type", "POST", "/api/v1/tasks", `{"type":"FORMAT DISK","instance_ids":["cdb-a1"]}`, 400, "type"},
		{"no instances", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":[]}`, 400, "instance_ids"},
		{"unknown instance", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-zz"]}`, 400, "instance_ids"},
		{"foreign instance", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-b1"]}`, 400, "instance_ids"},
		{"one good one foreign", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1","cdb-b1"]}`, 400, "instance_ids"},
		{"duplicate instance", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1","cdb-a1"]}`, 400, "instance_ids"},
		{"bad instance id", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["a b"]}`, 400, "instance_ids"},
		{"context not object", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"context":[1]}`, 400, "context"},
		{"rollback without dbs", "POST", "/api/v1/tasks", `{"type":"ROLLBACK","instance_ids":["cdb-a1"],"context":{"operator":"x"}}`, 400, "context.dbs"},
		{"rollback without new name", "POST", "/api/v1/tasks", `{"type":"ROLLBACK","instance_ids":["cdb-a1"],"context":{"dbs":[{"dbname":"d"}]}}`, 400, "context.dbs"},
		{"rollback table without new name", "POST", "/api/v1/tasks", `{"type":"ROLLBACK","instance_ids":["cdb-a1"],"context":{"tables":[{"db":"d","table":[{"tablename":"t"}]}]}}`, 400, "context.tables"},
		{"negative attempts", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"max_attempts":-1}`, 400, "max_attempts"},
		{"huge timeout", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"timeout_seconds":99999999999}`, 400, "timeout_seconds"},
		{"bad run_after", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"run_after":"tomorrow"}`, 400, "body"},
		{"long async request id", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"async_request_id":"` + strings.Repeat("x", 200) + `"}`, 400, "async_request_id"},
		{"invalid UTF-8", "POST", "/api/v1/tasks", "{\"type\":\"REBOOT\",\"instance_ids\":[\"cdb-a1\"],\"async_request_id\":\"\xff\xfe\"}", 400, "body"},
		{"other tenant named", "POST", "/api/v1/tasks", `{"tenant":"tb","type":"REBOOT","instance_ids":["cdb-b1"]}`, 403, ""},
		{"oversized body", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"context":{"x":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`, 413, "body"},
		{"oversized context", "POST", "/api/v1/tasks", `{"type":"REBOOT","instance_ids":["cdb-a1"],"context":{"x":"` + strings.Repeat("x", 70<<10) + `"}}`, 400, "context"},

		{"resume a ready task", "POST", fmt.Sprintf("/api/v1/tasks/%d/resume", ready.ID), nil, 409, ""},
		{"cancel a killed task", "POST", fmt.Sprintf("/api/v1/tasks/%d/cancel", killed.ID), nil, 409, ""},
		{"pause a killed task", "POST", fmt.Sprintf("/api/v1/tasks/%d/pause", killed.ID), nil, 409, ""},
		{"cancel unknown task", "POST", "/api/v1/tasks/999999/cancel", nil, 404, ""},
		{"bad task id", "GET", "/api/v1/tasks/abc", nil, 400, "id"},
		{"negative task id", "GET", "/api/v1/tasks/-4", nil, 400, "id"},
		{"unknown task", "GET", "/api/v1/tasks/999999", nil, 404, ""},

		{"limit zero", "GET", "/api/v1/tasks?limit=0", nil, 400, "limit"},
		{"limit too big", "GET", "/api/v1/tasks?limit=1001", nil, 400, "limit"},
		{"limit not a number", "GET", "/api/v1/tasks?limit=ten", nil, 400, "limit"},
		{"limit twice", "GET", "/api/v1/tasks?limit=1&limit=2", nil, 400, "limit"},
		{"bad cursor", "GET", "/api/v1/tasks?cursor=bm9wZQ", nil, 400, "cursor"},
		{"garbage cursor", "GET", "/api/v1/tasks?cursor=***", nil, 400, "cursor"},
		{"unknown status", "GET", "/api/v1/tasks?status=DONE", nil, 400, "status"},
		{"bad time", "GET", "/api/v1/tasks?created_after=yesterday", nil, 400, "created_after"},
		{"unknown parameter", "GET", "/api/v1/tasks?instance=cdb-a1", nil, 400, "instance"},
		{"invalid UTF-8 parameter", "GET", "/api/v1/tasks?instance_id=%ff", nil, 400, "instance_id"},
		{"instance list bad limit", "GET", "/api/v1/instances?limit=-1", nil, 400, "limit"},
		{"instance list bad cursor", "GET", "/api/v1/instances?cursor=!!", nil, 400, "cursor"},

		{"instance bad status", "PUT", "/api/v1/instances/cdb-a9", `{"name":"x","status":"on fire!"}`, 400, "status"},
		{"instance bad id", "PUT", "/api/v1/instances/a%20b", `{"name":"x"}`, 400, "id"},
		{"instance unknown field", "PUT", "/api/v1/instances/cdb-a9", `{"nam":"x"}`, 400, "nam"},
		{"instance long name", "PUT", "/api/v1/instances/cdb-a9", `{"name":"` + strings.Repeat("n", 300) + `"}`, 400, "name"},

		{"credential bad kind", "POST", "/api/v1/credentials", `{"kind":"aws"}`, 400, "kind"},
		{"credential bad role", "POST", "/api/v1/credentials", `{"kind":"native","role":"root"}`, 400, "role"},
		{"credential admin by operator", "POST", "/api/v1/credentials", `{"kind":"native","role":"admin"}`, 403, ""},
		{"credential for other tenant", "POST", "/api/v1/credentials", `{"tenant":"tb","kind":"native"}`, 403, ""},

		{"unknown route", "GET", "/api/v1/jobs", nil, 404, ""},
		{"wrong method", "DELETE", "/api/v1/tasks", nil, 405, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, raw := e.raw(e.opA, c.method, c.path, c.body)
			require.Equal(t, c.status, status, string(raw))
			_, detail := e.apiError(e.opA, c.method, c.path, c.body)
			require.Equal(t, c.field, detail.Field, detail.Message)
			if c.field != "" && c.field != "body" {
				require.Contains(t, detail.Message, strings.Split(c.field, ".")[len(strings.Split(c.field, "."))-1], "the message names the field")
			}
		})
	}
	require.Equal(t, before, snapshot(e), "bad input wrote nothing")
}

// snapshot is everything of both tenants a bad request could have changed.
func snapshot(e *env) string {
	var b strings.Builder
	for _, tenant := range []string{"ta", "tb"} {
		var list api.TaskList
		e.call(e.admin, "GET", "/api/v1/tasks?limit=1000&tenant="+tenant, nil, 200, &list)
		for _, task := range list.Tasks {
			var events api.EventList
			e.call(e.admin, "GET", fmt.Sprintf("/api/v1/tasks/%d/events", task.ID), nil, 200, &events)
			fmt.Fprintf(&b, "%d %s %s %d events\n", task.ID, task.Status, task.UpdatedAt, len(events.Events))
		}
		var insts api.InstanceList
		e.call(e.admin, "GET", "/api/v1/instances?tenant="+tenant, nil, 200, &insts)
		for _, inst := range insts.Instances {
			fmt.Fprintf(&b, "%s %s %s\n", inst.ID, inst.Name, inst.UpdatedAt)
		}
	}
	return b.String()
}
