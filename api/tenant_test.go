package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
)

// TestTenantIsolation: tenant B's tokens can neither read, list, count nor
// change anything of tenant A, and learn nothing of its existence.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, AsyncRequestID: "secret-req"})
	path := fmt.Sprintf("/api/v1/tasks/%d", a.ID)
	var before api.Task
	e.call(e.readA, "GET", path, nil, 200, &before)

	for _, tok := range []string{e.readB, e.opB} {
		// Read: the task is as absent as one that never existed.
		_, absent := e.apiError(tok, "GET", "/api/v1/tasks/999999", nil)
		status, got := e.apiError(tok, "GET", path, nil)
		require.Equal(t, http.StatusNotFound, status)
		require.Equal(t, absent.Code, got.Code)
		e.call(tok, "GET", path+"/events", nil, 404, nil)
		e.call(tok, "GET", "/api/v1/instances/cdb-a1", nil, 404, nil)

		// List and count: nothing of A in any filter or total.
		for _, q := range []string{"", "?instance_id=cdb-a1", "?async_request_id=secret-req", "?type=REBOOT", "?status=INITIAL"} {
			var list api.TaskList
			e.call(tok, "GET", "/api/v1/tasks"+q, nil, 200, &list)
			require.Zero(t, list.Total, q)
			require.Empty(t, list.Tasks, q)
		}
		var counts api.Counts
		e.call(tok, "GET", "/api/v1/tasks/counts", nil, 200, &counts)
		require.Zero(t, counts.Total)
		var insts api.InstanceList
		e.call(tok, "GET", "/api/v1/instances", nil, 200, &insts)
		for _, inst := range insts.Instances {
			require.Equal(t, "tb", inst.Tenant)
		}
		// Naming tenant A outright is refused.
		e.call(tok, "GET", "/api/v1/tasks?tenant=ta", nil, 403, nil)
		e.call(tok, "GET", "/api/v1/instances?tenant=ta", nil, 403, nil)
	}

	// Change: B's operator can neither act on A's task, nor use A's
	// instance, nor overwrite it.
	for _, action := range []string{"cancel", "pause", "resume"} {
		e.call(e.opB, "POST", path+"/"+action, nil, 404, nil)
	}
	_, detail := e.apiError(e.opB, "POST", "/api/v1/tasks", api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	require.Equal(t, "instance_ids", detail.Field)
	// The same async request id in B is B's own task, not A's.
	b := e.submit(e.opB, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-b1"}, AsyncRequestID: "secret-req"})
	require.NotEqual(t, a.ID, b.ID)
	require.Equal(t, "tb", b.Tenant)
	// PUT of an id A uses makes B's own instance, leaving A's alone.
	e.call(e.opB, "PUT", "/api/v1/instances/cdb-a1", api.PutInstance{Name: "mine"}, 200, nil)
	var instA api.Instance
	e.call(e.readA, "GET", "/api/v1/instances/cdb-a1", nil, 200, &instA)
	require.Equal(t, "cdb-a1", instA.Name)

	var after api.Task
	e.call(e.readA, "GET", path, nil, 200, &after)
	require.Equal(t, before, after)
	var events api.EventList
	e.call(e.readA, "GET", path+"/events", nil, 200, &events)
	require.Len(t, events.Events, 1)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := setup(t)
	submit := api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}}
	e.call("", "GET", "/api/v1/tasks", nil, 401, nil)
	e.call("tc_not-a-token", "GET", "/api/v1/tasks", nil, 401, nil)
	e.call(e.readA, "POST", "/api/v1/tasks", submit, 403, nil)
	e.call(e.workerA, "POST", "/api/v1/tasks", submit, 403, nil)
	e.call(e.readA, "PUT", "/api/v1/instances/cdb-a3", api.PutInstance{}, 403, nil)
	e.call(e.readA, "POST", "/api/v1/credentials", api.CreateCredential{Kind: tc.KindNative}, 403, nil)
	task := e.submit(e.opA, submit)
	e.call(e.readA, "POST", fmt.Sprintf("/api/v1/tasks/%d/cancel", task.ID), nil, 403, nil)
	e.call(e.workerA, "GET", "/api/v1/tasks", nil, 200, nil)

	// An operator issues credentials of its own tenant only.
	var cred api.NewCredential
	e.call(e.opA, "POST", "/api/v1/credentials", api.CreateCredential{Kind: tc.KindTencent}, 201, &cred)
	require.Equal(t, "ta", cred.Tenant)
	require.Equal(t, tc.RoleReader, cred.Role)
	require.Regexp(t, `^AKID[A-Za-z0-9]{32}$`, cred.ID)
	require.Len(t, cred.Secret, 32)
	e.call(e.opA, "POST", "/api/v1/credentials", api.CreateCredential{Kind: tc.KindHuaweiAKSK}, 201, &cred)
	require.Regexp(t, `^[A-Z0-9]{20}$`, cred.ID)
	// An admin credential belongs to no tenant: asking for one of a tenant is
	// refused, not turned into an admin of every tenant.
	_, detail := e.apiError(e.admin, "POST", "/api/v1/credentials", api.CreateCredential{Tenant: "ta", Kind: tc.KindNative, Role: tc.RoleAdmin})
	require.Equal(t, "tenant", detail.Field)
	e.call(e.admin, "POST", "/api/v1/credentials", api.CreateCredential{Kind: tc.KindNative, Role: tc.RoleAdmin}, 201, &cred)
	require.Empty(t, cred.Tenant)
	// The admin must name a tenant for tenant data.
	_, detail = e.apiError(e.admin, "POST", "/api/v1/tasks", submit)
	require.Equal(t, "tenant", detail.Field)
	var list api.TaskList
	e.call(e.admin, "GET", "/api/v1/tasks", nil, 200, &list)
	require.Equal(t, 1, list.Total, "an admin lists every tenant")
}
