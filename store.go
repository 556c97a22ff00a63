package taskcenter

import (
	"context"
	"time"
)

// Store keeps instances, tasks, their history, the operator-defined task types
// and credentials. Every method that reads or writes tenant data takes the
// tenant and touches nothing outside it; only AllTenants reaches every tenant.
// Implementations: sqlite (embedded, the default) and postgres. Both pass the
// conformance suite in storetest.
type Store interface {
	// InstancePut creates or replaces an instance, keeping its CreatedAt.
	InstancePut(ctx context.Context, inst *Instance) (*Instance, error)
	// InstanceGet returns an instance of the tenant, or ErrNotFound.
	InstanceGet(ctx context.Context, tenant, id string) (*Instance, error)
	// InstanceList lists instances by id.
	InstanceList(ctx context.Context, f *InstanceFilter) ([]*Instance, error)

	// TaskInsert stores a new task and its first event in one transaction. It
	// refuses with EINVALID (field instance_ids) an instance unknown to the
	// tenant. When the tenant already has a task with the same AsyncRequestID,
	// it returns that task and created=false, even under concurrent inserts.
	// An exclusive task submitted as WAITING is queued on its instances and
	// stored as INITIAL right away when PlanPromotions lets it start.
	TaskInsert(ctx context.Context, p *TaskInsertParams) (task *Task, created bool, err error)
	// TaskGet returns a task of the tenant, or ErrNotFound.
	TaskGet(ctx context.Context, tenant string, id int64) (*Task, error)
	// TaskGetMany returns the named tasks that exist, each once, by id: one
	// read for what TaskGet would take a read each. A ref's tenant scopes it
	// as TaskGet's does (AllTenants reaches every tenant); a ref to a task
	// that is gone, or of another tenant, is left out. At most
	// MaxTaskGetMany refs, or EINVALID.
	TaskGetMany(ctx context.Context, refs []TaskRef) ([]*Task, error)
	// TaskList returns one page of tasks, newest first, and the exact total.
	TaskList(ctx context.Context, f *TaskFilter) (*TaskPage, error)
	// TaskUpdate loads a task, applies fn and saves the result in one
	// transaction. A change of status, progress or message, or a Note,
	// appends an event.
	// When an exclusive task changes status, the queues of its instances are
	// replanned in the same transaction (PlanPromotions), atomically with
	// respect to every other writer, also in other processes.
	TaskUpdate(ctx context.Context, p *TaskUpdateParams) (*Task, error)
	// TaskInsertMany stores several new tasks in one transaction, each as
	// TaskInsert would and in order, and reports each outcome at the same
	// position: an insert refused (an unknown instance, say) writes nothing
	// and does not stop the others. A task whose AsyncRequestID an earlier
	// insert of the batch used gets that task back, with Created false.
	// A failure of the store itself is the error, and nothing is written.
	TaskInsertMany(ctx context.Context, ps []*TaskInsertParams) ([]TaskResult, error)
	// TaskUpdateMany applies several updates in one transaction, each as
	// TaskUpdate would and in order (a task named twice sees the first
	// update's result), and reports each outcome at the same position: an
	// update whose task is missing or whose Update fails changes nothing
	// and does not stop the others. A store may replan queues once, after
	// the last update: a task that an earlier update frees then starts when
	// the batch ends, and a later update of the batch sees it WAITING.
	// A failure of the store itself is the error, and nothing is written.
	TaskUpdateMany(ctx context.Context, ps []*TaskUpdateParams) ([]TaskResult, error)
	// TaskClaim leases up to Max ready (INITIAL, RunAfter passed) tasks of
	// the given types, oldest first, and makes them RUNNING for the worker,
	// as Claim does: each attempt and claim is counted, and a lease ends at
	// Now+Lease or at the end of the task's timeout, whichever comes first.
	// Concurrent claims never return the same task.
	TaskClaim(ctx context.Context, p *TaskClaimParams) ([]*Task, error)
	// TaskPromoteDue makes WAITING tasks whose RunAfter has passed INITIAL,
	// exclusive ones through their instances' queues, and returns how many.
	TaskPromoteDue(ctx context.Context, now time.Time) (int, error)
	// TaskExpired returns RUNNING tasks whose lease has expired or whose
	// current attempt has outlived its timeout, oldest first.
	TaskExpired(ctx context.Context, now time.Time, limit int) ([]TaskRef, error)
	// TaskPrune deletes up to limit tasks that ended before the given time,
	// with their history, and returns how many.
	TaskPrune(ctx context.Context, endedBefore time.Time, limit int) (int, error)
	// LeaseAcquire takes or renews a named lease for owner until now+ttl,
	// and reports whether owner holds it: one replica runs maintenance.
	LeaseAcquire(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	// TaskEvents returns a task's history, oldest first.
	TaskEvents(ctx context.Context, tenant string, id int64) ([]*Event, error)
	// TaskEventList returns a page of a task's history, oldest first: up to
	// p.Limit events with a seq above p.AfterSeq. ENOTFOUND when the tenant
	// has no such task.
	TaskEventList(ctx context.Context, p *TaskEventListParams) ([]*Event, error)
	// EventsAfter returns up to limit events of every tenant with a seq
	// above afterSeq, by seq, each with its Tenant: the feed that the event
	// stream tails. On PostgreSQL an event may become visible after one with
	// a higher seq (transactions commit out of order); readers re-read behind.
	EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	// EventSeq returns the highest seq stored, 0 when there is none.
	EventSeq(ctx context.Context) (int64, error)
	// TaskCounts returns the number of tasks per status.
	TaskCounts(ctx context.Context, tenant string) (map[Status]int, error)
	// TaskCountsCompact folds the per-write deltas behind exact totals
	// (TaskList, TaskCounts) into one row per group, in one transaction:
	// totals are the same before and after, only cheaper to read. The
	// maintenance runs it periodically.
	TaskCountsCompact(ctx context.Context) error

	// TaskTypePut creates or replaces an operator-defined task type.
	TaskTypePut(ctx context.Context, t *TaskType) error
	// TaskTypeList returns the operator-defined task types, by key.
	TaskTypeList(ctx context.Context) ([]TaskType, error)

	// CredentialCreate stores a new credential; an existing id is ECONFLICT.
	CredentialCreate(ctx context.Context, c *Credential) error
	// CredentialGet returns a credential by id, or ErrNotFound.
	CredentialGet(ctx context.Context, id string) (*Credential, error)
	// CredentialByToken returns the bearer credential with the given
	// HashToken, or ErrNotFound.
	CredentialByToken(ctx context.Context, tokenHash string) (*Credential, error)
	// CredentialCount counts the credentials of a role in every tenant.
	CredentialCount(ctx context.Context, role Role) (int, error)

	// Ping checks that the store can answer. It also reports EUNAVAILABLE
	// while the store's last write that needed room found none (a full
	// disk), so that a server that cannot take new work says so.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// TaskInsertParams are the inputs of Store.TaskInsert. Task carries the new
// task's fields; the store assigns ID, sets UpdatedAt to CreatedAt and
// Claims to 0 (only claims count claims). Stores keep every time at
// millisecond precision, in UTC.
type TaskInsertParams struct {
	Task  *Task
	Actor string
}

// TaskResult is the outcome of one insert or update of a batch.
type TaskResult struct {
	Task    *Task
	Created bool // TaskInsertMany: false when the AsyncRequestID named an existing task
	Err     error
}

// TaskRef names one task.
type TaskRef struct {
	Tenant string
	ID     int64
}

// MaxTaskGetMany bounds the refs of one Store.TaskGetMany.
const MaxTaskGetMany = 1000

// CheckTaskGetMany refuses more refs than one TaskGetMany reads.
func CheckTaskGetMany(refs []TaskRef) error {
	if len(refs) > MaxTaskGetMany {
		return Invalidf("refs", "at most %d tasks can be read at once, not %d", MaxTaskGetMany, len(refs))
	}
	return nil
}

// TaskClaimParams are the inputs of Store.TaskClaim.
type TaskClaimParams struct {
	Tenant   string   // AllTenants for in-process workers
	WorkerID string   // becomes the lease owner and the events' actor
	Types    []string // empty claims any type
	Max      int
	Lease    time.Duration
	Now      time.Time
}

// TaskUpdateParams are the inputs of Store.TaskUpdate.
type TaskUpdateParams struct {
	Tenant string
	ID     int64
	Actor  string // recorded on the event
	Now    time.Time
	// Update changes the task in place; an error aborts the transaction.
	// Changes to ID, Tenant, Type, InstanceIDs, AsyncRequestID, CreatedAt
	// and Claims are ignored.
	Update func(t *Task) error
	// Note is the event's message; empty means the task's Message.
	Note string
}
