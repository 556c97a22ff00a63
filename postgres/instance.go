package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

const instanceColumns = `tenant, id, name, engine, region, status, created_at, updated_at`

// InstancePut creates or replaces an instance, keeping the CreatedAt of an
// existing one, and returns it as stored.
func (s *Store) InstancePut(ctx context.Context, inst *taskcenter.Instance) (*taskcenter.Instance, error) {
	const q = `INSERT INTO instances (` + instanceColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant, id) DO UPDATE SET
			name = excluded.name, engine = excluded.engine, region = excluded.region,
			status = excluded.status, updated_at = excluded.updated_at
		RETURNING ` + instanceColumns
	row := s.pool.QueryRow(ctx, q, inst.Tenant, inst.ID, inst.Name, inst.Engine, inst.Region,
		inst.Status, timeArg(inst.CreatedAt), timeArg(inst.UpdatedAt))
	got, err := scanInstance(row)
	return got, storeErr("put instance", err)
}

// InstanceGet returns an instance of the tenant, or ENOTFOUND.
func (s *Store) InstanceGet(ctx context.Context, tenant, id string) (*taskcenter.Instance, error) {
	conds, args := tenantScope([]string{"id = $1"}, []any{id}, "tenant", tenant)
	q := `SELECT ` + instanceColumns + ` FROM instances` + where(conds) + ` ORDER BY tenant LIMIT 1`
	got, err := scanInstance(s.pool.QueryRow(ctx, q, args...))
	return got, storeErr("get instance", err)
}

// InstanceList lists the instances of a tenant by id, from after AfterID, at
// most Limit of them; a Limit of 0 or less lists every instance.
func (s *Store) InstanceList(ctx context.Context, f *taskcenter.InstanceFilter) ([]*taskcenter.Instance, error) {
	conds, args := tenantScope(nil, nil, "tenant", f.Tenant)
	switch {
	case f.AfterID != "" && f.AfterTenant != "":
		args = append(args, f.AfterID, f.AfterTenant)
		conds = append(conds, fmt.Sprintf("(id, tenant) > ($%d, $%d)", len(args)-1, len(args)))
	case f.AfterID != "":
		args = append(args, f.AfterID)
		conds = append(conds, fmt.Sprintf("id > $%d", len(args)))
	}
	if len(f.IDs) > 0 {
		args = append(args, f.IDs)
		conds = append(conds, fmt.Sprintf("id = ANY($%d)", len(args)))
	}
	q := `SELECT ` + instanceColumns + ` FROM instances` + where(conds) + ` ORDER BY id, tenant`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, _ := s.pool.Query(ctx, q, args...)
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Instance, error) {
		return scanInstance(row)
	})
	return list, storeErr("list instances", err)
}

// scanInstance reads a row of instanceColumns.
func scanInstance(row pgx.Row) (*taskcenter.Instance, error) {
	var inst taskcenter.Instance
	var created, updated nullTime
	err := row.Scan(&inst.Tenant, &inst.ID, &inst.Name, &inst.Engine, &inst.Region, &inst.Status, &created, &updated)
	if err != nil {
		return nil, err
	}
	inst.CreatedAt, inst.UpdatedAt = created.Time, updated.Time
	return &inst, nil
}
