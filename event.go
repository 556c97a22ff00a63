package taskcenter

import "time"

// Event is one entry of a task's append-only history: a transition, a
// progress change, or both.
type Event struct {
	Seq      int64 // increasing across all tasks of a store
	TaskID   int64
	Tenant   string // set by Store.EventsAfter; histories of one task leave it empty
	At       time.Time
	From     Status // "" for the submission
	To       Status
	Progress int
	Message  string
	Actor    string // who caused it: a credential id, a worker id, or ActorEngine
}

// ActorEngine is the actor of the changes the engine makes by itself:
// promotions, rescues of expired leases, timeouts.
const ActorEngine = "engine"

// TaskEventListParams selects a page of one task's history.
type TaskEventListParams struct {
	Tenant   string // the task's tenant; AllTenants for an administrator
	TaskID   int64
	AfterSeq int64 // cursor: only events with a higher seq; 0 from the start
	Limit    int   // at most this many events; positive
}
