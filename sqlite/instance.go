package sqlite

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

const instanceColumns = "tenant, id, name, engine, region, status, created_at, updated_at"

// InstancePut creates or replaces an instance, keeping the CreatedAt of an
// existing one, and returns it as stored.
func (s *Store) InstancePut(ctx context.Context, inst *tc.Instance) (*tc.Instance, error) {
	var got *tc.Instance
	err := s.write(ctx, func(tx *writeTx) (err error) {
		row := tx.QueryRowContext(ctx, `INSERT INTO instances (`+instanceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, engine = excluded.engine,
				region = excluded.region, status = excluded.status, updated_at = excluded.updated_at
			RETURNING `+instanceColumns,
			inst.Tenant, inst.ID, inst.Name, inst.Engine, inst.Region, inst.Status,
			millis(inst.CreatedAt), millis(inst.UpdatedAt))
		got, err = scanInstance(row)
		return dbError("put instance", err)
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// InstanceGet returns an instance of the tenant, or ErrNotFound. With
// AllTenants it returns the instance of the first tenant that has the id.
func (s *Store) InstanceGet(ctx context.Context, tenant, id string) (*tc.Instance, error) {
	var w where
	w.tenant(tenant)
	w.add("id = ?", id)
	row := s.reads.QueryRowContext(ctx,
		"SELECT "+instanceColumns+" FROM instances"+w.String()+" ORDER BY tenant LIMIT 1", w.args...)
	got, err := scanInstance(row)
	return got, dbError("get instance", err)
}

// InstanceList lists instances by id, after f.AfterID; a Limit of 0 or
// less lists them all.
func (s *Store) InstanceList(ctx context.Context, f *tc.InstanceFilter) ([]*tc.Instance, error) {
	var w where
	w.tenant(f.Tenant)
	switch {
	case f.AfterID != "" && f.AfterTenant != "":
		w.add("(id, tenant) > (?, ?)", f.AfterID, f.AfterTenant)
	case f.AfterID != "":
		w.add("id > ?", f.AfterID)
	}
	if len(f.IDs) > 0 {
		in(&w, "id", f.IDs)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // no limit in SQLite
	}
	rows, err := s.reads.QueryContext(ctx,
		"SELECT "+instanceColumns+" FROM instances"+w.String()+" ORDER BY id, tenant LIMIT ?",
		append(w.args, limit)...)
	if err != nil {
		return nil, dbError("list instances", err)
	}
	defer rows.Close()
	var list []*tc.Instance
	for rows.Next() {
		inst, err := scanInstance(rows)
		if err != nil {
			return nil, dbError("list instances", err)
		}
		list = append(list, inst)
	}
	return list, dbError("list instances", rows.Err())
}

func scanInstance(sc scanner) (*tc.Instance, error) {
	var inst tc.Instance
	var created, updated int64
	err := sc.Scan(&inst.Tenant, &inst.ID, &inst.Name, &inst.Engine, &inst.Region, &inst.Status, &created, &updated)
	if err != nil {
		return nil, err
	}
	inst.CreatedAt, inst.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &inst, nil
}
