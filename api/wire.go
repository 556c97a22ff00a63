package api

import (
	"encoding/json"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Task is a task as the native API shows it.
type Task struct {
	ID             int64           `json:"id"`
	Tenant         string          `json:"tenant"`
	Type           string          `json:"type"`
	Status         tc.Status       `json:"status"`
	Progress       int             `json:"progress"`
	Code           int             `json:"code"`
	Message        string          `json:"message"`
	InstanceIDs    []string        `json:"instance_ids"`
	AsyncRequestID string          `json:"async_request_id"`
	CreatedAt      time.Time       `json:"created_at"`
	StartedAt      *time.Time      `json:"started_at"`
	EndedAt        *time.Time      `json:"ended_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Context        json.RawMessage `json:"context"`
	AttachInfo     []Attach        `json:"attach_info"`
	Attempts       int             `json:"attempts"`
	MaxAttempts    int             `json:"max_attempts"`
	Claim          int64           `json:"claim"` // the claims so far; a worker sends its claim's number with its reports
	RunAfter       *time.Time      `json:"run_after"`
	TimeoutSeconds int64           `json:"timeout_seconds"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at,omitempty"` // while RUNNING
	// ClaimedAt is when the running attempt was claimed; its timeout, and
	// with it every lease of the attempt, ends TimeoutSeconds later.
	ClaimedAt *time.Time `json:"claimed_at,omitempty"` // while RUNNING
	// A running task asked to stop: it becomes KILLED or PAUSED once its
	// worker has stopped.
	CancelRequested bool `json:"cancel_requested"`
	PauseRequested  bool `json:"pause_requested"`
}

// Attach is one key/value pair of a task's extra information.
type Attach struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TaskList is the answer of GET /api/v1/tasks.
type TaskList struct {
	Tasks      []Task `json:"tasks"`
	NextCursor string `json:"next_cursor"`
	Total      int    `json:"total"`
}

// SubmitTask is the body of POST /api/v1/tasks.
type SubmitTask struct {
	Tenant         string          `json:"tenant,omitempty"`
	Type           string          `json:"type"`
	InstanceIDs    []string        `json:"instance_ids"`
	AsyncRequestID string          `json:"async_request_id,omitempty"`
	Context        json.RawMessage `json:"context,omitempty"`
	RunAfter       *time.Time      `json:"run_after,omitempty"`
	MaxAttempts    int             `json:"max_attempts,omitempty"`
	TimeoutSeconds int64           `json:"timeout_seconds,omitempty"`
}

// SubmitBatch is the body of POST /api/v1/tasks/batch.
type SubmitBatch struct {
	Tasks []*SubmitTask `json:"tasks"`
}

// BatchResults answers POST /api/v1/tasks/batch: one result per submitted
// task, in order.
type BatchResults struct {
	Results []BatchResult `json:"results"`
}

// BatchResult is a stored task (Created false when its async request id
// named an existing task) or the error that refused it.
type BatchResult struct {
	Task    *Task        `json:"task,omitempty"`
	Created bool         `json:"created"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// Event is one entry of a task's history.
type Event struct {
	Seq      int64     `json:"seq"` // increasing along a history; the event stream's ids are the same numbers
	At       time.Time `json:"at"`
	From     tc.Status `json:"from"`
	To       tc.Status `json:"to"`
	Progress int       `json:"progress"`
	Message  string    `json:"message"`
	Actor    string    `json:"actor"`
}

// EventList is the answer of GET /api/v1/tasks/{id}/events.
type EventList struct {
	Events []Event `json:"events"`
	// NextCursor fetches the next page; "" when this page is the last.
	NextCursor string `json:"next_cursor"`
}

// Counts is the answer of GET /api/v1/tasks/counts: tasks per status.
type Counts struct {
	Counts map[tc.Status]int `json:"counts"`
	Total  int               `json:"total"`
}

// Instance is an instance as the native API shows it.
type Instance struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	Engine    string    `json:"engine"`
	Region    string    `json:"region"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PutInstance is the body of PUT /api/v1/instances/{id}.
type PutInstance struct {
	Tenant string `json:"tenant,omitempty"`
	Name   string `json:"name"`
	Engine string `json:"engine"`
	Region string `json:"region"`
	Status string `json:"status"`
}

// InstanceList is the answer of GET /api/v1/instances.
type InstanceList struct {
	Instances  []Instance `json:"instances"`
	NextCursor string     `json:"next_cursor"`
}

// TaskType is an entry of the task-type catalog.
type TaskType struct {
	Key            string `json:"key"`
	TencentCode    int    `json:"tencent_code,omitempty"`
	Description    string `json:"description"`
	Exclusive      bool   `json:"exclusive"`
	TimeoutSeconds int64  `json:"timeout_seconds"`
	MaxAttempts    int    `json:"max_attempts"`
	Builtin        bool   `json:"builtin"`
}

// PutTaskType is the body of PUT /api/v1/types/{key}: a TaskType, whose
// Exclusive is true when left out, as for the built-in types.
type PutTaskType struct {
	Key            string `json:"key,omitempty"`
	TencentCode    int    `json:"tencent_code,omitempty"`
	Description    string `json:"description"`
	Exclusive      *bool  `json:"exclusive,omitempty"`
	TimeoutSeconds int64  `json:"timeout_seconds"`
	MaxAttempts    int    `json:"max_attempts"`
	Builtin        bool   `json:"builtin,omitempty"` // read-only: refused when true
}

// TaskTypeList is the answer of GET /api/v1/types.
type TaskTypeList struct {
	Types []TaskType `json:"types"`
}

// CreateCredential is the body of POST /api/v1/credentials.
type CreateCredential struct {
	Tenant string            `json:"tenant,omitempty"`
	Kind   tc.CredentialKind `json:"kind"`
	Role   tc.Role           `json:"role,omitempty"`
}

// NewCredential is the answer of POST /api/v1/credentials; Secret is shown this once.
type NewCredential struct {
	ID     string            `json:"id"`
	Secret string            `json:"secret"`
	Tenant string            `json:"tenant"`
	Kind   tc.CredentialKind `json:"kind"`
	Role   tc.Role           `json:"role"`
}

// ClaimRequest is the body of POST /api/v1/workers/claim.
type ClaimRequest struct {
	Tenant      string   `json:"tenant,omitempty"`
	WorkerID    string   `json:"worker_id"`
	Types       []string `json:"types,omitempty"`
	Max         int      `json:"max,omitempty"`
	WaitSeconds int      `json:"wait_seconds,omitempty"`
}

// ClaimResponse is the answer of a claim: the leased tasks, maybe none.
type ClaimResponse struct {
	Tasks []Task `json:"tasks"`
}

// HeartbeatRequest is the body of POST /api/v1/tasks/{id}/heartbeat.
type HeartbeatRequest struct {
	WorkerID string `json:"worker_id"`
	Attempt  int    `json:"attempt,omitempty"` // the claim's attempts: refuses a report of an earlier attempt
	Claim    int64  `json:"claim,omitempty"`   // the claimed task's claim: refuses a report of any earlier claim
	Progress int    `json:"progress"`
	Message  string `json:"message,omitempty"`
}

// HeartbeatResponse tells the worker whether to stop.
type HeartbeatResponse struct {
	CancelRequested bool       `json:"cancel_requested"`
	PauseRequested  bool       `json:"pause_requested"`
	LeaseExpiresAt  *time.Time `json:"lease_expires_at,omitempty"`
}

// CompleteRequest is the body of POST /api/v1/tasks/{id}/complete.
type CompleteRequest struct {
	WorkerID   string   `json:"worker_id"`
	Attempt    int      `json:"attempt,omitempty"` // the claim's attempts: refuses a report of an earlier attempt
	Claim      int64    `json:"claim,omitempty"`   // the claimed task's claim: refuses a report of any earlier claim
	Code       int      `json:"code,omitempty"`
	Message    string   `json:"message,omitempty"`
	AttachInfo []Attach `json:"attach_info,omitempty"`
}

// FailRequest is the body of POST /api/v1/tasks/{id}/fail.
type FailRequest struct {
	WorkerID  string `json:"worker_id"`
	Attempt   int    `json:"attempt,omitempty"` // the claim's attempts: refuses a report of an earlier attempt
	Claim     int64  `json:"claim,omitempty"`   // the claimed task's claim: refuses a report of any earlier claim
	Code      int    `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
}

// ReleaseRequest is the body of POST /api/v1/tasks/{id}/release.
type ReleaseRequest struct {
	WorkerID string `json:"worker_id"`
	Attempt  int    `json:"attempt,omitempty"` // the claim's attempts: refuses a report of an earlier attempt
	Claim    int64  `json:"claim,omitempty"`   // the claimed task's claim: refuses a report of any earlier claim
}

// ErrorBody is the answer of every failed call.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong; Field names the offending input.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// FromTask converts a domain task to its wire form.
func FromTask(t *tc.Task) Task {
	w := Task{
		ID: t.ID, Tenant: t.Tenant, Type: t.Type, Status: t.Status, Progress: t.Progress,
		Code: t.Code, Message: t.Message, InstanceIDs: t.InstanceIDs, AsyncRequestID: t.AsyncRequestID,
		CreatedAt: t.CreatedAt, StartedAt: optTime(t.StartedAt), EndedAt: optTime(t.EndedAt),
		UpdatedAt: t.UpdatedAt, Context: t.Context, AttachInfo: []Attach{}, Attempts: t.Attempts,
		MaxAttempts: t.MaxAttempts, Claim: t.Claims, RunAfter: optTime(t.RunAfter), TimeoutSeconds: int64(t.Timeout / time.Second),
		LeaseExpiresAt: optTime(t.LeaseExpiresAt), CancelRequested: t.CancelRequested, PauseRequested: t.PauseRequested,
	}
	if t.Status == tc.StatusRunning {
		w.ClaimedAt = optTime(t.ClaimedAt)
	}
	for _, a := range t.AttachInfo {
		w.AttachInfo = append(w.AttachInfo, Attach{Key: a.Key, Value: a.Value})
	}
	if w.InstanceIDs == nil {
		w.InstanceIDs = []string{}
	}
	if len(w.Context) == 0 {
		w.Context = json.RawMessage(`{}`)
	}
	return w
}

// ToTask converts a wire task back to the domain, for clients.
func ToTask(w *Task) *tc.Task {
	t := &tc.Task{
		ID: w.ID, Tenant: w.Tenant, Type: w.Type, Status: w.Status, Progress: w.Progress, Code: w.Code,
		Message: w.Message, InstanceIDs: w.InstanceIDs, AsyncRequestID: w.AsyncRequestID,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Context: w.Context, Attempts: w.Attempts,
		MaxAttempts: w.MaxAttempts, Claims: w.Claim, Timeout: time.Duration(w.TimeoutSeconds) * time.Second,
		CancelRequested: w.CancelRequested, PauseRequested: w.PauseRequested,
	}
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{w.StartedAt, &t.StartedAt}, {w.EndedAt, &t.EndedAt}, {w.RunAfter, &t.RunAfter}, {w.LeaseExpiresAt, &t.LeaseExpiresAt}, {w.ClaimedAt, &t.ClaimedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	for _, a := range w.AttachInfo {
		t.AttachInfo = append(t.AttachInfo, tc.Attach{Key: a.Key, Value: a.Value})
	}
	return t
}

// FromInstance converts a domain instance to its wire form.
func FromInstance(i *tc.Instance) Instance {
	return Instance{ID: i.ID, Tenant: i.Tenant, Name: i.Name, Engine: i.Engine, Region: i.Region,
		Status: i.Status, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// FromTaskType converts a catalog entry to its wire form.
func FromTaskType(t tc.TaskType) TaskType {
	return TaskType{Key: t.Key, TencentCode: t.TencentCode, Description: t.Description, Exclusive: t.Exclusive,
		TimeoutSeconds: int64(t.Timeout / time.Second), MaxAttempts: t.MaxAttempts, Builtin: t.Builtin}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Whoami is the answer of GET /api/v1/whoami: the caller's credential.
type Whoami struct {
	ID     string            `json:"id"`
	Tenant string            `json:"tenant"` // "" for an administrator
	Role   tc.Role           `json:"role"`
	Kind   tc.CredentialKind `json:"kind"`
}

// TaskChange is the data of a "task" message of GET /api/v1/events: one
// event of a task's history and the task as it stood when it was read.
type TaskChange struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	From     tc.Status `json:"from"`
	To       tc.Status `json:"to"`
	Progress int       `json:"progress"`
	Message  string    `json:"message"`
	Actor    string    `json:"actor"`
	Task     Task      `json:"task"`
}

// FromTaskChange converts a change to its wire form.
func FromTaskChange(c *tc.TaskChange) TaskChange {
	e := c.Event
	return TaskChange{Seq: e.Seq, At: e.At, From: e.From, To: e.To, Progress: e.Progress,
		Message: e.Message, Actor: e.Actor, Task: FromTask(c.Task)}
}

// StreamTicket is the answer of POST /api/v1/events/tickets: a single-use
// ticket that opens GET /api/v1/events?ticket= once before ExpiresAt.
type StreamTicket struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}
