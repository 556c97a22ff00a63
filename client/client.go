// Package client is a Go client of taskcenter's native API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
)

// Client calls a taskcenter server. Errors the server reports come back as
// *taskcenter.Error with the server's code, field and message.
type Client struct {
	endpoint string
	token    string
	http     *http.Client
}

// New returns a client of the server at endpoint (like http://127.0.0.1:8080)
// that authenticates with a bearer token.
func New(endpoint, token string) *Client {
	return &Client{
		endpoint: strings.TrimRight(endpoint, "/"),
		token:    token,
		// Longer than the longest claim a worker may wait for (60 s).
		http: &http.Client{Timeout: 90 * time.Second},
	}
}

// WithHTTPClient replaces the HTTP client, for custom transports or timeouts.
func (c *Client) WithHTTPClient(h *http.Client) *Client {
	c.http = h
	return c
}

// do sends a request with an optional JSON body and decodes the answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	_, err := c.send(ctx, method, path, query, body, out)
	return err
}

// send is do that also returns the HTTP status of a successful answer.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body, out any) (int, error) {
	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return resp.StatusCode, decodeError(resp)
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

func decodeError(resp *http.Response) error {
	var body api.ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(b, &body); err != nil || body.Error.Code == "" {
		return &tc.Error{Code: tc.EINTERNAL, Message: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))}
	}
	return &tc.Error{Code: body.Error.Code, Field: body.Error.Field, Message: body.Error.Message}
}

// PutInstance creates or replaces an instance.
func (c *Client) PutInstance(ctx context.Context, id string, in api.PutInstance) (*api.Instance, error) {
	var out api.Instance
	return &out, c.do(ctx, http.MethodPut, "/api/v1/instances/"+url.PathEscape(id), nil, in, &out)
}

// ListInstances lists one page of instances; tenant is for admin tokens.
func (c *Client) ListInstances(ctx context.Context, tenant string, limit int, cursor string) (*api.InstanceList, error) {
	q := url.Values{}
	setNonEmpty(q, "tenant", tenant)
	setNonEmpty(q, "cursor", cursor)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.InstanceList
	return &out, c.do(ctx, http.MethodGet, "/api/v1/instances", q, nil, &out)
}

// SubmitTask submits a task; created is false when its async request id
// named an existing task.
func (c *Client) SubmitTask(ctx context.Context, in api.SubmitTask) (task *api.Task, created bool, err error) {
	var out api.Task
	status, err := c.send(ctx, http.MethodPost, "/api/v1/tasks", nil, in, &out)
	return &out, status == http.StatusCreated, err
}

// SubmitTasks submits up to 1000 tasks in one transaction; each result holds
// the task or the error that refused it, in order.
func (c *Client) SubmitTasks(ctx context.Context, tasks []*api.SubmitTask) ([]api.BatchResult, error) {
	var out api.BatchResults
	return out.Results, c.do(ctx, http.MethodPost, "/api/v1/tasks/batch", nil, api.SubmitBatch{Tasks: tasks}, &out)
}

// GetTask returns a task; tenant may be empty.
func (c *Client) GetTask(ctx context.Context, tenant string, id int64) (*api.Task, error) {
	var out api.Task
	return &out, c.do(ctx, http.MethodGet, taskPath(id, ""), tenantQuery(tenant), nil, &out)
}

// TaskFilter selects tasks for ListTasks.
type TaskFilter struct {
	Tenant         string
	InstanceID     string
	Types          []string
	Statuses       []string
	AsyncRequestID string
	CreatedAfter   time.Time
	CreatedBefore  time.Time
	Limit          int
	Cursor         string
}

// ListTasks returns one page of tasks with the exact total.
func (c *Client) ListTasks(ctx context.Context, f TaskFilter) (*api.TaskList, error) {
	q := url.Values{}
	setNonEmpty(q, "tenant", f.Tenant)
	setNonEmpty(q, "instance_id", f.InstanceID)
	setNonEmpty(q, "async_request_id", f.AsyncRequestID)
	setNonEmpty(q, "cursor", f.Cursor)
	for _, t := range f.Types {
		q.Add("type", t)
	}
	for _, s := range f.Statuses {
		q.Add("status", s)
	}
	if !f.CreatedAfter.IsZero() {
		q.Set("created_after", f.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("created_before", f.CreatedBefore.Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out api.TaskList
	return &out, c.do(ctx, http.MethodGet, "/api/v1/tasks", q, nil, &out)
}

// TaskEvents returns a task's whole history, fetching page after page.
func (c *Client) TaskEvents(ctx context.Context, tenant string, id int64) (*api.EventList, error) {
	all := &api.EventList{Events: []api.Event{}}
	cursor := ""
	for {
		page, err := c.TaskEventPage(ctx, tenant, id, cursor, api.MaxEventLimit)
		if err != nil {
			return nil, err
		}
		all.Events = append(all.Events, page.Events...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
}

// TaskEventPage returns a page of a task's history: up to limit events
// (0 for the server's default) after cursor ("" from the start).
func (c *Client) TaskEventPage(ctx context.Context, tenant string, id int64, cursor string, limit int) (*api.EventList, error) {
	q := tenantQuery(tenant)
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.EventList
	return &out, c.do(ctx, http.MethodGet, taskPath(id, "/events"), q, nil, &out)
}

// CancelTask cancels a task.
func (c *Client) CancelTask(ctx context.Context, tenant string, id int64) (*api.Task, error) {
	return c.taskAction(ctx, tenant, id, "/cancel")
}

// PauseTask pauses a task.
func (c *Client) PauseTask(ctx context.Context, tenant string, id int64) (*api.Task, error) {
	return c.taskAction(ctx, tenant, id, "/pause")
}

// ResumeTask resumes a paused task.
func (c *Client) ResumeTask(ctx context.Context, tenant string, id int64) (*api.Task, error) {
	return c.taskAction(ctx, tenant, id, "/resume")
}

func (c *Client) taskAction(ctx context.Context, tenant string, id int64, action string) (*api.Task, error) {
	var out api.Task
	return &out, c.do(ctx, http.MethodPost, taskPath(id, action), tenantQuery(tenant), nil, &out)
}

// CreateCredential creates a credential and returns it with its secret.
func (c *Client) CreateCredential(ctx context.Context, in api.CreateCredential) (*api.NewCredential, error) {
	var out api.NewCredential
	return &out, c.do(ctx, http.MethodPost, "/api/v1/credentials", nil, in, &out)
}

func taskPath(id int64, suffix string) string {
	return "/api/v1/tasks/" + strconv.FormatInt(id, 10) + suffix
}

func tenantQuery(tenant string) url.Values {
	q := url.Values{}
	setNonEmpty(q, "tenant", tenant)
	return q
}

func setNonEmpty(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
