package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// instanceVersionSQL returns the tenant's number in instance_versions
// (migration 009): 0 before its first instance.
const instanceVersionSQL = `SELECT coalesce((SELECT version FROM instance_versions WHERE tenant = $1), 0)`

// instanceNamesSQL returns, from one snapshot, the tenant's instance version
// and the name of each of the ids: "" for an instance the tenant does not
// have.
const instanceNamesSQL = `SELECT v.version, u.id, coalesce(i.name, '')
	FROM (` + instanceVersionSQL + `) AS v(version)
	CROSS JOIN unnest($2::text[]) AS u(id)
	LEFT JOIN instances i ON i.tenant = $1 AND i.id = u.id`

// maxCachedNames bounds the names a store keeps: past it, the cache starts
// over.
const maxCachedNames = 100_000

// nameCache keeps the names of the instances that lists read, per tenant,
// with the tenant's instance version they were read at. Every change to a
// tenant's instances raises its version in the same transaction, so a list
// whose snapshot reads the version of the cached names would read the same
// names: it takes them from here, without a lookup.
type nameCache struct {
	mu      sync.Mutex
	tenants map[string]*versionNames
	size    int
}

// versionNames are names of a tenant's instances, by id, at one version.
type versionNames struct {
	version int64
	names   map[string]string
}

// get returns the names of ids at version, if it has all of them.
func (c *nameCache) get(tenant string, version int64, ids []string) (map[string]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	vn := c.tenants[tenant]
	if vn == nil || vn.version != version {
		return nil, false
	}
	names := make(map[string]string, len(ids))
	for _, id := range ids {
		name, ok := vn.names[id]
		if !ok {
			return nil, false
		}
		names[id] = name
	}
	return names, true
}

// put adds names read at version. Names of a later version replace the
// tenant's; those of an earlier one are dropped.
func (c *nameCache) put(tenant string, version int64, names map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tenants == nil || c.size+len(names) > maxCachedNames {
		c.tenants, c.size = map[string]*versionNames{}, 0
	}
	vn := c.tenants[tenant]
	switch {
	case vn != nil && version < vn.version:
		return
	case vn == nil || version > vn.version:
		if vn != nil {
			c.size -= len(vn.names)
		}
		vn = &versionNames{version: version, names: map[string]string{}}
		c.tenants[tenant] = vn
	}
	for id, name := range names {
		if _, ok := vn.names[id]; !ok {
			c.size++
		}
		vn.names[id] = name
	}
}

// setInstanceNames sets the InstanceNames of listed tasks: from the cache
// when version, the tenant's instance version in the list's snapshot, is
// that of the cached names (-1: unknown), else from one lookup per tenant,
// whose names the cache then keeps.
func (s *Store) setInstanceNames(ctx context.Context, version int64, tasks []*taskcenter.Task) error {
	byTenant := map[string][]string{}
	for _, t := range tasks {
		byTenant[t.Tenant] = append(byTenant[t.Tenant], t.InstanceIDs...)
	}
	names := map[string]map[string]string{}
	for tenant, ids := range byTenant {
		if len(ids) == 0 {
			continue
		}
		if cached, ok := s.names.get(tenant, version, ids); ok {
			names[tenant] = cached
			continue
		}
		rows, _ := s.pool.Query(ctx, instanceNamesSQL, tenant, ids)
		read := map[string]string{}
		var id, name string
		var at int64
		_, err := pgx.ForEachRow(rows, []any{&at, &id, &name}, func() error {
			read[id] = name
			return nil
		})
		if err != nil {
			return storeErr("read instance names", err)
		}
		s.names.put(tenant, at, read)
		names[tenant] = read
	}
	for _, t := range tasks {
		t.InstanceNames = make([]string, len(t.InstanceIDs))
		for i, id := range t.InstanceIDs {
			t.InstanceNames[i] = names[t.Tenant][id]
		}
	}
	return nil
}
