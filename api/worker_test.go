package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/worker"
)

// remoteWorker runs agent-1, a worker of ta over HTTP, with handler for
// REBOOT until the test ends.
func remoteWorker(t *testing.T, e *env, handler worker.Handler) {
	t.Helper()
	w := client.New(e.url, e.workerA).NewWorker(worker.Config{ID: "agent-1", Heartbeat: 50 * time.Millisecond, Wait: time.Second})
	w.Handle("REBOOT", handler)
	w.Start(context.Background())
	t.Cleanup(w.Stop)
}

// TestRemoteWorker runs the Go worker over HTTP: it claims with a long poll,
// reports progress and completes; the history shows the worker's steps.
func TestRemoteWorker(t *testing.T) {
	t.Parallel()
	e := setup(t)
	progressed := make(chan struct{})
	remoteWorker(t, e, func(ctx context.Context, task *tc.Task, report worker.Reporter) (*worker.Result, error) {
		report(60, "restarting mysqld")
		<-progressed
		return &worker.Result{Message: "restarted", AttachInfo: []tc.Attach{{Key: "FastUpgradeStatus", Value: "1"}}}, nil
	})

	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	waitUntil(t, func() bool {
		var got api.Task
		e.call(e.readA, "GET", path, nil, 200, &got)
		return got.Progress == 60
	})
	close(progressed)
	var got api.Task
	waitUntil(t, func() bool {
		e.call(e.readA, "GET", path, nil, 200, &got)
		return got.Status == tc.StatusSucceed
	})
	require.Equal(t, "restarted", got.Message)
	require.Equal(t, []api.Attach{{Key: "FastUpgradeStatus", Value: "1"}}, got.AttachInfo)
	var events api.EventList
	e.call(e.readA, "GET", path+"/events", nil, 200, &events)
	var progress []string
	for _, ev := range events.Events {
		progress = append(progress, fmt.Sprintf("%s>%s %d %s", ev.From, ev.To, ev.Progress, ev.Actor))
	}
	// The lease owner is the worker's id bound to its token.
	require.Contains(t, progress, "RUNNING>RUNNING 60 "+workerTokenID(t, e)+"/agent-1")
	require.Equal(t, "RUNNING>SUCCEED 100 "+workerTokenID(t, e)+"/agent-1", progress[len(progress)-1])
}

// TestRemoteWorkerTimeout: a running task says when it was claimed, its
// lease ends with its timeout, and the remote worker then stops the handler
// and reports the timeout itself (no maintenance runs here to do it).
func TestRemoteWorkerTimeout(t *testing.T) {
	t.Parallel()
	e := setup(t)
	started := make(chan struct{})
	remoteWorker(t, e, func(ctx context.Context, task *tc.Task, report worker.Reporter) (*worker.Result, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})

	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}, TimeoutSeconds: 1, MaxAttempts: 1})
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	<-started
	var got api.Task
	e.call(e.readA, "GET", path, nil, 200, &got)
	require.Equal(t, tc.StatusRunning, got.Status)
	require.NotNil(t, got.ClaimedAt)
	require.NotNil(t, got.LeaseExpiresAt)
	require.True(t, got.ClaimedAt.Add(time.Second).Equal(*got.LeaseExpiresAt), "lease until %s, claimed at %s", got.LeaseExpiresAt, got.ClaimedAt)
	waitUntil(t, func() bool {
		got = api.Task{}
		e.call(e.readA, "GET", path, nil, 200, &got)
		return got.Status == tc.StatusFailed
	})
	require.Equal(t, "attempt timed out", got.Message)
	require.Nil(t, got.ClaimedAt, "only while running")
	var events api.EventList
	e.call(e.readA, "GET", path+"/events", nil, 200, &events)
	require.Equal(t, workerTokenID(t, e)+"/agent-1", events.Events[len(events.Events)-1].Actor, "the worker reported it")
}

func TestWorkerEndpoints(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)

	e.call(e.readA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w"}, 403, nil)
	e.call(e.opA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w"}, 403, nil)
	_, detail := e.apiError(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{})
	require.Equal(t, "worker_id", detail.Field)
	_, detail = e.apiError(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w", WaitSeconds: 61})
	require.Equal(t, "wait_seconds", detail.Field)
	_, detail = e.apiError(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w", Max: 101})
	require.Equal(t, "max", detail.Field)

	// Tenant B's worker sees nothing of A.
	workerB := e.credential(e.admin, "tb", tc.RoleWorker)
	var claim api.ClaimResponse
	e.call(workerB, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "wb"}, 200, &claim)
	require.Empty(t, claim.Tasks)

	e.call(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w1", Types: []string{"REBOOT"}}, 200, &claim)
	require.Len(t, claim.Tasks, 1)
	require.Equal(t, tc.StatusRunning, claim.Tasks[0].Status)
	require.Equal(t, 1, claim.Tasks[0].Attempts)

	e.call(workerB, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "w1", Progress: 5}, 404, nil)
	_, detail = e.apiError(e.workerA, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "w1", Progress: 101})
	require.Equal(t, "progress", detail.Field)
	e.call(e.workerA, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "intruder", Progress: 5}, 409, nil)
	var hb api.HeartbeatResponse
	e.call(e.workerA, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "w1", Progress: 20}, 200, &hb)
	require.False(t, hb.CancelRequested)

	var got api.Task
	e.call(e.opA, "POST", path+"/cancel", nil, 200, &got)
	require.Equal(t, tc.StatusRunning, got.Status, "running until its worker has stopped")
	require.True(t, got.CancelRequested)
	e.call(e.workerA, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "w1", Progress: 30}, 200, &hb)
	require.True(t, hb.CancelRequested, "the worker learns of the cancel")
	e.call(e.workerA, "POST", path+"/release", api.ReleaseRequest{WorkerID: "w1"}, 200, &got)
	require.Equal(t, tc.StatusKilled, got.Status, "the worker said it stopped")
	e.call(e.workerA, "POST", path+"/complete", api.CompleteRequest{WorkerID: "w1"}, 409, nil)
	e.call(e.readA, "GET", path, nil, 200, &got)
	require.Equal(t, tc.StatusKilled, got.Status)
	require.Equal(t, 20, got.Progress, "nothing written after the cancel")

	// Fail with retry, then for good.
	retry := e.submit(e.opA, api.SubmitTask{Type: "IMPORT DATA", InstanceIDs: []string{"cdb-a2"}, MaxAttempts: 2})
	rpath := fmt.Sprintf("/api/v1/tasks/%d", retry.ID)
	e.call(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "w1"}, 200, &claim)
	e.call(e.workerA, "POST", rpath+"/fail", api.FailRequest{WorkerID: "w1", Code: 5, Message: "io", Retryable: true}, 200, &got)
	require.Equal(t, tc.StatusInitial, got.Status)
	require.NotNil(t, got.RunAfter, "retried after a backoff")
	require.Equal(t, 5, got.Code)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// workerTokenID is the credential id of the env's worker token of ta.
func workerTokenID(t *testing.T, e *env) string {
	t.Helper()
	cred, err := e.svc.Authenticate(context.Background(), tc.KindNative, e.workerA)
	require.NoError(t, err)
	return cred.ID
}

// TestWorkerLeaseBoundToToken: another worker token of the same tenant
// cannot report on a task leased with the first, even with its worker_id.
func TestWorkerLeaseBoundToToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	var claim api.ClaimResponse
	e.call(e.workerA, "POST", "/api/v1/workers/claim", api.ClaimRequest{WorkerID: "host-a"}, 200, &claim)
	require.Len(t, claim.Tasks, 1)
	other := e.credential(e.admin, "ta", tc.RoleWorker)
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	e.call(other, "POST", path+"/complete", api.CompleteRequest{WorkerID: "host-a"}, 409, nil)
	e.call(other, "POST", path+"/heartbeat", api.HeartbeatRequest{WorkerID: "host-a", Progress: 5}, 409, nil)
	e.call(e.workerA, "POST", path+"/complete", api.CompleteRequest{WorkerID: "host-a"}, 200, nil)
	// And an operator cannot make itself a worker token.
	e.call(e.opA, "POST", "/api/v1/credentials", api.CreateCredential{Kind: tc.KindNative, Role: tc.RoleWorker}, 403, nil)
}

// TestStaleClaimConflict: a task released and claimed again by the same
// worker has the same attempt as before, and the worker's late report of
// the first claim, sent through the client as a worker sends it, is refused
// with 409; so is the same body sent by hand. The current claim's report
// goes through.
func TestStaleClaimConflict(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	c := client.New(e.url, e.workerA)
	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	claim := func() *tc.Task {
		t.Helper()
		got, err := c.ClaimTasks(ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "agent-1", Max: 1})
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0]
	}
	first := claim()
	require.Equal(t, int64(1), first.Claims, "a claimed task says its claim")
	stale := tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "agent-1", Attempt: first.Attempts, Claim: first.Claims}
	_, err := c.ReleaseTask(ctx, &stale)
	require.NoError(t, err)
	second := claim()
	require.Equal(t, first.Attempts, second.Attempts)
	require.Equal(t, int64(2), second.Claims)

	_, err = c.CompleteTask(ctx, &tc.CompleteParams{TaskLease: stale, Message: "late"})
	require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err))
	_, err = c.Heartbeat(ctx, &tc.HeartbeatParams{TaskLease: stale, Progress: 90})
	require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err))
	path := fmt.Sprintf("/api/v1/tasks/%d", task.ID)
	e.call(e.workerA, "POST", path+"/release", api.ReleaseRequest{WorkerID: "agent-1", Attempt: first.Attempts, Claim: first.Claims}, 409, nil)
	e.call(e.workerA, "POST", path+"/fail", api.FailRequest{WorkerID: "agent-1", Claim: first.Claims, Retryable: true}, 409, nil)
	_, detail := e.apiError(e.workerA, "POST", path+"/complete", api.CompleteRequest{WorkerID: "agent-1", Claim: -1})
	require.Equal(t, "claim", detail.Field)
	var got api.Task
	e.call(e.readA, "GET", path, nil, 200, &got)
	require.Equal(t, tc.StatusRunning, got.Status)
	require.Equal(t, int64(2), got.Claim)

	done, err := c.CompleteTask(ctx, &tc.CompleteParams{Message: "done", TaskLease: tc.TaskLease{
		Tenant: "ta", ID: task.ID, WorkerID: "agent-1", Attempt: second.Attempts, Claim: second.Claims}})
	require.NoError(t, err)
	require.Equal(t, tc.StatusSucceed, done.Status)
	require.Equal(t, int64(2), done.Claims)
}

// TestReportToServerWithoutClaim: behind one address, a replica that
// predates the claim refuses it as an unknown member (400 on field claim).
// A worker that got its task from a newer replica sends the report again
// without the claim, and the report is taken.
func TestReportToServerWithoutClaim(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	target, err := url.Parse(e.url)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused atomic.Int32
	older := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) == nil && members["claim"] != nil {
			refused.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(api.ErrorBody{Error: api.ErrorDetail{Code: tc.EINVALID, Field: "claim",
				Message: `unknown field "claim"`}})
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(older.Close)

	task := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	claimed, err := client.New(e.url, e.workerA).ClaimTasks(ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "agent-1", Max: 1})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	lease := tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "agent-1", Attempt: claimed[0].Attempts, Claim: claimed[0].Claims}
	old := client.New(older.URL, e.workerA)
	_, err = old.Heartbeat(ctx, &tc.HeartbeatParams{TaskLease: lease, Progress: 40})
	require.NoError(t, err)
	done, err := old.CompleteTask(ctx, &tc.CompleteParams{TaskLease: lease, Message: "done"})
	require.NoError(t, err)
	require.Equal(t, tc.StatusSucceed, done.Status)
	require.EqualValues(t, 2, refused.Load(), "each report went again without the claim")

	// A refusal of anything else stays a refusal, after the claim's.
	_, err = old.Heartbeat(ctx, &tc.HeartbeatParams{TaskLease: lease, Progress: 101})
	var refusal *tc.Error
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, "progress", refusal.Field, "error: %v", err)
	require.EqualValues(t, 3, refused.Load())
}
