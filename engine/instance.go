package engine

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

// PutInstance validates and stores an instance.
func (s *Service) PutInstance(ctx context.Context, inst *tc.Instance) (*tc.Instance, error) {
	if inst.Status == "" {
		inst.Status = tc.InstanceNormal
	}
	if err := inst.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	inst.CreatedAt, inst.UpdatedAt = now, now
	return s.store.InstancePut(ctx, inst)
}

// GetInstance returns one instance of the tenant.
func (s *Service) GetInstance(ctx context.Context, tenant, id string) (*tc.Instance, error) {
	inst, err := s.store.InstanceGet(ctx, tenant, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, tc.Errorf(tc.ENOTFOUND, "instance %q not found", id)
	}
	return inst, err
}

// ListInstances lists the tenant's instances by id.
func (s *Service) ListInstances(ctx context.Context, f *tc.InstanceFilter) ([]*tc.Instance, error) {
	return s.store.InstanceList(ctx, f)
}
