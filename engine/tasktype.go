package engine

import (
	"context"
	"sort"

	tc "github.com/taskcenter/taskcenter"
)

// TaskTypes returns the whole catalog: built-in and operator-defined types, by key.
func (s *Service) TaskTypes(ctx context.Context) ([]tc.TaskType, error) {
	own, err := s.store.TaskTypeList(ctx)
	if err != nil {
		return nil, err
	}
	all := append(tc.BuiltinTypes(), own...)
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	return all, nil
}

// PutTaskType adds or changes an operator-defined type. Built-in types and
// Tencent codes already in use cannot be taken.
func (s *Service) PutTaskType(ctx context.Context, t *tc.TaskType) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if _, ok := tc.BuiltinType(t.Key); ok {
		return tc.Invalidf("key", "%q is a built-in type and cannot be changed", t.Key)
	}
	if t.TencentCode != 0 {
		all, err := s.TaskTypes(ctx)
		if err != nil {
			return err
		}
		for _, other := range all {
			if other.TencentCode == t.TencentCode && other.Key != t.Key {
				return tc.Invalidf("tencent_code", "code %d already belongs to %q", t.TencentCode, other.Key)
			}
		}
	}
	t.Builtin = false
	return s.store.TaskTypePut(ctx, t)
}

// taskType returns the catalog entry for key, or EINVALID naming the field "type".
func (s *Service) taskType(ctx context.Context, key string) (tc.TaskType, error) {
	if key == "" {
		return tc.TaskType{}, tc.Invalidf("type", "type is required")
	}
	if t, ok := tc.BuiltinType(key); ok {
		return t, nil
	}
	own, err := s.store.TaskTypeList(ctx)
	if err != nil {
		return tc.TaskType{}, err
	}
	for _, t := range own {
		if t.Key == key {
			return t, nil
		}
	}
	return tc.TaskType{}, tc.Invalidf("type", "unknown task type %q", key)
}
