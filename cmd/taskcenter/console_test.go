package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/worker"
)

// chromiumPath finds Debian's chromium. Without it the browser tests fail
// under CI=true and are skipped, loudly, elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "CHROMIUM NOT FOUND: the console's browser tests need it (apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// browser starts a headless Chromium with a fresh profile and returns a
// function that opens a new tab (its own sessionStorage) for each user.
func browser(t *testing.T) func() context.Context {
	t.Helper()
	// Not t.TempDir: Chromium may still write its profile while the test's
	// own cleanup runs; the directory goes after the browser has exited.
	profile, err := os.MkdirTemp("", "taskcenter-chromium")
	require.NoError(t, err)
	t.Cleanup(func() {
		// Chromium's helper processes may write to it for a moment after the
		// browser has exited: remove it until it stays removed.
		for range 50 {
			_ = os.RemoveAll(profile)
			time.Sleep(100 * time.Millisecond)
			if _, err := os.Stat(profile); errors.Is(err, fs.ErrNotExist) {
				return
			}
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1360, 900),
		// Chromium's own temporary files go with the profile, not to /tmp.
		chromedp.Env("TMPDIR=" + profile),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	// cdproto logs the DOM events it does not know as errors; failures
	// reach the test through Run's errors anyway.
	root, cancelRoot := chromedp.NewContext(alloc, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(cancelRoot)
	require.NoError(t, chromedp.Run(root), "start chromium")
	return func() context.Context {
		tab, cancel := chromedp.NewContext(root)
		t.Cleanup(cancel)
		ctx, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
		t.Cleanup(cancelTimeout)
		return ctx
	}
}

// consoleEnv is a real server with a tenant "acme", its tokens, two
// instances, and a worker whose REBOOT handler reports 20%, then 60% when
// the test says so.
type consoleEnv struct {
	url, admin, op, reader string
	cli                    *client.Client
	step                   chan struct{}
	running                *api.Task
}

func setupConsole(t *testing.T) *consoleEnv {
	t.Helper()
	admin := "admin-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	p := start(t, binary(t), t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin)
	e := &consoleEnv{url: "http://" + p.addr, admin: admin, step: make(chan struct{})}
	ctx := context.Background()
	adm := client.New(e.url, admin)
	mk := func(role tc.Role) string {
		c, err := adm.CreateCredential(ctx, api.CreateCredential{Tenant: "acme", Kind: tc.KindNative, Role: role})
		require.NoError(t, err)
		return c.Secret
	}
	e.op, e.reader = mk(tc.RoleOperator), mk(tc.RoleReader)
	e.cli = client.New(e.url, e.op)
	for _, in := range []struct{ id, name string }{{"cdb-orders", "orders"}, {"cdb-billing", "billing"}} {
		_, err := e.cli.PutInstance(ctx, in.id, api.PutInstance{Name: in.name, Engine: "mysql", Region: "ap-guangzhou"})
		require.NoError(t, err)
	}
	// Another tenant's task, which acme must never see.
	_, err := adm.PutInstance(ctx, "cdb-orders", api.PutInstance{Tenant: "other", Name: "x", Engine: "mysql", Region: "r"})
	require.NoError(t, err)
	_, _, err = adm.SubmitTask(ctx, api.SubmitTask{Tenant: "other", Type: "REBOOT", InstanceIDs: []string{"cdb-orders"}})
	require.NoError(t, err)

	w := client.New(e.url, mk(tc.RoleWorker)).NewWorker(worker.Config{ID: "agent-1"})
	w.Handle("REBOOT", func(ctx context.Context, _ *tc.Task, report worker.Reporter) (*worker.Result, error) {
		report(20, "stopping mysqld")
		select {
		case <-e.step:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		report(60, "starting mysqld")
		<-ctx.Done() // until canceled
		return nil, ctx.Err()
	})
	w.Handle("IMPORT DATA", func(ctx context.Context, _ *tc.Task, report worker.Reporter) (*worker.Result, error) {
		report(35, "loading rows")
		return nil, &worker.Failure{Code: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}
	})
	wctx, cancel := context.WithCancel(ctx)
	w.Start(wctx)
	t.Cleanup(func() { cancel(); w.Stop() })

	submit := func(typ, inst, req string, ctxJSON string) *api.Task {
		in := api.SubmitTask{Type: typ, InstanceIDs: []string{inst}, AsyncRequestID: req}
		if ctxJSON != "" {
			in.Context = json.RawMessage(ctxJSON)
		}
		task, _, err := e.cli.SubmitTask(ctx, in)
		require.NoError(t, err)
		return task
	}
	e.running = submit("REBOOT", "cdb-orders", "reboot-orders-1", "")
	submit("IMPORT DATA", "cdb-billing", "import-2026-03", "")
	submit("MODIFY PARAM", "cdb-billing", "", `{"params":{"max_connections":"2000"}}`)
	submit("SQL OPERATION", "cdb-orders", "ddl-add-index", "")
	submit("BATCH ROLLBACK", "cdb-billing", "", `{"operator":"ops","dbs":[{"dbname":"billing","newname":"billing_bak"}]}`)
	waitFor(t, func() bool {
		got, err := e.cli.GetTask(ctx, "", e.running.ID)
		return err == nil && got.Progress == 20
	}, "the worker runs the reboot at 20%")
	waitFor(t, func() bool {
		l, err := e.cli.ListTasks(ctx, client.TaskFilter{Statuses: []string{"FAILED"}})
		return err == nil && l.Total == 1
	}, "the import fails")
	return e
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *consoleEnv) counts(t *testing.T) api.Counts {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/v1/tasks/counts", nil)
	req.Header.Set("Authorization", "Bearer "+e.op)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var c api.Counts
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	return c
}

func (e *consoleEnv) total(t *testing.T, f client.TaskFilter) int {
	t.Helper()
	l, err := e.cli.ListTasks(context.Background(), f)
	require.NoError(t, err)
	return l.Total
}

// signIn opens the console in a tab and signs in with token.
func signIn(t *testing.T, ctx context.Context, url, token string) {
	t.Helper()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(url+"/console/"),
		chromedp.WaitVisible("#token", chromedp.ByID),
		chromedp.SendKeys("#token", token, chromedp.ByID),
		chromedp.Click(`#signin-form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#total", chromedp.ByID),
	))
}

// shownTotal reads the total and the status of every row once the list shows
// the wanted total.
func rowStatuses(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var statuses []string
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(
		`[...document.querySelectorAll("table.tasks tbody tr[data-task-id]")].map(r => r.dataset.status)`, &statuses)))
	return statuses
}

func waitJS(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	require.NoError(t, chromedp.Run(ctx, chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(20*time.Second))), what)
}

func TestConsoleInBrowser(t *testing.T) {
	newTab := browser(t)
	e := setupConsole(t)
	ctx := newTab()
	signIn(t, ctx, e.url, e.op)

	// The total and every per-status count are the API's.
	counts := e.counts(t)
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector("#total").textContent === "%d"`, e.total(t, client.TaskFilter{})), "the total")
	require.Equal(t, 5, counts.Total, "acme's tasks only")
	for _, s := range append([]tc.Status{""}, tc.Statuses[:7]...) {
		want := counts.Counts[s]
		if s == "" {
			want = counts.Total
		}
		var got string
		require.NoError(t, chromedp.Run(ctx, chromedp.Text(fmt.Sprintf(`.count[data-status="%s"] .n`, s), &got, chromedp.ByQuery)))
		require.Equal(t, strconv.Itoa(want), got, "count of %q", s)
	}

	// A status count filters the list.
	require.NoError(t, chromedp.Run(ctx, chromedp.Click(`.count[data-status="FAILED"]`, chromedp.ByQuery)))
	waitJS(t, ctx, `location.hash.includes("status=FAILED") && document.querySelector("#total").textContent === "1"`, "the FAILED filter")
	require.Equal(t, []string{"FAILED"}, rowStatuses(t, ctx))
	var result string
	require.NoError(t, chromedp.Run(ctx, chromedp.Text(`td.result.failed`, &result, chromedp.ByQuery)))
	require.Contains(t, result, "1205")
	require.Contains(t, result, "Lock wait timeout")

	// The instance filter, through the form.
	wantOrders := e.total(t, client.TaskFilter{InstanceID: "cdb-orders"})
	require.NoError(t, chromedp.Run(ctx, chromedp.Click(`.filter-buttons button.secondary`, chromedp.ByQuery))) // Clear
	waitJS(t, ctx, `!location.hash.includes("status=") && document.querySelectorAll("table.tasks tbody tr").length === 5`, "the cleared list")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys(`input[name="instance_id"]`, "cdb-orders", chromedp.ByQuery),
		chromedp.Click("#apply", chromedp.ByID),
	))
	waitJS(t, ctx, fmt.Sprintf(`location.hash.includes("instance_id=cdb-orders") && document.querySelector("#total").textContent === "%d"`, wantOrders), "the instance filter")
	require.Len(t, rowStatuses(t, ctx), wantOrders)

	// The running task's bar moves with the stream, without a reload.
	bar := fmt.Sprintf(`document.querySelector('.bar[data-task-id="%d"]')`, e.running.ID)
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(e.url+"/console/#/tasks"), chromedp.WaitVisible("#total", chromedp.ByID)))
	waitJS(t, ctx, bar+` && `+bar+`.getAttribute("aria-valuenow") === "20"`, "the bar at 20%")
	waitJS(t, ctx, `document.body.classList.contains("connected")`, "the stream is open")
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.noReload = true`, nil)))
	close(e.step)
	waitJS(t, ctx, bar+`.getAttribute("aria-valuenow") === "60" && `+bar+`.querySelector("span").style.width === "60%"`, "the bar at 60%")
	var same bool
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.noReload === true`, &same)))
	require.True(t, same, "the page was not reloaded")
	screenshot(t, ctx, "console-tasks.png")

	// The task page: fields, context, drawn timeline.
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(fmt.Sprintf("%s/console/#/task/%d", e.url, e.running.ID)),
		chromedp.WaitVisible("svg.chart", chromedp.ByQuery)))
	var bands int
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("svg.chart rect.band").length`, &bands)))
	require.GreaterOrEqual(t, bands, 3, "the timeline draws a band per event")
	screenshot(t, ctx, "console-task.png")

	// Cancel through the button and its confirmation: the running task's
	// worker is asked to stop, then it is KILLED.
	var confirmText string
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(e.url+"/console/#/tasks"), chromedp.WaitVisible("#total", chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`button[data-action="cancel"][data-task-id="%d"]`, e.running.ID), chromedp.ByQuery),
		chromedp.WaitVisible("#confirm-yes", chromedp.ByID),
		chromedp.Text("#confirm-text", &confirmText, chromedp.ByID),
		chromedp.Click("#confirm-yes", chromedp.ByID)))
	require.Contains(t, confirmText, "asked to stop", "a running task is not KILLED at once")
	// The toast that says so lies over the foot of the page, the pager's
	// place, for a few seconds: a click there reaches what is under it.
	waitJS(t, ctx, `(t => t.classList.contains("show") && t.getBoundingClientRect().bottom < innerHeight)(document.querySelector("#toast"))`,
		"the cancel's toast in view")
	var underToast string
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`(() => {
		const t = document.querySelector("#toast.show"), r = t.getBoundingClientRect();
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return t.contains(hit) ? "the toast" : hit.tagName;
	})()`, &underToast)))
	require.NotEqual(t, "the toast", underToast, "the toast takes clicks")
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('tr[data-task-id="%d"]')?.dataset.status === "KILLED"`, e.running.ID), "the task KILLED")
	got, err := e.cli.GetTask(context.Background(), "", e.running.ID)
	require.NoError(t, err)
	require.Equal(t, tc.StatusKilled, got.Status)

	// The instances, a page at a time: every one of acme's, once.
	for i := range 26 {
		_, err := e.cli.PutInstance(context.Background(), fmt.Sprintf("cdb-extra-%02d", i), api.PutInstance{Name: "extra"})
		require.NoError(t, err)
	}
	cards := func() []string {
		var ids []string
		require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("section.instance")].map(s => s.dataset.instanceId)`, &ids)))
		return ids
	}
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(e.url+"/console/#/instances"), chromedp.WaitVisible("#instances-shown", chromedp.ByID)))
	waitJS(t, ctx, `document.querySelector("#instances-shown").textContent === "24"`, "a first page of 24")
	first := cards()
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#next-instances", chromedp.ByID)))
	waitJS(t, ctx, `location.hash.includes("cursors=") && document.querySelector("#instances-shown")?.textContent === "4"`, "a second page of 4")
	all := append(first, cards()...)
	require.Len(t, all, 28)
	seen := map[string]bool{}
	for _, id := range all {
		require.False(t, seen[id], "instance %s shown twice", id)
		seen[id] = true
	}
	require.True(t, seen["cdb-orders"] && seen["cdb-billing"] && seen["cdb-extra-25"])

	// A reader sees the same list and no action button, here or on a task.
	rctx := newTab()
	signIn(t, rctx, e.url, e.reader)
	waitJS(t, rctx, fmt.Sprintf(`document.querySelector("#total").textContent === "%d"`, e.total(t, client.TaskFilter{})), "the reader's list")
	var buttons int
	require.NoError(t, chromedp.Run(rctx, chromedp.Evaluate(`document.querySelectorAll("button[data-action]").length`, &buttons)))
	require.Zero(t, buttons, "a reader sees no action buttons")
	initial := e.total(t, client.TaskFilter{Statuses: []string{"INITIAL", "WAITING"}})
	require.Positive(t, initial, "some tasks could still be acted on")
	require.NoError(t, chromedp.Run(rctx, chromedp.Navigate(fmt.Sprintf("%s/console/#/task/%d", e.url, e.running.ID+3)),
		chromedp.WaitVisible("svg.chart", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("button[data-action]").length`, &buttons)))
	require.Zero(t, buttons)
}

// screenshot saves the page under docs/ when TASKCENTER_SCREENSHOTS=1
// (make screenshots), so the README's pictures come from this test.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("TASKCENTER_SCREENSHOTS") != "1" {
		return
	}
	var png []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.Sleep(500*time.Millisecond), // let the bar's transition end
		chromedp.FullScreenshot(&png, 100)))
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644))
}
