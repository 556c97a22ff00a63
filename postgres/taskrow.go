package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// scanTask reads a row of taskColumns.
func scanTask(row pgx.Row) (*taskcenter.Task, error) {
	var r taskRow
	return r.scan(row)
}

// taskRow receives a row of taskColumns, and then any further columns.
type taskRow struct {
	t                                                        taskcenter.Task
	status                                                   string
	created, started, ended, updated, runAfter, leaseExpires nullTime
	claimed                                                  nullTime
	ctxJSON, attach                                          []byte
	timeoutMS                                                int64
}

// scan reads a row of taskColumns into the task and extra, and returns the
// task.
func (r *taskRow) scan(row pgx.Row, extra ...any) (*taskcenter.Task, error) {
	return r.scanList(row, false, extra...)
}

// scanList reads a row of summaryColumns when summary, else of taskColumns,
// into the task and extra, and returns the task; a summary leaves the other
// fields zero.
func (r *taskRow) scanList(row pgx.Row, summary bool, extra ...any) (*taskcenter.Task, error) {
	t := &r.t
	// Room for every column of taskColumns and extra, so that one slice is made.
	dest := append(make([]any, 0, 26+len(extra)), &t.ID, &t.Tenant, &t.Type, &r.status, &t.Progress, &t.Code,
		&t.Message, &t.InstanceIDs, &t.AsyncRequestID, &r.created, &r.started, &r.ended, &r.updated)
	if summary {
		dest = append(dest, &r.attach)
	} else {
		dest = append(dest, &r.ctxJSON, &r.attach,
			&t.Attempts, &t.MaxAttempts, &r.runAfter, &r.timeoutMS, &t.LeaseOwner, &r.leaseExpires,
			&t.CancelRequested, &t.PauseRequested, &t.Exclusive, &r.claimed, &t.Claims)
	}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	t.Status = taskcenter.Status(r.status)
	t.CreatedAt, t.StartedAt, t.EndedAt = r.created.Time, r.started.Time, r.ended.Time
	t.UpdatedAt = r.updated.Time
	var err error
	if t.AttachInfo, err = attachOf(r.attach); err != nil {
		return nil, err
	}
	if summary {
		return t, nil
	}
	t.RunAfter, t.LeaseExpiresAt = r.runAfter.Time, r.leaseExpires.Time
	t.ClaimedAt = r.claimed.Time
	t.Timeout = time.Duration(r.timeoutMS) * time.Millisecond
	t.Context = json.RawMessage(r.ctxJSON)
	if len(t.Context) == 0 {
		t.Context = json.RawMessage(`{}`)
	}
	return t, nil
}

// attachJSON is the stored form of a taskcenter.Attach.
type attachJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// attachArg is the attach_info value stored for a: NULL when empty.
func attachArg(a []taskcenter.Attach) (any, error) {
	if len(a) == 0 {
		return nil, nil
	}
	out := make([]attachJSON, len(a))
	for i, kv := range a {
		out[i] = attachJSON(kv)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode attach info: %w", err)
	}
	return string(b), nil
}

// attachOf decodes attach_info; NULL and empty are nil.
func attachOf(b []byte) ([]taskcenter.Attach, error) {
	var in []attachJSON
	if len(b) > 0 {
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, fmt.Errorf("decode attach info: %w", err)
		}
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]taskcenter.Attach, len(in))
	for i, kv := range in {
		out[i] = taskcenter.Attach(kv)
	}
	return out, nil
}

// contextArg is the context value stored for raw: the text verbatim, and an
// empty object when there is none.
func contextArg(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

// storable returns EINVALID when PostgreSQL would refuse a field of t: text
// with a NUL byte or that is not UTF-8, a number beyond an integer column, a
// context that is not JSON. Checked before writing, such a task fails alone
// instead of failing the whole batch it came in.
func storable(t *taskcenter.Task) error {
	texts := map[string][]string{
		"tenant": {t.Tenant}, "type": {t.Type}, "status": {string(t.Status)}, "message": {t.Message},
		"async_request_id": {t.AsyncRequestID}, "lease_owner": {t.LeaseOwner}, "instance_ids": t.InstanceIDs,
	}
	for _, a := range t.AttachInfo {
		texts["attach_info"] = append(texts["attach_info"], a.Key, a.Value)
	}
	for field, values := range texts {
		for _, v := range values {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return taskcenter.Invalidf(field, "%s: not UTF-8 text without NUL bytes", field)
			}
		}
	}
	ints := map[string]int{"progress": t.Progress, "code": t.Code, "attempts": t.Attempts, "max_attempts": t.MaxAttempts}
	for field, n := range ints {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return taskcenter.Invalidf(field, "%s: out of range", field)
		}
	}
	if len(t.Context) > 0 && (!json.Valid(t.Context) || !utf8.Valid(t.Context) || bytes.IndexByte(t.Context, 0) >= 0) {
		return taskcenter.Invalidf("context", "context: not a JSON text")
	}
	return nil
}
