package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/worker"
)

// The client is a WorkerService, so the same worker runs remotely.
var _ tc.WorkerService = (*Client)(nil)

// NewWorker returns a worker that claims and runs tasks through this client;
// its token needs the worker role. Register handlers, then Start it.
func (c *Client) NewWorker(cfg worker.Config) *worker.Worker { return worker.New(c, cfg) }

// ClaimTasks leases ready tasks, waiting up to p.Wait (whole seconds) for one.
// p.Tenant is for admin tokens; a worker token works for its own tenant.
func (c *Client) ClaimTasks(ctx context.Context, p *tc.ClaimParams) ([]*tc.Task, error) {
	body := api.ClaimRequest{WorkerID: p.WorkerID, Types: p.Types, Max: p.Max, WaitSeconds: int(p.Wait.Seconds())}
	if p.Tenant != tc.AllTenants {
		body.Tenant = p.Tenant
	}
	var out api.ClaimResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/workers/claim", nil, body, &out); err != nil {
		return nil, err
	}
	tasks := make([]*tc.Task, 0, len(out.Tasks))
	for i := range out.Tasks {
		tasks = append(tasks, api.ToTask(&out.Tasks[i]))
	}
	return tasks, nil
}

// Heartbeat extends a lease and records progress.
func (c *Client) Heartbeat(ctx context.Context, p *tc.HeartbeatParams) (*tc.HeartbeatResult, error) {
	var out api.HeartbeatResponse
	err := c.report(ctx, &p.TaskLease, "/heartbeat", func(claim int64) any {
		return api.HeartbeatRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: claim, Progress: p.Progress, Message: p.Message}
	}, &out)
	if err != nil {
		return nil, err
	}
	res := &tc.HeartbeatResult{CancelRequested: out.CancelRequested, PauseRequested: out.PauseRequested}
	if out.LeaseExpiresAt != nil {
		res.LeaseExpiresAt = *out.LeaseExpiresAt
	}
	return res, nil
}

// CompleteTask ends a leased task with success.
func (c *Client) CompleteTask(ctx context.Context, p *tc.CompleteParams) (*tc.Task, error) {
	var attach []api.Attach
	for _, a := range p.AttachInfo {
		attach = append(attach, api.Attach{Key: a.Key, Value: a.Value})
	}
	return c.leaseCall(ctx, &p.TaskLease, "/complete", func(claim int64) any {
		return api.CompleteRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: claim, Code: p.Code, Message: p.Message,
			AttachInfo: attach}
	})
}

// FailTask ends an attempt with an error.
func (c *Client) FailTask(ctx context.Context, p *tc.FailParams) (*tc.Task, error) {
	return c.leaseCall(ctx, &p.TaskLease, "/fail", func(claim int64) any {
		return api.FailRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: claim, Code: p.Code,
			Message: p.Message, Retryable: p.Retryable}
	})
}

// ReleaseTask gives a leased task back without counting the attempt.
func (c *Client) ReleaseTask(ctx context.Context, p *tc.TaskLease) (*tc.Task, error) {
	return c.leaseCall(ctx, p, "/release", func(claim int64) any {
		return api.ReleaseRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: claim}
	})
}

func (c *Client) leaseCall(ctx context.Context, l *tc.TaskLease, action string, body func(claim int64) any) (*tc.Task, error) {
	var out api.Task
	if err := c.report(ctx, l, action, body, &out); err != nil {
		return nil, err
	}
	return api.ToTask(&out), nil
}

// report sends a worker's report on a lease, body made with the lease's
// claim. A server that predates the claim refuses the member as unknown
// (400 on field claim): the report then goes again without it, fenced by
// the attempt alone, so that workers keep working while the replicas behind
// one address are upgraded one by one.
func (c *Client) report(ctx context.Context, l *tc.TaskLease, action string, body func(claim int64) any, out any) error {
	err := c.do(ctx, http.MethodPost, taskPath(l.ID, action), leaseQuery(l), body(l.Claim), out)
	if l.Claim != 0 && unknownClaim(err) {
		err = c.do(ctx, http.MethodPost, taskPath(l.ID, action), leaseQuery(l), body(0), out)
	}
	return err
}

// unknownClaim reports whether err is a server's refusal of the claim as a
// member it does not know.
func unknownClaim(err error) bool {
	var e *tc.Error
	return errors.As(err, &e) && e.Code == tc.EINVALID && e.Field == "claim" && strings.HasPrefix(e.Message, "unknown field")
}

func leaseQuery(l *tc.TaskLease) url.Values {
	if l.Tenant == tc.AllTenants {
		return nil
	}
	return tenantQuery(l.Tenant)
}
