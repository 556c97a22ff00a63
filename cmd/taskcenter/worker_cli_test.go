package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/sqlite"
	"github.com/taskcenter/taskcenter/worker"
)

// TestWatchWithRemoteWorker: a remote Go worker runs a task on a real server
// while "tasks watch" draws its progress until it ends.
func TestWatchWithRemoteWorker(t *testing.T) {
	bin := binary(t)
	const admin = "admin-token-for-the-watch-test"
	p := start(t, bin, t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin)
	ctx := context.Background()
	c := client.New("http://"+p.addr, admin)
	_, err := c.PutInstance(ctx, "cdb-1", api.PutInstance{Tenant: "acme", Name: "orders"})
	require.NoError(t, err)
	cred, err := c.CreateCredential(ctx, api.CreateCredential{Tenant: "acme", Kind: tc.KindNative, Role: tc.RoleWorker})
	require.NoError(t, err)

	w := client.New("http://"+p.addr, cred.Secret).NewWorker(worker.Config{ID: "agent", Heartbeat: 50 * time.Millisecond, Wait: time.Second})
	w.Handle(tc.TypeReboot, func(ctx context.Context, _ *tc.Task, report worker.Reporter) (*worker.Result, error) {
		for _, pct := range []int{20, 50, 80} {
			report(pct, "restarting")
			time.Sleep(150 * time.Millisecond)
		}
		return &worker.Result{Message: "restarted"}, nil
	})
	w.Start(ctx)
	defer w.Stop()

	task, _, err := c.SubmitTask(ctx, api.SubmitTask{Tenant: "acme", Type: tc.TypeReboot, InstanceIDs: []string{"cdb-1"}})
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	err = run(ctx, []string{"tasks", "watch", strconv.FormatInt(task.ID, 10), "--interval", "50ms",
		"--endpoint", "http://" + p.addr, "--token", admin}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	require.Regexp(t, `\[█{30}\] 100% SUCCEED\s+restarted`, out.String())
	require.Regexp(t, `\s(20|50|80)% RUNNING`, out.String(), "progress was drawn while running")
	p.stop(t)
}

// TestDemo: serve --demo prints working credentials and its simulated
// executor moves the demo tenant's tasks.
func TestDemo(t *testing.T) {
	bin := binary(t)
	p := startArgs(t, bin, t.TempDir(), []string{"--demo"})
	m := regexp.MustCompile(`native\s+operator\s+id \S+\s+secret (\S+)`).FindStringSubmatch(p.stderr.String())
	require.NotNil(t, m, p.stderr.String())
	require.Contains(t, p.stderr.String(), "SIMULATED")
	c := client.New("http://"+p.addr, m[1])
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := c.ListTasks(context.Background(), client.TaskFilter{Statuses: []string{"RUNNING"}})
		require.NoError(t, err)
		moving := false
		for _, task := range list.Tasks {
			moving = moving || task.Progress > 0
		}
		if moving {
			break
		}
		require.True(t, time.Now().Before(deadline), "no demo task made progress")
		time.Sleep(100 * time.Millisecond)
	}
	require.Contains(t, p.stderr.String(), "tencent", "the demo prints vendor credentials too")
	p.stop(t)
}

// TestDemoRestart: a second start of the demo on the same store makes no
// new credentials and shows no secret again, in its output or its log; the
// token the first start printed works on the second.
func TestDemoRestart(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	env := "TASKCENTER_SHUTDOWN_TIMEOUT=1s" // the demo's running tasks are given back within it
	p := startArgs(t, bin, dir, []string{"--demo"}, env)
	secrets := regexp.MustCompile(`\bsecret (\S+)`).FindAllStringSubmatch(p.stderr.String(), -1)
	require.Len(t, secrets, 3, p.stderr.String())
	token := regexp.MustCompile(`native\s+operator\s+id \S+\s+secret (\S+)`).FindStringSubmatch(p.stderr.String())
	require.NotNil(t, token, p.stderr.String())
	p.stop(t)
	made := countCredentials(t, dir)

	p = startArgs(t, bin, dir, []string{"--demo"}, env)
	_, err := client.New("http://"+p.addr, token[1]).ListTasks(context.Background(), client.TaskFilter{})
	require.NoError(t, err, "the first start's token works on the second")
	p.stop(t)
	require.Equal(t, made, countCredentials(t, dir), "the restart made no credentials")
	require.Contains(t, p.stderr.String(), "made by an earlier start")
	require.NotRegexp(t, `\bsecret \S`, p.stderr.String())
	for _, m := range secrets {
		require.NotContains(t, p.stderr.String(), m[1])
		require.NotContains(t, p.stdout.String(), m[1])
	}
}

// countCredentials counts the credentials of every role in the SQLite
// store of a server that ran in dir and stopped.
func countCredentials(t *testing.T, dir string) int {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(dir, "taskcenter-data", "taskcenter.db"))
	require.NoError(t, err)
	defer store.Close()
	n := 0
	for _, role := range []tc.Role{tc.RoleAdmin, tc.RoleOperator, tc.RoleReader, tc.RoleWorker} {
		k, err := store.CredentialCount(ctx, role)
		require.NoError(t, err)
		n += k
	}
	return n
}
