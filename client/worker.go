package client

import (
	"context"
	"net/http"
	"net/url"

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
	err := c.do(ctx, http.MethodPost, taskPath(p.ID, "/heartbeat"), leaseQuery(&p.TaskLease),
		api.HeartbeatRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: p.Claim, Progress: p.Progress, Message: p.Message}, &out)
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
	body := api.CompleteRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: p.Claim, Code: p.Code, Message: p.Message}
	for _, a := range p.AttachInfo {
		body.AttachInfo = append(body.AttachInfo, api.Attach{Key: a.Key, Value: a.Value})
	}
	return c.leaseCall(ctx, &p.TaskLease, "/complete", body)
}

// FailTask ends an attempt with an error.
func (c *Client) FailTask(ctx context.Context, p *tc.FailParams) (*tc.Task, error) {
	return c.leaseCall(ctx, &p.TaskLease, "/fail",
		api.FailRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: p.Claim, Code: p.Code,
			Message: p.Message, Retryable: p.Retryable})
}

// ReleaseTask gives a leased task back without counting the attempt.
func (c *Client) ReleaseTask(ctx context.Context, p *tc.TaskLease) (*tc.Task, error) {
	return c.leaseCall(ctx, p, "/release", api.ReleaseRequest{WorkerID: p.WorkerID, Attempt: p.Attempt, Claim: p.Claim})
}

func (c *Client) leaseCall(ctx context.Context, l *tc.TaskLease, action string, body any) (*tc.Task, error) {
	var out api.Task
	if err := c.do(ctx, http.MethodPost, taskPath(l.ID, action), leaseQuery(l), body, &out); err != nil {
		return nil, err
	}
	return api.ToTask(&out), nil
}

func leaseQuery(l *tc.TaskLease) url.Values {
	if l.Tenant == tc.AllTenants {
		return nil
	}
	return tenantQuery(l.Tenant)
}
