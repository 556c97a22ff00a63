package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

func (h *Handler) submitTask(w http.ResponseWriter, r *http.Request) error {
	var body SubmitTask
	if err := decode(w, r, &body); err != nil {
		return err
	}
	p, err := submitParams(r, &body)
	if err != nil {
		return err
	}
	task, created, err := h.svc.SubmitTask(r.Context(), p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, FromTask(task))
}

// submitTasks submits a batch in one transaction. A refused task has its
// error at its position and does not stop the others.
func (h *Handler) submitTasks(w http.ResponseWriter, r *http.Request) error {
	var body SubmitBatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if len(body.Tasks) == 0 || len(body.Tasks) > tc.MaxSubmitBatch {
		return tc.Invalidf("tasks", "tasks must hold 1 to %d tasks", tc.MaxSubmitBatch)
	}
	if slices.Contains(body.Tasks, nil) {
		return tc.Invalidf("tasks", "tasks must hold objects, not null")
	}
	out := BatchResults{Results: make([]BatchResult, len(body.Tasks))}
	var ps []*tc.SubmitTaskParams
	var at []int // position in out of each of ps
	for i := range body.Tasks {
		p, err := submitParams(r, body.Tasks[i])
		if err != nil {
			out.Results[i].Error = errorDetail(err)
			continue
		}
		ps = append(ps, p)
		at = append(at, i)
	}
	if len(ps) > 0 {
		res, err := h.svc.SubmitTasks(r.Context(), ps)
		if err != nil {
			return err
		}
		for j, re := range res {
			if re.Err != nil {
				out.Results[at[j]].Error = errorDetail(re.Err)
				continue
			}
			task := FromTask(re.Task)
			out.Results[at[j]].Task, out.Results[at[j]].Created = &task, re.Created
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// submitParams checks a submission's transport-level fields.
func submitParams(r *http.Request, body *SubmitTask) (*tc.SubmitTaskParams, error) {
	tenant, err := tenantOf(r, body.Tenant, false)
	if err != nil {
		return nil, err
	}
	if body.TimeoutSeconds < 0 || body.TimeoutSeconds > maxTimeoutSeconds {
		return nil, tc.Invalidf("timeout_seconds", "timeout_seconds must be between 0 and %d", maxTimeoutSeconds)
	}
	p := &tc.SubmitTaskParams{
		Tenant: tenant, Type: body.Type, InstanceIDs: body.InstanceIDs, AsyncRequestID: body.AsyncRequestID,
		Context: body.Context, MaxAttempts: body.MaxAttempts,
		Timeout: time.Duration(body.TimeoutSeconds) * time.Second, Actor: actor(r),
	}
	if body.RunAfter != nil {
		p.RunAfter = *body.RunAfter
	}
	return p, nil
}

func (h *Handler) getTask(w http.ResponseWriter, r *http.Request) error {
	tenant, id, err := taskRef(r)
	if err != nil {
		return err
	}
	task, err := h.svc.GetTask(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTask(task))
}

func (h *Handler) listTasks(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant", "instance_id", "type*", "status*", "async_request_id",
		"created_after", "created_before", "limit", "cursor")
	if err != nil {
		return err
	}
	f, err := h.taskFilter(r, q)
	if err != nil {
		return err
	}
	// A page is read listPart tasks at a time, and ends early, with a
	// cursor, once its tasks' JSON passes maxPageBytes: a task may carry
	// hundreds of KiB (context, message, attach info), and a thousand of
	// them must not be held in memory at once.
	limit := f.Limit
	out := rawTaskList{Tasks: []json.RawMessage{}}
	first := true
	for {
		part := *f
		part.Limit = min(limit-len(out.Tasks), listPart) + 1 // one more tells whether more follow
		page, err := h.svc.ListTasks(r.Context(), &part)
		if err != nil {
			return err
		}
		if first {
			out.Total, first = page.Total, false
		}
		more := len(page.Tasks) == part.Limit
		if more {
			page.Tasks = page.Tasks[:part.Limit-1]
		}
		for _, t := range page.Tasks {
			b, err := json.Marshal(FromTask(t))
			if err != nil {
				return err
			}
			if len(out.Tasks) > 0 && out.size+len(b) > maxPageBytes {
				out.NextCursor = encodeCursor(out.lastID)
				return out.write(w)
			}
			out.Tasks, out.lastID, out.size = append(out.Tasks, b), t.ID, out.size+len(b)
		}
		if !more {
			return out.write(w)
		}
		if len(out.Tasks) == limit {
			out.NextCursor = encodeCursor(out.lastID)
			return out.write(w)
		}
		f.BeforeID = out.lastID
	}
}

// listPart is the most tasks a list reads from the store at once, and
// maxPageBytes about the most JSON a page holds: a page with fewer tasks
// than its limit, and a next_cursor, is one that reached it.
const (
	listPart     = 100
	maxPageBytes = 4 << 20
)

// rawTaskList is a TaskList whose tasks are encoded already.
type rawTaskList struct {
	Tasks      []json.RawMessage // each as json.Marshal encoded it
	NextCursor string
	Total      int
	lastID     int64 // of the last task
	size       int   // the tasks' bytes
}

// write answers the list with status 200, in the bytes writeJSON would
// write for the TaskList it is, but with its tasks' JSON copied as it is:
// through writeJSON's encoder every byte of it would be scanned again, as
// the output of a json.Marshaler is.
func (l *rawTaskList) write(w http.ResponseWriter) error {
	cursor, err := json.Marshal(l.NextCursor)
	if err != nil {
		return err
	}
	b := make([]byte, 0, l.size+len(l.Tasks)+len(cursor)+48)
	b = append(b, `{"tasks":[`...)
	for i, t := range l.Tasks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t...)
	}
	b = append(b, `],"next_cursor":`...)
	b = append(b, cursor...)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(l.Total), 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// taskFilter reads the filters of the task list and the event stream. A
// value no task can have (a malformed instance id, a type not in the
// catalog, an over-long request id) is refused rather than matching nothing,
// so that a typo does not pass for an empty answer.
func (h *Handler) taskFilter(r *http.Request, q *query) (*tc.TaskFilter, error) {
	tenant, err := tenantOf(r, q.get("tenant"), true)
	if err != nil {
		return nil, err
	}
	f := &tc.TaskFilter{Tenant: tenant, InstanceID: q.get("instance_id"), Types: q.list("type"),
		AsyncRequestID: q.get("async_request_id")}
	if f.InstanceID != "" {
		if err := tc.ValidateInstanceID("instance_id", f.InstanceID); err != nil {
			return nil, err
		}
	}
	if !tc.ValidAsyncRequestID(f.AsyncRequestID) {
		return nil, tc.Invalidf("async_request_id", "async_request_id must be at most %d bytes", tc.MaxAsyncRequestIDLen)
	}
	if err := h.knownTypes(r.Context(), "type", f.Types); err != nil {
		return nil, err
	}
	for _, s := range q.list("status") {
		st, err := tc.ParseStatus(s)
		if err != nil {
			return nil, err
		}
		f.Statuses = append(f.Statuses, st)
	}
	if f.CreatedAfter, err = q.time("created_after"); err != nil {
		return nil, err
	}
	if f.CreatedBefore, err = q.time("created_before"); err != nil {
		return nil, err
	}
	if f.Limit, err = q.limit(); err != nil {
		return nil, err
	}
	if c := q.get("cursor"); c != "" {
		if f.BeforeID, err = decodeCursor(c); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (h *Handler) countTasks(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant")
	if err != nil {
		return err
	}
	tenant, err := tenantOf(r, q.get("tenant"), true)
	if err != nil {
		return err
	}
	counts, err := h.svc.CountTasks(r.Context(), tenant)
	if err != nil {
		return err
	}
	out := Counts{Counts: map[tc.Status]int{}}
	for _, s := range tc.Statuses {
		out.Counts[s] = counts[s]
		if s != tc.StatusRemoved {
			out.Total += counts[s]
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// Event history limits: a page of GET /api/v1/tasks/{id}/events.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

func (h *Handler) taskEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant", "limit", "cursor")
	if err != nil {
		return err
	}
	tenant, id, err := taskRefOf(r, q)
	if err != nil {
		return err
	}
	p := &tc.TaskEventListParams{Tenant: tenant, TaskID: id, Limit: DefaultEventLimit}
	if s := q.get("limit"); s != "" {
		if p.Limit, err = strconv.Atoi(s); err != nil || p.Limit < 1 || p.Limit > MaxEventLimit {
			return tc.Invalidf("limit", "limit must be an integer from 1 to %d", MaxEventLimit)
		}
	}
	if c := q.get("cursor"); c != "" {
		if p.AfterSeq, err = decodeEventCursor(c); err != nil {
			return err
		}
	}
	limit := p.Limit
	p.Limit++ // one more tells whether a next page exists
	events, err := h.svc.ListTaskEvents(r.Context(), p)
	if err != nil {
		return err
	}
	out := EventList{Events: []Event{}}
	if len(events) > limit {
		events = events[:limit]
		out.NextCursor = encodeEventCursor(events[limit-1].Seq)
	}
	for _, e := range events {
		out.Events = append(out.Events, Event{Seq: e.Seq, At: e.At, From: e.From, To: e.To, Progress: e.Progress, Message: e.Message, Actor: e.Actor})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) cancelTask(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, h.svc.CancelTask)
}

func (h *Handler) pauseTask(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, h.svc.PauseTask)
}

func (h *Handler) resumeTask(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, h.svc.ResumeTask)
}

type taskAction func(ctx context.Context, tenant string, id int64, actor string) (*tc.Task, error)

func (h *Handler) act(w http.ResponseWriter, r *http.Request, fn taskAction) error {
	tenant, id, err := taskRef(r)
	if err != nil {
		return err
	}
	task, err := fn(r.Context(), tenant, id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTask(task))
}

// taskRef reads the task id of the path and the tenant it must belong to.
func taskRef(r *http.Request) (string, int64, error) {
	q, err := newQuery(r, "tenant")
	if err != nil {
		return "", 0, err
	}
	return taskRefOf(r, q)
}

// taskRefOf is taskRef over a query that may take more parameters.
func taskRefOf(r *http.Request, q *query) (string, int64, error) {
	tenant, err := tenantOf(r, q.get("tenant"), true)
	if err != nil {
		return "", 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", 0, tc.Invalidf("id", "task id must be a positive integer")
	}
	return tenant, id, nil
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("t" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 't' {
		if id, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, tc.Invalidf("cursor", "cursor is not one this API returned")
}

func encodeEventCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("e" + strconv.FormatInt(seq, 10)))
}

func decodeEventCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 'e' {
		if seq, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, tc.Invalidf("cursor", "cursor is not one this API returned")
}

// knownTypes refuses a type that is not in the catalog, or empty.
func (h *Handler) knownTypes(ctx context.Context, field string, types []string) error {
	if len(types) == 0 {
		return nil
	}
	catalog, err := h.svc.TaskTypes(ctx)
	if err != nil {
		return err
	}
	for _, t := range types {
		if !slices.ContainsFunc(catalog, func(c tc.TaskType) bool { return c.Key == t }) {
			return tc.Invalidf(field, "unknown task type %q", clipText(t))
		}
	}
	return nil
}

// clipText shortens caller input quoted back in messages.
func clipText(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "..."
	}
	return s
}
