package engine

import (
	"context"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// notifyingStore broadcasts changed after every write that may append task
// events, so the Feed of this process reads them at once instead of at its
// next poll.
type notifyingStore struct {
	tc.Store
	changed *signal
}

func (n notifyingStore) after(err error) {
	if err == nil {
		n.changed.broadcast()
	}
}

func (n notifyingStore) TaskInsert(ctx context.Context, p *tc.TaskInsertParams) (*tc.Task, bool, error) {
	t, created, err := n.Store.TaskInsert(ctx, p)
	n.after(err)
	return t, created, err
}

func (n notifyingStore) TaskUpdate(ctx context.Context, p *tc.TaskUpdateParams) (*tc.Task, error) {
	t, err := n.Store.TaskUpdate(ctx, p)
	n.after(err)
	return t, err
}

func (n notifyingStore) TaskInsertMany(ctx context.Context, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	res, err := n.Store.TaskInsertMany(ctx, ps)
	n.after(err)
	return res, err
}

func (n notifyingStore) TaskUpdateMany(ctx context.Context, ps []*tc.TaskUpdateParams) ([]tc.TaskResult, error) {
	res, err := n.Store.TaskUpdateMany(ctx, ps)
	n.after(err)
	return res, err
}

func (n notifyingStore) TaskClaim(ctx context.Context, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	tasks, err := n.Store.TaskClaim(ctx, p)
	if len(tasks) > 0 {
		n.after(err)
	}
	return tasks, err
}

func (n notifyingStore) TaskPromoteDue(ctx context.Context, now time.Time) (int, error) {
	k, err := n.Store.TaskPromoteDue(ctx, now)
	if k > 0 {
		n.after(err)
	}
	return k, err
}
