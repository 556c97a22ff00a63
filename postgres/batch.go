package postgres

import (
	"context"

	taskcenter "github.com/taskcenter/taskcenter"
)

// TaskInsertMany inserts each task in turn.
// TODO(batch): one transaction, set-based.
func (s *Store) TaskInsertMany(ctx context.Context, ps []*taskcenter.TaskInsertParams) ([]taskcenter.TaskResult, error) {
	out := make([]taskcenter.TaskResult, len(ps))
	for i, p := range ps {
		out[i].Task, out[i].Created, out[i].Err = s.TaskInsert(ctx, p)
	}
	return out, nil
}

// TaskUpdateMany applies each update in turn.
// TODO(batch): one transaction, set-based.
func (s *Store) TaskUpdateMany(ctx context.Context, ps []*taskcenter.TaskUpdateParams) ([]taskcenter.TaskResult, error) {
	out := make([]taskcenter.TaskResult, len(ps))
	for i, p := range ps {
		out[i].Task, out[i].Err = s.TaskUpdate(ctx, p)
	}
	return out, nil
}
