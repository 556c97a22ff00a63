package huawei

import (
	"context"
	"math"
	"strconv"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The bounds of ListTasks: a page of 1 to MaxLimit jobs, DefaultLimit when
// not asked, and a time window of at most MaxSpan.
const (
	DefaultLimit = 100
	MaxLimit     = 100
	MaxSpan      = 30 * 24 * time.Hour
)

// listTasksResponse is the SDK's model.ListTasksResponse; total_count is
// always present and counts every match before offset and limit.
type listTasksResponse struct {
	Jobs       []jobInfo `json:"jobs"`
	TotalCount int       `json:"total_count"`
}

// jobInfo is the SDK's model.JobInfo.
type jobInfo struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	InstanceID   string `json:"instance_id"`
	InstanceName string `json:"instance_name"`
	Status       string `json:"status"`
	Progress     string `json:"progress"`
	FailReason   string `json:"fail_reason"`
	CreatedAt    string `json:"created_at"`
	EndedAt      string `json:"ended_at"`
}

// listTasks answers ListTasks: the tenant's tasks created within
// [start_time, end_time], newest first.
func (h *handler) listTasks(ctx context.Context, tenant string, q query) (*listTasksResponse, error) {
	f, none, err := h.listFilter(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	out := &listTasksResponse{Jobs: []jobInfo{}}
	if none {
		return out, nil
	}
	page, err := h.svc.ListTasks(ctx, f)
	if err != nil {
		return nil, err
	}
	out.TotalCount = page.Total
	for _, t := range page.Tasks {
		j, err := jobOf(ctx, h.svc, tenant, t, h.opts.Location)
		if err != nil {
			return nil, err
		}
		out.Jobs = append(out.Jobs, jobInfo{ID: j.id, Name: j.name, InstanceID: j.instanceID, InstanceName: j.instanceName,
			Status: j.status, Progress: j.progress, FailReason: j.failReason, CreatedAt: j.created, EndedAt: j.ended})
	}
	return out, nil
}

// listFilter validates the parameters of ListTasks, in the order of the
// documentation, into a filter. none is true when an id that cannot name a
// taskcenter task (they are positive integers; Huawei's are UUIDs) makes the
// answer empty.
func (h *handler) listFilter(ctx context.Context, tenant string, q query) (f *tc.TaskFilter, none bool, err error) {
	start, end, err := timeWindow(q)
	if err != nil {
		return nil, false, err
	}
	// Times are asked to the second and shown to the second, so a task shown
	// at end_time is inside the window even if it was created 0.5s later.
	f = &tc.TaskFilter{Tenant: tenant, CreatedAfter: start, CreatedBefore: end.Add(time.Second), Limit: DefaultLimit,
		InstanceNames: true, Summary: true}
	if none, err = h.filters(ctx, q, f); err != nil {
		return nil, false, err
	}
	if err := paging(q, f); err != nil {
		return nil, false, err
	}
	return f, none, nil
}

// timeWindow reads start_time and end_time: both required, end after start,
// at most MaxSpan apart.
func timeWindow(q query) (start, end time.Time, err error) {
	if start, err = timeParam(q, "start_time", fieldStartTime, "Invalid start time"); err != nil {
		return start, end, err
	}
	if end, err = timeParam(q, "end_time", fieldEndTime, "Invalid end time"); err != nil {
		return start, end, err
	}
	if !end.After(start) {
		return start, end, tc.Invalidf(fieldEndTime, "Invalid end time: end_time must be later than start_time.")
	}
	if end.Sub(start) > MaxSpan {
		return start, end, tc.Invalidf(fieldEndTime, "Invalid end time: the time span must not exceed 30 days.")
	}
	return start, end, nil
}

// timeParam reads one required time parameter.
func timeParam(q query, name, field, invalid string) (time.Time, error) {
	v, err := q.get(name, field)
	if err != nil {
		return time.Time{}, err
	}
	if v == "" {
		return time.Time{}, tc.Invalidf(field, "%s: %s is required, as yyyy-mm-ddThh:mm:ssZ like 2026-01-02T15:04:05+0800.", invalid, name)
	}
	t, ok := ParseTime(v)
	if !ok {
		return time.Time{}, tc.Invalidf(fieldTimeFormat, "Invalid date: %s %q is not yyyy-mm-ddThh:mm:ssZ, like 2026-01-02T15:04:05+0800.", name, clip(v))
	}
	return t, nil
}

// filters reads status, id, name and the extra instance_id. An empty value
// is the same as no parameter.
func (h *handler) filters(ctx context.Context, q query, f *tc.TaskFilter) (none bool, err error) {
	status, err := q.get("status", "status")
	if err != nil {
		return false, err
	}
	if status != "" {
		states, ok := statusMap[status]
		if !ok {
			return false, tc.Invalidf("status", "Parameter error: status must be Running, Completed or Failed, not %q.", clip(status))
		}
		f.Statuses = states
	}
	id, err := q.get("id", "id")
	if err != nil {
		return false, err
	}
	if id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		none = err != nil || n <= 0
		f.ID = n
	}
	name, err := q.get("name", "name")
	if err != nil {
		return false, err
	}
	if name != "" {
		if err := h.knownType(ctx, name); err != nil {
			return false, err
		}
		f.Types = []string{name}
	}
	instance, err := q.get("instance_id", "instance_id")
	if err != nil {
		return false, err
	}
	if instance != "" {
		if tc.ValidateInstanceID("instance_id", instance) != nil {
			return false, tc.Invalidf("instance_id", "Parameter error: %q is not an instance id.", clip(instance))
		}
		f.InstanceID = instance
	}
	return none, nil
}

// knownType accepts the 37 DDS task names and every other type of the catalog.
func (h *handler) knownType(ctx context.Context, name string) error {
	if _, ok := tc.BuiltinType(name); ok {
		return nil
	}
	types, err := h.svc.TaskTypes(ctx)
	if err != nil {
		return err
	}
	for _, t := range types {
		if t.Key == name {
			return nil
		}
	}
	return tc.Invalidf("name", "Parameter error: unknown task name %q.", clip(name))
}

// paging reads offset (0 or more) and limit (1 to MaxLimit).
func paging(q query, f *tc.TaskFilter) error {
	offset, err := q.get("offset", fieldOffset)
	if err != nil {
		return err
	}
	if offset != "" {
		n, err := strconv.Atoi(offset)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return tc.Invalidf(fieldOffset, "Invalid offset: offset must be an integer of at least 0, not %q.", clip(offset))
		}
		f.Offset = n
	}
	limit, err := q.get("limit", fieldLimit)
	if err != nil {
		return err
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return tc.Invalidf(fieldLimit, "Invalid limit: limit must be an integer from 1 to %d, not %q.", MaxLimit, clip(limit))
		}
		f.Limit = n
	}
	return nil
}
