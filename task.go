package taskcenter

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Task is one asynchronous operation on one or more database instances.
type Task struct {
	ID             int64
	Tenant         string
	Type           string
	Status         Status
	Progress       int    // 0 to 100
	Code           int    // result code; 0 is success
	Message        string // result or progress message
	InstanceIDs    []string
	AsyncRequestID string // unique per tenant when set
	CreatedAt      time.Time
	StartedAt      time.Time // zero until the first claim
	EndedAt        time.Time // zero until terminal
	UpdatedAt      time.Time
	Context        json.RawMessage // a JSON object, type-specific; never nil
	AttachInfo     []Attach

	// Engine fields.
	// Exclusive tasks run one at a time per instance, in submission order;
	// set from the task type at submission.
	Exclusive bool
	// Attempts counts the attempts charged against MaxAttempts: a release or
	// a pause gives the interrupted one back.
	Attempts    int
	MaxAttempts int
	// Claims counts the claims of the task: every claim raises it and
	// nothing lowers it, so a worker's reports name their lease by it
	// (TaskLease.Claim). Stores keep it; an update cannot change it.
	Claims          int64
	RunAfter        time.Time // not eligible before; zero means now
	Timeout         time.Duration
	LeaseOwner      string
	LeaseExpiresAt  time.Time
	ClaimedAt       time.Time // start of the current attempt
	CancelRequested bool
	PauseRequested  bool

	// InstanceNames are the names of InstanceIDs, in their order, read with
	// the task by a list that asks for them (TaskFilter.InstanceNames): ""
	// for an instance without a name or no longer there. Nil otherwise; never
	// stored.
	InstanceNames []string
}

// Attach is one key/value pair of extra information a task reports.
type Attach struct {
	Key   string
	Value string
}

// Transition moves the task to state to, or returns ECONFLICT when the
// transition table does not allow it. It keeps the time stamps and progress
// consistent with the new state.
func (t *Task) Transition(to Status, now time.Time) error {
	if !t.Status.CanTransition(to) {
		return Errorf(ECONFLICT, "task %d is %s and cannot become %s", t.ID, t.Status, to)
	}
	t.Status = to
	switch {
	case to == StatusRunning:
		if t.StartedAt.IsZero() {
			t.StartedAt = now
		}
	case to == StatusSucceed:
		t.Progress = 100
		t.EndedAt = now
	case to.Terminal() && to != StatusRemoved:
		t.EndedAt = now
	}
	if to != StatusRunning {
		t.LeaseOwner, t.LeaseExpiresAt = "", time.Time{}
	}
	return nil
}

// InstanceFilter selects instances of one tenant, oldest id first.
type InstanceFilter struct {
	Tenant  string // required; AllTenants for an administrator
	AfterID string // cursor: only ids after this one
	// AfterTenant, with AllTenants and AfterID, is the tenant of the last
	// instance of the page before: the list goes on from (AfterID,
	// AfterTenant), so that an id that several tenants use is not skipped.
	AfterTenant string
	IDs         []string // when not empty, only these instances
	Limit       int      // 0 or less lists every instance
}

// TaskFilter selects tasks of one tenant. Lists are ordered newest first (by
// id, descending) and every list carries the exact total of matching tasks,
// before Offset, BeforeID and Limit are applied.
type TaskFilter struct {
	Tenant         string // required; AllTenants for an administrator
	ID             int64
	InstanceID     string
	Types          []string
	Statuses       []Status // empty means every status but REMOVED
	AsyncRequestID string
	CreatedAfter   time.Time // inclusive
	CreatedBefore  time.Time // exclusive
	BeforeID       int64     // cursor: only ids below this one; not part of the total
	Offset         int       // rows to skip after the cursor
	Limit          int       // 0 lists nothing and only counts
	// InstanceNames asks for the names of the listed tasks' instances, in
	// Task.InstanceNames: as of the page's snapshot or a later one.
	InstanceNames bool
	// Summary asks only for what a list shows of each task: its id, tenant,
	// type, status, progress, code, message, instances, async request id,
	// attach info and times of creation, start, end and update. A store may
	// leave its other fields zero, the context among them.
	Summary bool
}

// TaskPage is one page of a task list.
type TaskPage struct {
	Tasks []*Task
	Total int // exact count of tasks matching the filter
}

// MaxAsyncRequestIDLen bounds an async request id, in bytes: no task has a
// longer one, so a filter naming one is refused rather than matching nothing.
const MaxAsyncRequestIDLen = 128

// ValidAsyncRequestID reports whether id could be a task's async request id.
func ValidAsyncRequestID(id string) bool {
	return len(id) <= MaxAsyncRequestIDLen && utf8.ValidString(id)
}

// AllTenants is the tenant value only administrators may pass to reach every tenant.
const AllTenants = "*"

// Claim makes a ready task RUNNING for a worker: the attempt and the claim
// are counted, the lease runs until LeaseEnd, and requests of an earlier
// attempt are cleared.
func Claim(t *Task, worker string, now time.Time, lease time.Duration) error {
	if err := t.Transition(StatusRunning, now); err != nil {
		return err
	}
	t.Attempts++
	t.Claims++
	t.LeaseOwner, t.ClaimedAt = worker, now
	t.LeaseExpiresAt = LeaseEnd(t, now, lease)
	t.CancelRequested, t.PauseRequested = false, false
	t.UpdatedAt = now
	return nil
}

// LeaseEnd is when a lease of a running task taken or renewed at now for
// lease ends: now+lease, but never past the end of the attempt's timeout. A
// worker must not work past its lease; the attempt then ends, as a timeout,
// and an exclusive task's instances go to the next task.
func LeaseEnd(t *Task, now time.Time, lease time.Duration) time.Time {
	end := now.Add(lease)
	if t.Timeout > 0 {
		if limit := t.ClaimedAt.Add(t.Timeout); limit.Before(end) {
			return limit
		}
	}
	return end
}
