package sqlite

import (
	"context"
	"database/sql"

	tc "github.com/taskcenter/taskcenter"
)

// TaskClaim leases up to p.Max ready tasks, oldest first. The single writer
// makes the selection and the update one atomic step.
func (s *Store) TaskClaim(ctx context.Context, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	if p.Max <= 0 {
		return nil, nil
	}
	var claimed []*tc.Task
	err := s.write(ctx, func(tx *sql.Tx) error {
		ids, err := readyTasks(ctx, tx, p)
		if err != nil {
			return err
		}
		claimed = claimed[:0]
		for _, ref := range ids {
			t, err := claimOne(ctx, tx, ref, p)
			if err != nil {
				return err
			}
			claimed = append(claimed, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

func readyTasks(ctx context.Context, tx *sql.Tx, p *tc.TaskClaimParams) ([]tc.TaskRef, error) {
	var w where
	w.add("status = 'INITIAL'")
	w.add("run_after <= ?", millis(p.Now))
	w.tenant(p.Tenant)
	if len(p.Types) > 0 {
		in(&w, "type", p.Types)
	}
	rows, err := tx.QueryContext(ctx, "SELECT tenant, id FROM tasks"+w.String()+" ORDER BY id LIMIT ?",
		append(w.args, p.Max)...)
	if err != nil {
		return nil, dbError("claim tasks", err)
	}
	defer rows.Close()
	var refs []tc.TaskRef
	for rows.Next() {
		var r tc.TaskRef
		if err := rows.Scan(&r.Tenant, &r.ID); err != nil {
			return nil, dbError("claim tasks", err)
		}
		refs = append(refs, r)
	}
	return refs, dbError("claim tasks", rows.Err())
}

func claimOne(ctx context.Context, tx *sql.Tx, ref tc.TaskRef, p *tc.TaskClaimParams) (*tc.Task, error) {
	t, err := getTask(ctx, tx, ref.Tenant, ref.ID)
	if err != nil {
		return nil, err
	}
	if err := tc.Claim(t, p.WorkerID, p.Now, p.Lease); err != nil {
		return nil, err
	}
	saved, err := saveTask(ctx, tx, t.ID, t)
	if err != nil {
		return nil, err
	}
	return saved, appendEvent(ctx, tx, t.Tenant, &tc.Event{TaskID: t.ID, At: p.Now, From: tc.StatusInitial,
		To: tc.StatusRunning, Progress: t.Progress, Message: t.Message, Actor: p.WorkerID})
}
