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
	GetTask(ctx context.Context, tenant string, id int64) (*Task, error)
	ListTasks(ctx context.Context, f *TaskFilter) (*TaskPage, error)
	CountTasks(ctx context.Context, tenant string) (map[Status]int, error)
	TaskEvents(ctx context.Context, tenant string, id int64) ([]*Event, error)
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
}
