package sqlite

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

// TaskInsertMany inserts each task in turn.
// TODO(batch): one transaction, set-based.
func (s *Store) TaskInsertMany(ctx context.Context, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	out := make([]tc.TaskResult, len(ps))
	for i, p := range ps {
		out[i].Task, out[i].Created, out[i].Err = s.TaskInsert(ctx, p)
	}
	return out, nil
}

// TaskUpdateMany applies each update in turn.
// TODO(batch): one transaction, set-based.
func (s *Store) TaskUpdateMany(ctx context.Context, ps []*tc.TaskUpdateParams) ([]tc.TaskResult, error) {
	out := make([]tc.TaskResult, len(ps))
	for i, p := range ps {
		out[i].Task, out[i].Err = s.TaskUpdate(ctx, p)
	}
	return out, nil
}
