package taskcenter

import (
	"context"
	"encoding/json"
	"time"
)

// Service is what the transports call: the native API, the vendor dialects and
// the console. The engine implements it over a Store. Tenant arguments come
// from the caller's credential; AllTenants only from an administrator's.
type Service interface {
	PutInstance(ctx context.Context, inst *Instance) (*Instance, error)
	GetInstance(ctx context.Context, tenant, id string) (*Instance, error)
	ListInstances(ctx context.Context, f *InstanceFilter) ([]*Instance, error)

	// SubmitTask validates and stores a new task; created is false when the
	// async request id named an existing task, which is returned instead.
	SubmitTask(ctx context.Context, p *SubmitTaskParams) (task *Task, created bool, err error)
	// SubmitTasks submits several tasks in one transaction, each as
	// SubmitTask would, with each outcome at its position.
	SubmitTasks(ctx context.Context, ps []*SubmitTaskParams) ([]TaskResult, error)
	GetTask(ctx context.Context, tenant string, id int64) (*Task, error)
	ListTasks(ctx context.Context, f *TaskFilter) (*TaskPage, error)
	CountTasks(ctx context.Context, tenant string) (map[Status]int, error)
	TaskEvents(ctx context.Context, tenant string, id int64) ([]*Event, error)
	// ListTaskEvents returns a page of a task's history, oldest first.
	ListTaskEvents(ctx context.Context, p *TaskEventListParams) ([]*Event, error)
	CancelTask(ctx context.Context, tenant string, id int64, actor string) (*Task, error)
	PauseTask(ctx context.Context, tenant string, id int64, actor string) (*Task, error)
	ResumeTask(ctx context.Context, tenant string, id int64, actor string) (*Task, error)

	TaskTypes(ctx context.Context) ([]TaskType, error)
	PutTaskType(ctx context.Context, t *TaskType) error

	// CreateCredential makes a credential and returns its secret, which is
	// shown this once and never again.
	CreateCredential(ctx context.Context, p *CreateCredentialParams) (cred *Credential, secret string, err error)
	// Credential returns a credential by id, for signature checks.
	Credential(ctx context.Context, id string) (*Credential, error)
	// Authenticate returns the bearer credential of the given kind for a token.
	Authenticate(ctx context.Context, kind CredentialKind, token string) (*Credential, error)

	Ping(ctx context.Context) error

	WorkerService
}

// WorkerService is what workers call: the engine in process, and the native
// API's client for remote workers, so one worker runs over either.
type WorkerService interface {
	// ClaimTasks leases ready tasks to a worker, waiting up to p.Wait for
	// one to become ready when none is.
	ClaimTasks(ctx context.Context, p *ClaimParams) ([]*Task, error)
	// Heartbeat extends a lease and records progress; ECONFLICT when the
	// worker no longer holds the task (it ended, was rescued or taken).
	Heartbeat(ctx context.Context, p *HeartbeatParams) (*HeartbeatResult, error)
	// CompleteTask ends a leased task with success.
	CompleteTask(ctx context.Context, p *CompleteParams) (*Task, error)
	// FailTask ends an attempt with an error: retried after a backoff while
	// attempts remain and the error is retryable, FAILED otherwise.
	FailTask(ctx context.Context, p *FailParams) (*Task, error)
	// ReleaseTask gives a leased task back unfinished, without counting the
	// attempt, as a worker does when it shuts down.
	ReleaseTask(ctx context.Context, p *TaskLease) (*Task, error)
}

// MaxClaim bounds the tasks one claim may lease.
const MaxClaim = 100

// MaxSubmitBatch bounds the tasks of one SubmitTasks.
const MaxSubmitBatch = 1000

// TaskLease names a task leased to a worker.
type TaskLease struct {
	Tenant   string // AllTenants for in-process workers
	ID       int64
	WorkerID string
	// Attempt is the task's Attempts when it was claimed. When set, a report
	// of an earlier attempt (the same worker claimed the task again after a
	// rescue) is refused rather than settling the attempt now running.
	Attempt int
	// Claim is the task's Claims when it was claimed. When set, a report of
	// any earlier claim is refused, also one whose attempt was given back
	// (released or paused) so that the next claim has the same Attempt.
	// A report with neither Attempt nor Claim is checked by WorkerID alone.
	Claim int64
}

// ClaimParams are the inputs of WorkerService.ClaimTasks.
type ClaimParams struct {
	Tenant   string // AllTenants for in-process workers
	WorkerID string
	Types    []string // empty claims any type
	Max      int
	Wait     time.Duration
}

// HeartbeatParams are the inputs of WorkerService.Heartbeat.
type HeartbeatParams struct {
	TaskLease
	Progress int // 0 to 100
	Message  string
}

// HeartbeatResult tells a worker whether to stop.
type HeartbeatResult struct {
	CancelRequested bool // the task was canceled: stop and report nothing
	PauseRequested  bool // the task was paused: stop and report nothing
	// LeaseExpiresAt is when the extended lease ends. A worker that cannot
	// renew it by then must stop: the task will be rescued and run again.
	LeaseExpiresAt time.Time
}

// CompleteParams are the inputs of WorkerService.CompleteTask.
type CompleteParams struct {
	TaskLease
	Code       int
	Message    string
	AttachInfo []Attach
}

// FailParams are the inputs of WorkerService.FailTask.
type FailParams struct {
	TaskLease
	Code      int // 0 is recorded as -1: a failure has a nonzero code
	Message   string
	Retryable bool
}

// SubmitTaskParams are the inputs of Service.SubmitTask.
type SubmitTaskParams struct {
	Tenant         string
	Type           string
	InstanceIDs    []string
	AsyncRequestID string
	Context        json.RawMessage
	RunAfter       time.Time     // zero means now
	MaxAttempts    int           // 0 means the type's default
	Timeout        time.Duration // 0 means the type's default
	Actor          string
}

// CreateCredentialParams are the inputs of Service.CreateCredential.
type CreateCredentialParams struct {
	Tenant string
	Kind   CredentialKind
	Role   Role
	// Token sets the secret of a bearer credential instead of a random one;
	// it seeds the administrator token from the environment.
	Token string
	// ID sets the credential's public id instead of a random one, for a
	// credential made once per store and found again by its id (the
	// demo's). An id in use is ECONFLICT.
	ID string
}
