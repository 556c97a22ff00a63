package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestReplicaKilled: three servers share one PostgreSQL database, each
// running the demo's simulated executor in process. One is killed with
// SIGKILL while it holds leases; the others rescue its tasks, and every
// task ends exactly once, none left RUNNING.
func TestReplicaKilled(t *testing.T) {
	url := pgtest.URL(t)
	bin := binary(t)
	env := []string{"TASKCENTER_LEASE=1s", "TASKCENTER_DEMO_STEP=60ms", "TASKCENTER_ADMIN_TOKEN=replica-test-admin-token"}
	var procs []*proc
	for range 3 {
		procs = append(procs, startArgs(t, bin, t.TempDir(), []string{"--demo", "--store", url}, env...))
	}
	m := regexp.MustCompile(`native\s+operator\s+id \S+\s+secret (\S+)`).FindStringSubmatch(procs[0].stderr.String())
	require.NotNil(t, m, procs[0].stderr.String())
	ctx := context.Background()
	op := client.New("http://"+procs[0].addr, m[1])
	types := []string{tc.TypeReboot, tc.TypeModifyParam, tc.TypeImportData, tc.TypeUpgradeRO}
	for i := range 40 {
		_, _, err := op.SubmitTask(ctx, api.SubmitTask{Type: types[i%len(types)], InstanceIDs: []string{fmt.Sprintf("cdb-demo%02d", i%4+1)}})
		require.NoError(t, err)
	}

	store, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	victim := stopLeaseHolder(t, store, procs)
	require.NoError(t, victim.cmd.Process.Signal(syscall.SIGKILL))
	<-victim.done

	deadline := time.Now().Add(2 * time.Minute)
	for {
		counts, err := store.TaskCounts(ctx, "demo")
		require.NoError(t, err)
		open := counts[tc.StatusWaiting] + counts[tc.StatusInitial] + counts[tc.StatusRunning] + counts[tc.StatusPaused]
		if open == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "tasks still open: %v", counts)
		time.Sleep(100 * time.Millisecond)
	}

	page, err := store.TaskList(ctx, &tc.TaskFilter{Tenant: "demo", Limit: 1000})
	require.NoError(t, err)
	require.GreaterOrEqual(t, page.Total, 40)
	rescued := 0
	for _, task := range page.Tasks {
		events, err := store.TaskEvents(ctx, "demo", task.ID)
		require.NoError(t, err)
		ends := 0
		for _, ev := range events {
			if ev.From != ev.To && ev.To.Terminal() {
				ends++
			}
			if ev.From == tc.StatusRunning && ev.Actor == tc.ActorEngine {
				rescued++
			}
		}
		require.Equal(t, 1, ends, "task %d ended %d times", task.ID, ends)
		require.True(t, task.Status.Terminal(), "task %d is %s", task.ID, task.Status)
	}
	require.Positive(t, rescued, "the killed replica's leases were rescued")
	for _, p := range procs {
		if p != victim {
			p.stop(t)
		}
	}
}

// stopLeaseHolder returns a server, stopped with SIGSTOP, whose simulated
// executor holds the lease of a running task: a server seen holding one is
// stopped and looked at again, and let go on when its task ended meanwhile,
// so that the lease is certain to need a rescue.
func stopLeaseHolder(t *testing.T, store tc.Store, procs []*proc) *proc {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if p := leaseHolder(t, store, procs); p != nil {
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGSTOP))
			time.Sleep(200 * time.Millisecond) // writes already sent land first
			if leaseHolder(t, store, []*proc{p}) == p {
				return p
			}
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGCONT))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no server ever held a lease")
	return nil
}

// leaseHolder returns the server of procs whose executor holds the lease of
// a running task, found from the lease owners in the store, or nil.
func leaseHolder(t *testing.T, store tc.Store, procs []*proc) *proc {
	t.Helper()
	page, err := store.TaskList(context.Background(), &tc.TaskFilter{Tenant: "demo",
		Statuses: []tc.Status{tc.StatusRunning}, Limit: 100})
	require.NoError(t, err)
	for _, task := range page.Tasks {
		for _, p := range procs {
			if strings.HasSuffix(task.LeaseOwner, fmt.Sprintf("-%d", p.cmd.Process.Pid)) {
				return p
			}
		}
	}
	return nil
}
