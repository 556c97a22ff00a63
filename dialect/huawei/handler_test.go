package huawei_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
	"github.com/taskcenter/taskcenter/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	project = "0549b4a43100d4f32f51c01c2fe4acdb"
	other   = "7d0e8f5d1b2c4a6e9f3a2b1c0d4e5f6a"
	inst1   = "d87f5b33049144ec95f0cab0a5f22cfbin02"
	inst2   = "1f311e6a299345d7bbc878874844e233in02"
	gone    = "0a6b3c9d8e7f4a5b6c7d8e9f0a1b2c3din02" // exists in the store, but GetInstance says it is gone
)

// now is the server's clock in every test of this file.
var now = time.Date(2026, 5, 2, 3, 0, 0, 0, time.UTC)

// env is the handler mounted on a real server (for X-Request-Id) over an
// engine and a fresh SQLite store, with seeded tasks of two projects.
type env struct {
	t        *testing.T
	url      string
	store    tc.Store
	ak, sk   string
	token    string
	otherAK  string
	otherSK  string
	limiter  *countingLimiter
	taskIDs  map[string]int64
	shanghai *time.Location
}

// goneInstance is the engine with one instance deleted: the store has no
// way to delete instances, so GetInstance, ListInstances and the instance
// names of ListTasks pretend. ListTasks also refuses a filter that does not
// read the names with the page, which would cost a read per task.
type goneInstance struct{ tc.Service }

func (g goneInstance) ListTasks(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	if !f.InstanceNames {
		return nil, errors.New("ListTasks without the instance names")
	}
	page, err := g.Service.ListTasks(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, t := range page.Tasks {
		for i, id := range t.InstanceIDs {
			if id == gone {
				t.InstanceNames[i] = ""
			}
		}
	}
	return page, nil
}

func (g goneInstance) GetInstance(ctx context.Context, tenant, id string) (*tc.Instance, error) {
	if id == gone {
		return nil, tc.Errorf(tc.ENOTFOUND, "instance %q not found", id)
	}
	return g.Service.GetInstance(ctx, tenant, id)
}

func (g goneInstance) ListInstances(ctx context.Context, f *tc.InstanceFilter) ([]*tc.Instance, error) {
	list, err := g.Service.ListInstances(ctx, f)
	return slices.DeleteFunc(list, func(i *tc.Instance) bool { return i.ID == gone }), err
}

// countingLimiter allows the first n requests of each key.
type countingLimiter struct {
	mu   sync.Mutex
	n    int
	seen map[string]int
}

func (l *countingLimiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[key]++
	return l.n <= 0 || l.seen[key] <= l.n
}

func setup(t *testing.T, limit int) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "tc.db"))
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	t.Cleanup(func() { store.Close() })
	svc := engine.New(store, engine.Config{Now: func() time.Time { return now }})
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	e := &env{t: t, store: store, limiter: &countingLimiter{n: limit, seen: map[string]int{}}, taskIDs: map[string]int64{}, shanghai: shanghai}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := huawei.NewHandler(goneInstance{svc}, huawei.Options{Location: shanghai, Limiter: e.limiter, Logger: logger,
		Now: func() time.Time { return now }})
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry()})
	srv.Handle("/v3/", h)
	srv.Handle("/v3.1/", h)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e.url = hs.URL

	cred := func(tenant string, kind tc.CredentialKind) (string, string) {
		c, secret, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: tenant, Kind: kind})
		require.NoError(t, err)
		return c.ID, secret
	}
	e.ak, e.sk = cred(project, tc.KindHuaweiAKSK)
	e.otherAK, e.otherSK = cred(other, tc.KindHuaweiAKSK)
	_, e.token = cred(project, tc.KindHuaweiToken)
	for _, i := range []tc.Instance{{ID: inst1, Name: "dds-5ff4"}, {ID: inst2, Name: "dds-6be2-fwyrestore"}, {ID: gone, Name: "dds-gone"}} {
		i.Tenant, i.Status, i.Engine = project, tc.InstanceNormal, "mongodb"
		_, err := svc.PutInstance(ctx, &i)
		require.NoError(t, err)
	}
	_, err = svc.PutInstance(ctx, &tc.Instance{ID: inst1, Tenant: other, Name: "theirs", Status: tc.InstanceNormal})
	require.NoError(t, err)

	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v
	}
	e.seed("completed", project, "RestartReplicaSetInstance", inst1, at("2026-05-01T02:41:14Z"), []tc.Status{tc.StatusRunning, tc.StatusSucceed}, nil)
	e.seed("running", project, "CreateMongoDBReplica", inst2, at("2026-05-01T23:28:43.250Z"), []tc.Status{tc.StatusRunning},
		func(t *tc.Task) { t.Progress, t.Message = 60, "copying data" })
	e.seed("failed", project, "EnlargeMongoDBVolume", inst1, at("2026-04-20T10:00:00Z"), []tc.Status{tc.StatusRunning, tc.StatusFailed},
		func(t *tc.Task) { t.Code, t.Message = 1, "disk quota exceeded" })
	e.seed("killed", project, "ModifyPort", gone, at("2026-04-25T08:00:00Z"), []tc.Status{tc.StatusKilled},
		func(t *tc.Task) { t.Message = "canceled by operator" })
	e.seed("paused", project, tc.TypeReboot, inst2, at("2026-04-28T12:00:00Z"), []tc.Status{tc.StatusPaused}, nil)
	e.seed("waiting", project, "RestartInstance", inst1, at("2026-04-02T03:00:00Z"), []tc.Status{tc.StatusWaiting}, nil)
	e.seed("before", project, "RestartInstance", inst1, at("2026-04-02T02:59:59.999Z"), nil, nil)
	e.seed("after", project, "RestartInstance", inst1, at("2026-05-02T03:00:01Z"), nil, nil)
	e.seed("removed", project, "RestartInstance", inst1, at("2026-04-30T00:00:00Z"), []tc.Status{tc.StatusRunning, tc.StatusSucceed, tc.StatusRemoved}, nil)
	e.seed("theirs", other, "RestartInstance", inst1, at("2026-04-30T00:00:00Z"), nil, nil)
	return e
}

// seed inserts a task created at created and walks it through path, a
// second per step; finish changes the task at the last step.
func (e *env) seed(name, tenant, typ, instance string, created time.Time, path []tc.Status, finish func(*tc.Task)) {
	e.t.Helper()
	ctx := context.Background()
	task, _, err := e.store.TaskInsert(ctx, &tc.TaskInsertParams{Task: &tc.Task{Tenant: tenant, Type: typ, Status: tc.StatusInitial,
		InstanceIDs: []string{instance}, CreatedAt: created, Context: []byte(`{}`), MaxAttempts: 1}})
	require.NoError(e.t, err)
	at := created
	for i, st := range path {
		at = at.Add(time.Second)
		last := i == len(path)-1
		_, err := e.store.TaskUpdate(ctx, &tc.TaskUpdateParams{Tenant: tenant, ID: task.ID, Now: at, Update: func(t *tc.Task) error {
			if err := t.Transition(st, at); err != nil {
				return err
			}
			if last && finish != nil {
				finish(t)
			}
			return nil
		}})
		require.NoError(e.t, err)
	}
	e.taskIDs[name] = task.ID
}

// window is the 30 days before now, in Beijing time.
const window = "start_time=2026-04-02T11:00:00%2B0800&end_time=2026-05-02T11:00:00%2B0800"

// get sends a signed GET of path?query and returns the status and body.
func (e *env) get(path, query string, mod func(r *http.Request)) (int, string, http.Header) {
	e.t.Helper()
	r, err := http.NewRequest("GET", e.url+path, nil)
	require.NoError(e.t, err)
	r.URL.RawQuery = query
	r.Header.Set("X-Project-Id", project)
	r.Header.Set("User-Agent", "handler-test")
	r.Header.Set("X-Request-Id", "test-request-0001")
	require.NoError(e.t, huawei.Sign(r, e.ak, e.sk, now))
	if mod != nil {
		mod(r)
	}
	resp, err := http.DefaultClient.Do(r)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(body), resp.Header
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), got)
}

// TestAnswers records the wire format of both actions as golden files.
func TestAnswers(t *testing.T) {
	t.Parallel()
	e := setup(t, 0)
	for _, c := range []struct{ name, path, query string }{
		{"list_all", "/v3.1/" + project + "/jobs", window},
		{"list_running", "/v3.1/" + project + "/jobs", window + "&status=Running"},
		{"list_failed", "/v3.1/" + project + "/jobs", window + "&status=Failed"},
		{"list_page", "/v3.1/" + project + "/jobs", window + "&offset=1&limit=2"},
		{"list_name", "/v3.1/" + project + "/jobs", window + "&name=REBOOT"},
		{"list_v3_alias", "/v3/" + project + "/jobs", window + "&status=Completed"},
		{"list_uuid_id", "/v3.1/" + project + "/jobs", window + "&id=2f406db7-bdc4-402f-9dc4-2c1b094a5f93"},
		{"detail_running", "/v3/" + project + "/jobs", "id=2"},
		{"detail_killed", "/v3/" + project + "/jobs", "id=4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, body, header := e.get(c.path, c.query, nil)
			require.Equal(t, "test-request-0001", header.Get("X-Request-Id"))
			require.Equal(t, "application/json;charset=UTF-8", header.Get("Content-Type"))
			golden(t, c.name, body)
			require.Equal(t, http.StatusOK, status)
		})
	}
}

// TestErrors records every error answer in one golden file.
func TestErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, 0)
	list := "/v3.1/" + project + "/jobs"
	cases := []struct {
		name, path, query string
		mod               func(r *http.Request)
	}{
		{"no start_time", list, "end_time=2026-05-02T11:00:00Z", nil},
		{"empty times as the SDK sends them", list, "end_time&start_time", nil},
		{"no end_time", list, "start_time=2026-05-01T11:00:00Z", nil},
		{"bad start format", list, "start_time=2026-05-01&end_time=2026-05-02T11:00:00Z", nil},
		{"plus decoded as space", list, "start_time=2026-05-01T00:00:00%200800&end_time=2026-05-02T11:00:00Z", nil},
		{"bad end format", list, "start_time=2026-05-01T00:00:00Z&end_time=1767196800", nil},
		{"end before start", list, "start_time=2026-05-02T00:00:00Z&end_time=2026-05-01T00:00:00Z", nil},
		{"end equals start", list, "start_time=2026-05-02T00:00:00Z&end_time=2026-05-02T08:00:00%2B0800", nil},
		{"31 days", list, "start_time=2026-04-01T00:00:00Z&end_time=2026-05-02T00:00:00Z", nil},
		{"start_time twice", list, window + "&start_time=2026-04-03T00:00:00Z", nil},
		{"bad status", list, window + "&status=running", nil},
		{"bad name", list, window + "&name=CreateInstance", nil},
		{"bad instance_id", list, window + "&instance_id=a%20b", nil},
		{"limit 0", list, window + "&limit=0", nil},
		{"limit 101", list, window + "&limit=101", nil},
		{"limit not a number", list, window + "&limit=ten", nil},
		{"offset negative", list, window + "&offset=-1", nil},
		{"malformed escape", list, window, func(r *http.Request) { r.URL.RawQuery += "&name=%zz" }},
		{"detail empty id", "/v3/" + project + "/jobs", "id", nil},
		{"detail unknown id", "/v3/" + project + "/jobs", "id=999", nil},
		{"detail removed", "/v3/" + project + "/jobs", "id=9", nil},
		{"detail of another project", "/v3/" + project + "/jobs", "id=10", nil},
		{"detail uuid", "/v3/" + project + "/jobs", "id=2f406db7-bdc4-402f-9dc4-2c1b094a5f93", nil},
		{"unknown path", "/v3/" + project + "/instances", "", nil},
		{"trailing slash", list + "/", window, nil},
		{"no project", "/v3.1//jobs", window, nil},
		{"v3.1 root", "/v3.1/", "", nil},
		{"POST", list, window, func(r *http.Request) { r.Method = "POST" }},
		{"no credentials", list, window, func(r *http.Request) { r.Header.Del("Authorization") }},
		{"bad token", list, window, func(r *http.Request) { r.Header.Set("X-Auth-Token", "nope") }},
		{"wrong secret", list, window, func(r *http.Request) {
			r.Header.Set("User-Agent", "handler-test")
			require.NoError(t, huawei.Sign(r, e.ak, "wrong", now))
		}},
		{"stale date", list, window, func(r *http.Request) { require.NoError(t, huawei.Sign(r, e.ak, e.sk, now.Add(-16*time.Minute))) }},
		{"unknown ak", list, window, func(r *http.Request) { require.NoError(t, huawei.Sign(r, "NOSUCHAK", e.sk, now)) }},
		{"another project", "/v3.1/" + other + "/jobs", window, func(r *http.Request) {
			r.Header.Set("X-Project-Id", other)
			require.NoError(t, huawei.Sign(r, e.ak, e.sk, now))
		}},
		{"X-Project-Id of another project", list, window, func(r *http.Request) {
			r.Header.Set("X-Project-Id", other)
			require.NoError(t, huawei.Sign(r, e.ak, e.sk, now))
		}},
	}
	var out strings.Builder
	for _, c := range cases {
		status, body, header := e.get(c.path, c.query, c.mod)
		require.Equal(t, "test-request-0001", header.Get("X-Request-Id"), c.name)
		out.WriteString("# " + c.name + "\n" + http.StatusText(status) + " " + body)
	}
	golden(t, "errors", out.String())
}

// TestRawPlus: the spellings of a time all select the same tasks, and a
// hand-written '+' is a plus.
func TestRawPlus(t *testing.T) {
	t.Parallel()
	e := setup(t, 0)
	list := "/v3.1/" + project + "/jobs"
	_, want, _ := e.get(list, window, nil)
	for _, q := range []string{
		"start_time=2026-04-02T11:00:00+0800&end_time=2026-05-02T11:00:00+0800",
		"start_time=2026-04-02T11:00:00+08:00&end_time=2026-05-02T11:00:00%2B08%3A00",
		"start_time=2026-04-02T03:00:00Z&end_time=2026-05-02T03:00:00Z",
		"start_time=2026-04-02T03:00:00%2B0000&end_time=2026-05-01T22:00:00-0500",
	} {
		status, got, _ := e.get(list, q, nil)
		require.Equal(t, http.StatusOK, status, got)
		require.Equal(t, want, got, q)
	}
	require.Contains(t, want, `"total_count":6`)
}

// TestToken: huawei-token credentials in X-Auth-Token; other kinds refused.
func TestToken(t *testing.T) {
	t.Parallel()
	e := setup(t, 0)
	list := "/v3.1/" + project + "/jobs"
	status, body, _ := e.get(list, window, func(r *http.Request) {
		r.Header.Del("Authorization")
		r.Header.Set("X-Auth-Token", e.token)
	})
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"total_count":6`)

	status, body, _ = e.get("/v3.1/"+other+"/jobs", window, func(r *http.Request) {
		r.Header.Del("Authorization")
		r.Header.Del("X-Project-Id")
		r.Header.Set("X-Auth-Token", e.token)
	})
	require.Equal(t, http.StatusForbidden, status, body)
	require.Contains(t, body, "DBS.280032")

	// An access key is no token.
	status, body, _ = e.get(list, window, func(r *http.Request) { r.Header.Set("X-Auth-Token", e.ak) })
	require.Equal(t, http.StatusUnauthorized, status, body)
}

// TestRateLimit: each credential and action has its own budget.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, 2)
	list := "/v3.1/" + project + "/jobs"
	for range 2 {
		status, body, _ := e.get(list, window, nil)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, body, _ := e.get(list, window, nil)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Contains(t, body, `"error_code":"APIG.0308"`)
	require.Contains(t, body, `"request_id":"test-request-0001"`)

	status, body, _ = e.get("/v3/"+project+"/jobs", "id=1", nil)
	require.Equal(t, http.StatusOK, status, body)
	e.limiter.mu.Lock()
	defer e.limiter.mu.Unlock()
	require.Equal(t, 3, e.limiter.seen["huawei:"+e.ak+":ListTasks"])
	require.Equal(t, 1, e.limiter.seen["huawei:"+e.ak+":ShowJobDetail"])
}

// TestFilters checks each filter against the seeded tasks, by id.
func TestFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, 0)
	ids := func(names ...string) string {
		var parts []string
		for _, n := range names {
			parts = append(parts, `"id":"`+itoa(e.taskIDs[n])+`"`)
		}
		return strings.Join(parts, ",")
	}
	list := "/v3.1/" + project + "/jobs"
	for q, want := range map[string][]string{
		window:                                      {"waiting", "paused", "killed", "failed", "running", "completed"},
		window + "&status=Running":                  {"waiting", "paused", "running"},
		window + "&status=Completed":                {"completed"},
		window + "&status=Failed":                   {"killed", "failed"},
		window + "&name=RestartInstance":            {"waiting"},
		window + "&id=" + itoa(e.taskIDs["failed"]): {"failed"},
		window + "&id=" + itoa(e.taskIDs["theirs"]): {},
		window + "&id=0":                            {},
		window + "&instance_id=" + inst2:            {"paused", "running"},
		window + "&status=&name=&id=":               {"waiting", "paused", "killed", "failed", "running", "completed"},
		"start_time=2026-04-02T02:59:59Z&end_time=2026-04-02T03:00:00Z": {"before", "waiting"},
		"start_time=2026-05-02T03:00:00Z&end_time=2026-05-02T03:00:01Z": {"after"},
	} {
		status, body, _ := e.get(list, q, nil)
		require.Equal(t, http.StatusOK, status, body)
		require.Contains(t, body, `"total_count":`+itoa(int64(len(want))), q)
		got := idsOf(body)
		require.Equal(t, ids(want...), got, q)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// idsOf lists the "id":"N" pairs of a list answer, in order.
func idsOf(body string) string {
	var parts []string
	for _, f := range strings.Split(body, ",") {
		f = strings.TrimPrefix(f, `{"jobs":[{`)
		f = strings.TrimPrefix(f, `{`)
		if strings.HasPrefix(f, `"id":"`) {
			parts = append(parts, f)
		}
	}
	return strings.Join(parts, ",")
}
