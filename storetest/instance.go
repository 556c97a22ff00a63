package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func init() {
	register("InstancePutGet", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		put := f.instance(t, "ta", "cdb-1")
		got, err := f.store.InstanceGet(f.ctx, "ta", "cdb-1")
		require.NoError(t, err)
		require.Equal(t, put, got)
		require.Equal(t, "name-cdb-1", got.Name)
		require.Equal(t, "mysql", got.Engine)
		require.Equal(t, "ap-guangzhou", got.Region)
		require.True(t, got.CreatedAt.Equal(f.now))
	})

	register("InstancePutReplacesAndKeepsCreatedAt", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		later := f.now.Add(time.Hour)
		got, err := f.store.InstancePut(f.ctx, &tc.Instance{
			ID: "cdb-1", Tenant: "ta", Name: "renamed", Status: "isolated", CreatedAt: later, UpdatedAt: later,
		})
		require.NoError(t, err)
		require.Equal(t, "renamed", got.Name)
		require.Equal(t, "isolated", got.Status)
		require.True(t, got.CreatedAt.Equal(f.now), "created_at kept: %v", got.CreatedAt)
		require.True(t, got.UpdatedAt.Equal(later))
		list, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: "ta", Limit: 10})
		require.NoError(t, err)
		require.Len(t, list, 1)
	})

	register("InstanceTenantScoped", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		f.instance(t, "ta", "cdb-1")
		_, err := f.store.InstanceGet(f.ctx, "tb", "cdb-1")
		requireCode(t, err, tc.ENOTFOUND)
		// The same id in another tenant is another instance.
		f.instance(t, "tb", "cdb-1")
		a, err := f.store.InstanceGet(f.ctx, "ta", "cdb-1")
		require.NoError(t, err)
		require.Equal(t, "ta", a.Tenant)
		list, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: "tb", Limit: 10})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "tb", list[0].Tenant)
		all, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: tc.AllTenants, Limit: 10})
		require.NoError(t, err)
		require.Len(t, all, 2)
	})

	register("InstanceListAfterAcrossTenants", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		for _, tenant := range []string{"ta", "tb"} {
			for _, id := range []string{"a", "b"} {
				f.instance(t, tenant, id)
			}
		}
		var got []string
		after := &tc.InstanceFilter{Tenant: tc.AllTenants, Limit: 1}
		for {
			list, err := f.store.InstanceList(f.ctx, after)
			require.NoError(t, err)
			if len(list) == 0 {
				break
			}
			got = append(got, list[0].Tenant+"/"+list[0].ID)
			after.AfterID, after.AfterTenant = list[0].ID, list[0].Tenant
		}
		require.Equal(t, []string{"ta/a", "tb/a", "ta/b", "tb/b"}, got)
		// Within one tenant the id alone goes on.
		list, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: "tb", AfterID: "a", Limit: 5})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "tb/b", list[0].Tenant+"/"+list[0].ID)
	})

	register("InstanceListIDs", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		for _, id := range []string{"a", "b", "c"} {
			f.instance(t, "ta", id)
		}
		f.instance(t, "tb", "d")
		list, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: "ta", IDs: []string{"c", "a", "d", "zz"}})
		require.NoError(t, err)
		var ids []string
		for _, inst := range list {
			require.Equal(t, "ta", inst.Tenant)
			ids = append(ids, inst.ID)
		}
		require.Equal(t, []string{"a", "c"}, ids, "d is tb's, zz does not exist")
	})

	register("InstanceListPages", func(t *testing.T, open OpenFunc) {
		f := setup(t, open)
		for i := range 7 {
			f.instance(t, "ta", fmt.Sprintf("cdb-%02d", i))
		}
		var seen []string
		after := ""
		for {
			page, err := f.store.InstanceList(f.ctx, &tc.InstanceFilter{Tenant: "ta", AfterID: after, Limit: 3})
			require.NoError(t, err)
			for _, inst := range page {
				seen = append(seen, inst.ID)
			}
			if len(page) < 3 {
				break
			}
			after = page[len(page)-1].ID
		}
		require.Equal(t, []string{"cdb-00", "cdb-01", "cdb-02", "cdb-03", "cdb-04", "cdb-05", "cdb-06"}, seen)
	})
}
