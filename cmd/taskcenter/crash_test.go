package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
	"github.com/taskcenter/taskcenter/sqlite"
)

// The long variant: go test ./cmd/taskcenter -run TestCrash -crash.kills 200
var crashKills = flag.Int("crash.kills", 20, "SIGKILLs per crash test")

const (
	crashAdmin     = "crash-test-admin-token-0123"
	crashInstances = 40
)

// crashEnv is the environment of the crash servers: fast leases and a fast
// simulated executor, so kills land while tasks are leased and running.
var crashEnv = []string{"TASKCENTER_ADMIN_TOKEN=" + crashAdmin, "TASKCENTER_LEASE=1s", "TASKCENTER_DEMO_STEP=30ms"}

// TestCrashSQLite kills one server on SQLite with SIGKILL at random moments
// under steady submissions and work, restarting it each time.
func TestCrashSQLite(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	run := func() *proc { return startArgs(t, bin, dir, []string{"--demo"}, crashEnv...) }
	procs := []*proc{run()}
	load := startLoad(t, procs[0].addr)
	for range *crashKills {
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		kill(t, procs[0])
		procs[0] = run()
		load.endpoint.Store(procs[0].addr)
	}
	load.stop()
	store, err := sqlite.Open(filepath.Join(dir, "taskcenter-data", "taskcenter.db"))
	require.NoError(t, err)
	defer store.Close()
	checkAfterCrashes(t, store, load, procs...)
	procs[0].stop(t)
}

// TestCrashPostgres does the same with three servers on one PostgreSQL
// database, killing one at a time.
func TestCrashPostgres(t *testing.T) {
	url := pgtest.URL(t)
	bin := binary(t)
	run := func() *proc { return startArgs(t, bin, t.TempDir(), []string{"--demo", "--store", url}, crashEnv...) }
	procs := []*proc{run(), run(), run()}
	load := startLoad(t, procs[0].addr)
	for range *crashKills {
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		i := rand.IntN(len(procs))
		kill(t, procs[i])
		procs[i] = run()
		load.endpoint.Store(procs[rand.IntN(len(procs))].addr)
	}
	load.stop()
	store, err := postgres.Open(context.Background(), url)
	require.NoError(t, err)
	defer store.Close()
	checkAfterCrashes(t, store, load, procs...)
	for _, p := range procs {
		p.stop(t)
	}
}

func kill(t *testing.T, p *proc) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
}

// load submits tasks to the demo tenant without pause, each with its own
// async request id, retried with the same id until the server acknowledges
// it, across restarts.
type load struct {
	endpoint atomic.Value // host:port of a live server
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu    sync.Mutex
	acked map[string]int64 // async request id -> task id
}

func startLoad(t *testing.T, addr string) *load {
	l := &load{acked: map[string]int64{}}
	l.endpoint.Store(addr)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	// Enough instances that the work keeps up with the submissions: exclusive
	// tasks run one at a time per instance.
	admin := client.New("http://"+addr, crashAdmin)
	for i := range crashInstances {
		_, err := admin.PutInstance(ctx, fmt.Sprintf("cdb-crash%02d", i), api.PutInstance{Tenant: demoTenant, Name: "crash"})
		require.NoError(t, err)
	}
	types := []string{tc.TypeReboot, tc.TypeModifyParam, tc.TypeImportData, tc.TypeSQLOperation}
	for g := range 2 {
		l.wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				arid := fmt.Sprintf("crash-%d-%d", g, n)
				in := api.SubmitTask{Tenant: demoTenant, Type: types[n%len(types)], AsyncRequestID: arid,
					InstanceIDs: []string{fmt.Sprintf("cdb-crash%02d", rand.IntN(crashInstances))}}
				for ctx.Err() == nil {
					c := client.New("http://"+l.endpoint.Load().(string), crashAdmin)
					task, _, err := c.SubmitTask(ctx, in)
					if err == nil {
						l.mu.Lock()
						l.acked[arid] = task.ID
						l.mu.Unlock()
						break
					}
					var apiErr *tc.Error
					require.False(t, errors.As(err, &apiErr) && apiErr.Code == tc.EINVALID, "refused: %v", err)
					time.Sleep(20 * time.Millisecond) // the server is restarting
				}
				time.Sleep(time.Duration(20+rand.IntN(40)) * time.Millisecond)
			}
		})
	}
	return l
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// checkAfterCrashes waits for every task to end and checks the invariants
// from the store: no acknowledged task lost or duplicated, every task ended
// exactly once, none left running, and each history a consistent chain.
func checkAfterCrashes(t *testing.T, store tc.Store, l *load, servers ...*proc) {
	t.Helper()
	ctx := context.Background()
	// Every restart of the demo queues its own tasks, three of them on one
	// instance whose exclusive tasks run one at a time: after many kills that
	// queue takes minutes to drain. So the wait is for progress: it fails
	// once a minute goes by in which no open task ended, far longer than a
	// lease (1 s) and a round of the maintenance (1 s) take to rescue one.
	const stall = time.Minute
	fewest, progress := -1, time.Now()
	for {
		counts, err := store.TaskCounts(ctx, demoTenant)
		require.NoError(t, err)
		open := counts[tc.StatusWaiting] + counts[tc.StatusInitial] + counts[tc.StatusRunning] + counts[tc.StatusPaused]
		if open == 0 {
			break
		}
		if fewest < 0 || open < fewest {
			fewest, progress = open, time.Now()
		}
		if time.Since(progress) > stall {
			dumpOpen(t, store)
			dumpServers(t, servers)
			t.Fatalf("tasks still open after the crashes, none ended in %s: %v", stall, counts)
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotEmpty(t, l.acked, "the load ran")
	for arid, id := range l.acked {
		page, err := store.TaskList(ctx, &tc.TaskFilter{Tenant: demoTenant, AsyncRequestID: arid, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total, "acknowledged %s: one task", arid)
		require.Equal(t, id, page.Tasks[0].ID, "%s: the acknowledged task", arid)
	}
	page, err := store.TaskList(ctx, &tc.TaskFilter{Tenant: demoTenant, Limit: 100000})
	require.NoError(t, err)
	for _, task := range page.Tasks {
		events, err := store.TaskEvents(ctx, demoTenant, task.ID)
		require.NoError(t, err)
		ends, status := 0, tc.Status("")
		for i, ev := range events {
			require.Equal(t, status, ev.From, "task %d event %d: the history is a chain", task.ID, i)
			status = ev.To
			if ev.From != ev.To && ev.To.Terminal() {
				ends++
			}
		}
		require.Equal(t, task.Status, status, "task %d: the history ends where the task is", task.ID)
		require.Equal(t, 1, ends, "task %d ended %d times", task.ID, ends)
	}
	t.Logf("%d tasks acknowledged, %d in the store, all ended once", len(l.acked), page.Total)
}

// dumpServers logs what the running servers were doing: the end of their
// logs, and the stacks of their goroutines (SIGQUIT makes a Go program print
// them and exit).
func dumpServers(t *testing.T, servers []*proc) {
	for i, p := range servers {
		if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
			t.Logf("server %d: %v", i, err)
			continue
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		t.Logf("server %d, the end of its log:\n%s", i, tail(p.stdout.String(), 40))
		t.Logf("server %d, its standard error:\n%s", i, tail(p.stderr.String(), 400))
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// dumpOpen logs the tasks that did not end, with their histories.
func dumpOpen(t *testing.T, store tc.Store) {
	ctx := context.Background()
	page, err := store.TaskList(ctx, &tc.TaskFilter{Tenant: demoTenant, Limit: 10,
		Statuses: []tc.Status{tc.StatusInitial, tc.StatusRunning, tc.StatusPaused}})
	if err != nil {
		t.Logf("list open tasks: %v", err)
		return
	}
	for _, task := range page.Tasks {
		t.Logf("task %d %s %s on %v attempts %d/%d run_after %s lease %q until %s", task.ID, task.Type, task.Status,
			task.InstanceIDs, task.Attempts, task.MaxAttempts, task.RunAfter, task.LeaseOwner, task.LeaseExpiresAt)
		events, _ := store.TaskEvents(ctx, demoTenant, task.ID)
		for _, ev := range events {
			t.Logf("  %s %s>%s %d%% %s %q", ev.At.Format("15:04:05.000"), ev.From, ev.To, ev.Progress, ev.Actor, ev.Message)
		}
	}
}
