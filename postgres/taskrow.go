package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// scanTask reads a row of taskColumns.
func scanTask(row pgx.Row) (*taskcenter.Task, error) {
	var t taskcenter.Task
	var status string
	var created, started, ended, updated, runAfter, leaseExpires, claimed *time.Time
	var ctxJSON, attach []byte
	var timeoutMS int64
	err := row.Scan(&t.ID, &t.Tenant, &t.Type, &status, &t.Progress, &t.Code, &t.Message, &t.InstanceIDs,
		&t.AsyncRequestID, &created, &started, &ended, &updated, &ctxJSON, &attach,
		&t.Attempts, &t.MaxAttempts, &runAfter, &timeoutMS, &t.LeaseOwner, &leaseExpires,
		&t.CancelRequested, &t.PauseRequested, &t.Exclusive, &claimed)
	if err != nil {
		return nil, err
	}
	t.Status = taskcenter.Status(status)
	t.CreatedAt, t.StartedAt, t.EndedAt = timeOf(created), timeOf(started), timeOf(ended)
	t.UpdatedAt, t.RunAfter, t.LeaseExpiresAt = timeOf(updated), timeOf(runAfter), timeOf(leaseExpires)
	t.ClaimedAt = timeOf(claimed)
	t.Timeout = time.Duration(timeoutMS) * time.Millisecond
	t.Context = json.RawMessage(ctxJSON)
	if len(t.Context) == 0 {
		t.Context = json.RawMessage(`{}`)
	}
	if t.AttachInfo, err = attachOf(attach); err != nil {
		return nil, err
	}
	return &t, nil
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
