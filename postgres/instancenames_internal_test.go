package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestInstanceNamesCache: a counted list takes the names of its tasks'
// instances from the cache while the tenant's instance version in its
// snapshot is the cached one, and reads them again once an instance has
// changed; a list of an instance, a request id or an id, whose snapshot's
// version is unknown, reads them.
func TestInstanceNamesCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	now := time.Now().UTC()
	put := func(name string) {
		_, err := s.InstancePut(ctx, &tc.Instance{Tenant: "t", ID: "i", Name: name, Status: tc.InstanceNormal,
			CreatedAt: now, UpdatedAt: now})
		require.NoError(t, err)
	}
	put("one")
	task, _, err := s.TaskInsert(ctx, &tc.TaskInsertParams{Task: &tc.Task{Tenant: "t", Type: tc.TypeReboot,
		Status: tc.StatusInitial, InstanceIDs: []string{"i"}, CreatedAt: now, Context: []byte(`{}`)}})
	require.NoError(t, err)
	counted := &tc.TaskFilter{Tenant: "t", Limit: 10, InstanceNames: true}
	byID := &tc.TaskFilter{Tenant: "t", ID: task.ID, Limit: 10, InstanceNames: true}
	name := func(f *tc.TaskFilter) string {
		t.Helper()
		page, err := s.TaskList(ctx, f)
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1)
		return page.Tasks[0].InstanceNames[0]
	}
	poke := func(name string) { // what only a lookup would set right again
		s.names.mu.Lock()
		defer s.names.mu.Unlock()
		s.names.tenants["t"].names["i"] = name
	}

	require.Equal(t, "one", name(counted))
	poke("cached")
	require.Equal(t, "cached", name(counted), "the same version: no lookup")
	require.Equal(t, "one", name(byID), "a version unknown: a lookup")
	require.Equal(t, "one", name(counted), "the lookup's names are kept")
	put("two")
	require.Equal(t, "two", name(counted), "a new version: a lookup")
	poke("cached")
	put("two") // the same name, a new version all the same
	require.Equal(t, "two", name(counted))
}

// TestNameCache: names of a later version replace a tenant's, those of an
// earlier one are dropped, and the cache starts over past its bound.
func TestNameCache(t *testing.T) {
	t.Parallel()
	var c nameCache
	_, ok := c.get("t", 0, []string{"a"})
	require.False(t, ok)
	c.put("t", 2, map[string]string{"a": "A"})
	c.put("t", 2, map[string]string{"b": "B"})
	got, ok := c.get("t", 2, []string{"a", "b"})
	require.True(t, ok)
	require.Equal(t, map[string]string{"a": "A", "b": "B"}, got)
	_, ok = c.get("t", 2, []string{"a", "c"})
	require.False(t, ok, "one name missing")
	_, ok = c.get("t", 3, []string{"a"})
	require.False(t, ok, "another version")
	c.put("t", 1, map[string]string{"a": "old"})
	got, ok = c.get("t", 2, []string{"a"})
	require.True(t, ok)
	require.Equal(t, "A", got["a"], "an earlier version's names are dropped")
	c.put("t", 3, map[string]string{"c": "C"})
	_, ok = c.get("t", 3, []string{"a"})
	require.False(t, ok, "a later version starts the tenant over")
	require.Equal(t, 1, c.size)
	big := map[string]string{}
	for i := range maxCachedNames {
		big[string(rune('a'+i%26))+time.Duration(i).String()] = ""
	}
	c.put("u", 1, big)
	require.Equal(t, maxCachedNames, c.size)
	_, ok = c.get("t", 3, []string{"c"})
	require.False(t, ok, "past the bound, the cache starts over")
}
