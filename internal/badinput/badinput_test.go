package badinput_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/dialect/tencent"
	"github.com/taskcenter/taskcenter/internal/testenv"
)

// row is one bad input to one parameter of one way in, and the answer the
// dialect documents for it.
type row struct {
	api   string // tencent, qcloud, huawei or native
	op    string // the action, or the native method and path pattern
	param string // the parameter, as the coverage list names it
	bad   string // what is wrong with it
	req   func(f *fixture) *http.Request
	// status is the HTTP status wanted; code the dialect's error code
	// ("" for a documented success: some inputs are harmless by design).
	status int
	code   string
}

func (r row) name() string { return r.api + " " + r.op + " " + r.param + ": " + r.bad }

// fixture is the real engine with its handlers and the keys of tenant ta.
type fixture struct {
	env                  *testenv.Env
	handlers             map[string]http.Handler
	admin, op, worker    string // native tokens of ta (admin of all)
	tencentKey, hwAK     testenv.Key
	hwToken              string
	running, initial     int64 // a RUNNING task of ta leased by worker "w", and one not started
	nonce                atomic.Int64
	start, end, tomorrow string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	env := testenv.New(t)
	f := &fixture{env: env, op: env.Keys["ta"][tc.KindNative].Secret,
		tencentKey: env.Keys["ta"][tc.KindTencent], hwAK: env.Keys["ta"][tc.KindHuaweiAKSK],
		hwToken: env.Keys["ta"][tc.KindHuaweiToken].Secret}
	var err error
	f.admin, _, err = env.Svc.BootstrapAdmin(ctx, "")
	require.NoError(t, err)
	_, f.worker, err = env.Svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: "ta", Kind: tc.KindNative, Role: tc.RoleWorker})
	require.NoError(t, err)
	claimed, err := env.Svc.ClaimTasks(ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Max: 1})
	require.NoError(t, err)
	require.Len(t, claimed, 1, "a task of ta to lease")
	page, err := env.Svc.ListTasks(ctx, &tc.TaskFilter{Tenant: "ta", Limit: 100})
	require.NoError(t, err)
	for _, task := range page.Tasks {
		switch task.Status {
		case tc.StatusRunning:
			f.running = task.ID
		case tc.StatusWaiting, tc.StatusInitial:
			f.initial = task.ID
		}
	}
	require.NotZero(t, f.running, "testenv has a RUNNING task")
	require.NotZero(t, f.initial, "testenv has a task not started")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.handlers = map[string]http.Handler{
		"tencent": tencent.NewHandler(env.Svc, tencent.Options{Logger: logger}),
		"qcloud":  qcloud.NewHandler(env.Svc, qcloud.Options{Logger: logger}),
		"huawei":  huawei.NewHandler(env.Svc, huawei.Options{Logger: logger}),
		"native":  api.NewHandler(env.Svc, logger), // no watcher: a stream that passes its checks answers 503
	}
	now := time.Now().UTC()
	f.start, f.end = now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), now.Add(time.Hour).Format("2006-01-02T15:04:05Z")
	f.tomorrow = now.Add(24 * time.Hour).Format(time.RFC3339)
	return f
}

// huge is a value far past every length limit, under the body limits.
var huge = strings.Repeat("x", 100_000)

// --- Tencent API 3.0 ----------------------------------------------------------

// tc3 is DescribeTasks over TC3 POST with body as its JSON parameters.
func tc3(body string) func(f *fixture) *http.Request {
	return func(f *fixture) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-TC-Action", "DescribeTasks")
		r.Header.Set("X-TC-Version", tencent.Version)
		tencent.SignTC3(r, []byte(body), tencent.Service, f.tencentKey.ID, f.tencentKey.Secret, time.Now())
		return r
	}
}

// v1 is DescribeTasks over a HmacSHA256 v1 GET whose action parameters are
// the raw query, each request with its own Nonce.
func v1(raw string) func(f *fixture) *http.Request {
	return func(f *fixture) *http.Request {
		p, err := url.ParseQuery(raw)
		if err != nil {
			panic(err)
		}
		p.Set("Action", "DescribeTasks")
		p.Set("Version", tencent.Version)
		p.Set("SecretId", f.tencentKey.ID)
		p.Set("Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		p.Set("Nonce", strconv.FormatInt(f.nonce.Add(1), 10))
		p.Set("SignatureMethod", tencent.HmacSHA256)
		p.Set("Signature", qcloud.Sign(f.tencentKey.Secret, tencent.HmacSHA256, qcloud.StringToSign(http.MethodGet, "127.0.0.1", "/", p)))
		return httptest.NewRequest(http.MethodGet, "http://127.0.0.1/?"+p.Encode(), nil)
	}
}

func tencentRows() []row {
	const (
		invalid = tencent.CodeInvalidParameter
		value   = tencent.CodeInvalidParameterValue
	)
	r := func(param, bad string, req func(*fixture) *http.Request, code string) row {
		return row{"tencent", "DescribeTasks", param, bad, req, http.StatusOK, code}
	}
	var rows []row
	for _, p := range []string{"InstanceId", "AsyncRequestId", "StartTimeBegin", "StartTimeEnd"} {
		rows = append(rows,
			r(p, "wrong type", tc3(`{"`+p+`":5}`), invalid),
			r(p, "null: the same as absent", tc3(`{"`+p+`":null}`), ""),
			r(p, "invalid UTF-8", tc3("{\""+p+"\":\"a\xffb\"}"), invalid),
			r(p, "invalid UTF-8 (v1)", v1(p+"=a%ffb"), invalid),
			r(p, "duplicate", tc3(`{"`+p+`":"a","`+p+`":"b"}`), invalid),
			r(p, "duplicate (v1)", v1(p+"=a&"+p+"=b"), invalid),
			r(p, "sent as a list (v1)", v1(p+".0=a"), invalid),
		)
	}
	rows = append(rows,
		r("InstanceId", "huge", tc3(`{"InstanceId":"`+huge+`"}`), tencent.CodeInstanceNotFound),
		r("InstanceId", "another tenant's", tc3(`{"InstanceId":"cdb-tb1"}`), tencent.CodeInstanceNotFound),
		r("AsyncRequestId", "huge", tc3(`{"AsyncRequestId":"`+huge+`"}`), value),
		r("StartTimeBegin", "malformed time", tc3(`{"StartTimeBegin":"2024-13-01 00:00:00"}`), value),
		r("StartTimeBegin", "RFC 3339 time", tc3(`{"StartTimeBegin":"2024-01-01T00:00:00Z"}`), value),
		r("StartTimeBegin", "huge", tc3(`{"StartTimeBegin":"`+huge+`"}`), value),
		r("StartTimeEnd", "malformed time", tc3(`{"StartTimeEnd":"2024-01-01 25:00:00"}`), value),
		r("StartTimeEnd", "before the begin", tc3(`{"StartTimeBegin":"2024-01-02 00:00:00","StartTimeEnd":"2024-01-01 00:00:00"}`), value),
		r("StartTimeEnd", "huge", tc3(`{"StartTimeEnd":"`+huge+`"}`), value),
	)
	for _, p := range []string{"TaskTypes", "TaskStatus"} {
		rows = append(rows,
			r(p, "wrong type", tc3(`{"`+p+`":7}`), invalid),
			r(p, "wrong item type", tc3(`{"`+p+`":["1"]}`), invalid),
			r(p, "null item", tc3(`{"`+p+`":[null]}`), invalid),
			r(p, "huge", tc3(`{"`+p+`":[1e40]}`), invalid),
			r(p, "huge (v1)", v1(p+".0=99999999999999999999"), invalid),
			r(p, "duplicate", tc3(`{"`+p+`":[1],"`+p+`":[2]}`), invalid),
			r(p, "duplicate item (v1)", v1(p+".0=1&"+p+".0=2"), invalid),
			r(p, "without index (v1)", v1(p+"=1"), invalid),
			r(p, "bad index (v1)", v1(p+".x=1"), invalid),
			r(p, "invalid UTF-8 (v1)", v1(p+".0=%ff"), invalid),
		)
	}
	rows = append(rows,
		r("TaskTypes", "unknown enum", tc3(`{"TaskTypes":[4]}`), value),
		r("TaskTypes", "out of range", tc3(`{"TaskTypes":[-9223372036854775808]}`), value),
		r("TaskStatus", "unknown enum", tc3(`{"TaskStatus":[7]}`), value),
		r("TaskStatus", "out of range", tc3(`{"TaskStatus":[-2]}`), value),
	)
	for _, p := range []string{"Offset", "Limit"} {
		rows = append(rows,
			r(p, "wrong type", tc3(`{"`+p+`":"20"}`), invalid),
			r(p, "fraction", tc3(`{"`+p+`":1.5}`), invalid),
			r(p, "negative", tc3(`{"`+p+`":-1}`), value),
			r(p, "huge", tc3(`{"`+p+`":1e40}`), invalid),
			r(p, "huge (v1)", v1(p+"=99999999999999999999"), invalid),
			r(p, "not a number (v1)", v1(p+"=ten"), invalid),
			r(p, "duplicate", tc3(`{"`+p+`":1,"`+p+`":2}`), invalid),
			r(p, "duplicate (v1)", v1(p+"=1&"+p+"=2"), invalid),
			r(p, "invalid UTF-8 (v1)", v1(p+"=%ff"), invalid),
		)
	}
	rows = append(rows,
		r("Offset", "past every task", tc3(`{"Offset":9223372036854775807}`), ""),
		r("Limit", "out of range", tc3(`{"Limit":101}`), value),
		r("Limit", "largest int64", tc3(`{"Limit":9223372036854775807}`), value),
		r("(body)", "oversized body", tc3(`{"InstanceId":"`+strings.Repeat("x", tencent.MaxBodyBytes)+`"}`), invalid),
		r("(body)", "not an object", tc3(`[1]`), invalid),
		r("(body)", "unknown parameter", tc3(`{"Limitt":1}`), tencent.CodeUnknownParameter),
		r("(body)", "parameter in another case", tc3(`{"limit":1}`), tencent.CodeUnknownParameter),
	)
	return rows
}

// --- Tencent API 2.0 ----------------------------------------------------------

// legacy is GetCdbRollbackJob signed with HmacSHA256, by GET or by POST form.
func legacy(method string, params url.Values) func(f *fixture) *http.Request {
	return func(f *fixture) *http.Request {
		p := url.Values{}
		for k, v := range params {
			p[k] = slices.Clone(v)
		}
		p.Set("Action", "GetCdbRollbackJob")
		p.Set("SecretId", f.tencentKey.ID)
		p.Set("Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		p.Set("Nonce", strconv.FormatInt(f.nonce.Add(1), 10))
		p.Set("SignatureMethod", "HmacSHA256")
		p.Set("Signature", qcloud.Sign(f.tencentKey.Secret, "HmacSHA256", qcloud.StringToSign(method, "127.0.0.1", qcloud.Path, p)))
		if method == http.MethodGet {
			return httptest.NewRequest(method, "http://127.0.0.1"+qcloud.Path+"?"+p.Encode(), nil)
		}
		r := httptest.NewRequest(method, "http://127.0.0.1"+qcloud.Path, strings.NewReader(p.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
}

func qcloudRows() []row {
	r := func(param, bad string, p url.Values, code int) row {
		return row{"qcloud", "GetCdbRollbackJob", param, bad, legacy(http.MethodGet, p), http.StatusOK, strconv.Itoa(code)}
	}
	inst := func(kv ...string) url.Values {
		p := url.Values{"cdbInstanceId": {"cdb-ta1"}}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = append(p[kv[i]], kv[i+1])
		}
		return p
	}
	rows := []row{
		r("cdbInstanceId", "missing", url.Values{}, 4000),
		r("cdbInstanceId", "malformed", url.Values{"cdbInstanceId": {"a b"}}, 4000),
		r("cdbInstanceId", "huge", url.Values{"cdbInstanceId": {huge[:60_000]}}, 4000),
		r("cdbInstanceId", "invalid UTF-8", url.Values{"cdbInstanceId": {"cdb-\xff"}}, 4000),
		r("cdbInstanceId", "duplicate", url.Values{"cdbInstanceId": {"cdb-ta1", "cdb-ta2"}}, 4000),
		r("cdbInstanceId", "another tenant's", url.Values{"cdbInstanceId": {"cdb-tb1"}}, 9003),
		r("cdbInstanceId", "sent as a list", url.Values{"cdbInstanceId.0": {"cdb-ta1"}}, 4000),
		{"qcloud", "GetCdbRollbackJob", "(body)", "oversized body", legacy(http.MethodPost, url.Values{"cdbInstanceId": {"cdb-ta1"}, "pad": {strings.Repeat("x", qcloud.MaxBodyBytes)}}), http.StatusOK, "4000"},
	}
	for _, p := range []string{"offset", "limit"} {
		rows = append(rows,
			r(p, "wrong type", inst(p, "ten"), 4000),
			r(p, "fraction", inst(p, "1.5"), 4000),
			r(p, "negative", inst(p, "-1"), 9003),
			r(p, "huge", inst(p, "99999999999999999999"), 4000),
			r(p, "invalid UTF-8", inst(p, "\xff"), 4000),
			r(p, "duplicate", inst(p, "1", p, "2"), 4000),
		)
	}
	return append(rows, r("limit", "out of range", inst("limit", "101"), 9003), r("limit", "zero", inst("limit", "0"), 9003))
}

// --- Huawei DDS ---------------------------------------------------------------

// hw is a signed GET of path with the raw query; window prefixes a valid
// time window unless the row is about the window itself.
func hw(path, raw string) func(f *fixture) *http.Request {
	return func(f *fixture) *http.Request {
		raw := strings.NewReplacer("{start}", f.start, "{end}", f.end).Replace(raw)
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
		r.URL.RawQuery = raw // as sent, even when it is not well-formed
		if err := huawei.Sign(r, f.hwAK.ID, f.hwAK.Secret, time.Now()); err != nil {
			// The signer refuses what it cannot canonicalise; a token
			// carries such a query as it is.
			r.Header.Set("X-Auth-Token", f.hwToken)
		}
		return r
	}
}

func huaweiRows() []row {
	const window = "start_time={start}&end_time={end}&"
	list := func(param, bad, raw string, status int, code string) row {
		return row{"huawei", huawei.ActionListTasks, param, bad, hw("/v3.1/ta/jobs", raw), status, code}
	}
	detail := func(bad, raw string, status int, code string) row {
		return row{"huawei", huawei.ActionShowJobDetail, "id", bad, hw("/v3/ta/jobs", raw), status, code}
	}
	const bad = http.StatusBadRequest
	rows := []row{
		list("start_time", "missing", "end_time={end}", bad, "DBS.280067"),
		list("start_time", "malformed time", "start_time=2026-01-01&end_time={end}", bad, "DBS.280409"),
		list("start_time", "fraction of a second", "start_time=2026-01-01T00:00:00.5Z&end_time={end}", bad, "DBS.280409"),
		list("start_time", "out of range", "start_time=2026-13-01T00:00:00Z&end_time={end}", bad, "DBS.280409"),
		list("start_time", "huge", "start_time="+huge+"&end_time={end}", bad, "DBS.280409"),
		list("start_time", "invalid UTF-8", "start_time=%ff&end_time={end}", bad, "DBS.280409"),
		list("start_time", "duplicate", "start_time={start}&start_time={start}&end_time={end}", bad, "DBS.280067"),
		list("end_time", "missing", "start_time={start}", bad, "DBS.280068"),
		list("end_time", "malformed time", "start_time={start}&end_time=tomorrow", bad, "DBS.280409"),
		list("end_time", "before the start", "start_time={end}&end_time={start}", bad, "DBS.280068"),
		list("end_time", "span over 30 days", "start_time=2026-01-01T00:00:00Z&end_time=2026-03-01T00:00:00Z", bad, "DBS.280068"),
		list("end_time", "huge", "start_time={start}&end_time="+huge, bad, "DBS.280409"),
		list("end_time", "invalid UTF-8", "start_time={start}&end_time=%ff", bad, "DBS.280409"),
		list("end_time", "duplicate", "start_time={start}&end_time={end}&end_time={end}", bad, "DBS.280068"),
		list("status", "unknown enum", window+"status=Done", bad, "DBS.200001"),
		list("status", "wrong case", window+"status=running", bad, "DBS.200001"),
		list("status", "huge", window+"status="+huge, bad, "DBS.200001"),
		list("status", "invalid UTF-8", window+"status=%ff", bad, "DBS.200001"),
		list("status", "duplicate", window+"status=Running&status=Failed", bad, "DBS.200001"),
		list("name", "unknown enum", window+"name=FormatDisk", bad, "DBS.200001"),
		list("name", "huge", window+"name="+huge, bad, "DBS.200001"),
		list("name", "invalid UTF-8", window+"name=%ff", bad, "DBS.200001"),
		list("name", "duplicate", window+"name=REBOOT&name=REBOOT", bad, "DBS.200001"),
		// An id that cannot be a taskcenter id matches nothing (docs/huawei.md).
		list("id", "wrong type", window+"id=abc", http.StatusOK, ""),
		list("id", "out of range", window+"id=-1", http.StatusOK, ""),
		list("id", "huge", window+"id=99999999999999999999", http.StatusOK, ""),
		list("id", "invalid UTF-8", window+"id=%ff", http.StatusOK, ""),
		list("id", "duplicate", window+"id=1&id=2", bad, "DBS.200001"),
		list("instance_id", "malformed", window+"instance_id=a%20b", bad, "DBS.200001"),
		list("instance_id", "huge", window+"instance_id="+huge, bad, "DBS.200001"),
		list("instance_id", "invalid UTF-8", window+"instance_id=%ff", bad, "DBS.200001"),
		list("instance_id", "duplicate", window+"instance_id=cdb-ta1&instance_id=cdb-ta2", bad, "DBS.200001"),
		list("(query)", "malformed escape", window+"name=%G0", bad, "DBS.200001"),
		detail("wrong type", "id=abc", bad, "DBS.280016"),
		detail("out of range", "id=0", bad, "DBS.280016"),
		detail("huge", "id=99999999999999999999", bad, "DBS.280016"),
		detail("invalid UTF-8", "id=%ff", bad, "DBS.280016"),
		detail("empty", "id=", bad, "DBS.200001"),
		detail("duplicate", "id=1&id=2", bad, "DBS.200001"),
		detail("another tenant's", "id=6", bad, "DBS.280016"),
	}
	for _, p := range []struct{ name, code string }{{"offset", "DBS.280440"}, {"limit", "DBS.280439"}} {
		rows = append(rows,
			list(p.name, "wrong type", window+p.name+"=ten", bad, p.code),
			list(p.name, "negative", window+p.name+"=-1", bad, p.code),
			list(p.name, "huge", window+p.name+"=99999999999999999999", bad, p.code),
			list(p.name, "invalid UTF-8", window+p.name+"=%ff", bad, p.code),
			list(p.name, "duplicate", window+p.name+"=1&"+p.name+"=2", bad, p.code),
		)
	}
	return append(rows, list("limit", "out of range", window+"limit=101", bad, "DBS.280439"), list("limit", "zero", window+"limit=0", bad, "DBS.280439"))
}

// --- native API -----------------------------------------------------------------

// who picks the native token a row sends.
type who int

const (
	asOperator who = iota
	asWorker
	asAdmin
)

// native is a request to the native API; path may hold {running} and
// {initial}, the ids of the fixture's tasks.
func native(as who, method, path, body string) func(f *fixture) *http.Request {
	return nativeHeader(as, method, path, body, "", "")
}

func nativeHeader(as who, method, path, body, header, value string) func(f *fixture) *http.Request {
	return func(f *fixture) *http.Request {
		path := strings.NewReplacer("{running}", strconv.FormatInt(f.running, 10), "{initial}", strconv.FormatInt(f.initial, 10)).Replace(path)
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := httptest.NewRequest(method, "http://127.0.0.1"+path, rd)
		token := map[who]string{asOperator: f.op, asWorker: f.worker, asAdmin: f.admin}[as]
		r.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if header != "" {
			r.Header.Set(header, value)
		}
		return r
	}
}

// field describes a body field of a native endpoint: its JSON kind, a valid
// value, and the bad values particular to it, each answered 400 unless the
// field's status says otherwise.
type field struct {
	name, kind, valid string // kind: string, int, bool, strings, object, time, attach
	extra             map[string]string
}

// endpoint is a native operation with a body: a valid body (fields in
// order), the token it is sent with, and its fields.
type endpoint struct {
	as           who
	method, path string
	fields       []field
}

// body returns the endpoint's valid body with name set to raw; dup repeats it.
func (e endpoint) body(name, raw string, dup bool) string {
	var parts []string
	for _, fl := range e.fields {
		v := fl.valid
		if fl.name == name {
			v = raw
			if dup {
				parts = append(parts, fmt.Sprintf("%q:%s", fl.name, fl.valid))
			}
		}
		if v != "" {
			parts = append(parts, fmt.Sprintf("%q:%s", fl.name, v))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

var endpoints = []endpoint{
	{asOperator, "POST", "/api/v1/tasks", []field{
		{"tenant", "string", ``, map[string]string{"another tenant": `"tb"`}},
		{"type", "string", `"REBOOT"`, map[string]string{"unknown enum": `"FORMAT DISK"`}},
		{"instance_ids", "strings", `["cdb-ta1"]`, map[string]string{"another tenant's": `["cdb-tb1"]`, "empty": `[]`, "malformed": `["a b"]`, "duplicate item": `["cdb-ta1","cdb-ta1"]`}},
		{"async_request_id", "string", ``, nil},
		{"context", "object", ``, map[string]string{"huge": `{"x":"` + strings.Repeat("x", 70<<10) + `"}`}},
		{"run_after", "time", ``, nil},
		{"max_attempts", "int", ``, map[string]string{"out of range": `-1`, "too many": `1000000`}},
		{"timeout_seconds", "int", ``, map[string]string{"out of range": `-1`, "too long": `99999999999`}},
	}},
	{asOperator, "PUT", "/api/v1/instances/cdb-ta9", []field{
		{"tenant", "string", ``, map[string]string{"another tenant": `"tb"`}},
		{"name", "string", `"db"`, nil},
		{"engine", "string", ``, nil},
		{"region", "string", ``, nil},
		{"status", "string", ``, map[string]string{"unknown enum": `"on fire!"`}},
	}},
	{asAdmin, "PUT", "/api/v1/types/MY_TYPE", []field{
		{"key", "string", ``, map[string]string{"not the path's": `"OTHER"`}},
		{"tencent_code", "int", ``, map[string]string{"out of range": `-1`, "a built-in's": `7`}},
		{"description", "string", `"mine"`, nil},
		{"exclusive", "bool", ``, nil},
		{"timeout_seconds", "int", ``, map[string]string{"out of range": `-1`, "too long": `99999999999`}},
		{"max_attempts", "int", ``, map[string]string{"out of range": `-1`, "too many": `1000000`}},
		{"builtin", "bool", ``, map[string]string{"claims to be built in": `true`}},
	}},
	{asOperator, "POST", "/api/v1/credentials", []field{
		{"tenant", "string", ``, map[string]string{"another tenant": `"tb"`}},
		{"kind", "string", `"native"`, map[string]string{"unknown enum": `"aws"`}},
		{"role", "string", ``, map[string]string{"unknown enum": `"root"`, "above the caller": `"admin"`}},
	}},
	{asWorker, "POST", "/api/v1/workers/claim", []field{
		{"tenant", "string", ``, map[string]string{"another tenant": `"tb"`}},
		{"worker_id", "string", `"w2"`, map[string]string{"empty": `""`}},
		{"types", "strings", ``, map[string]string{"unknown enum": `["FORMAT DISK"]`}},
		{"max", "int", ``, map[string]string{"out of range": `-1`, "too many": `1000000`}},
		{"wait_seconds", "int", ``, map[string]string{"out of range": `-1`, "too long": `1000000`}},
	}},
	{asWorker, "POST", "/api/v1/tasks/{running}/heartbeat", []field{
		{"worker_id", "string", `"w"`, map[string]string{"empty": `""`}},
		{"progress", "int", `50`, map[string]string{"out of range": `101`, "negative": `-1`}},
		{"message", "string", ``, nil},
		{"attempt", "int", ``, map[string]string{"out of range": `-1`, "an earlier attempt": `99`}},
		{"claim", "int", ``, map[string]string{"out of range": `-1`, "not the running claim": `99`}},
	}},
	{asWorker, "POST", "/api/v1/tasks/{running}/complete", []field{
		{"worker_id", "string", `"w"`, map[string]string{"empty": `""`}},
		{"code", "int", ``, nil},
		{"message", "string", ``, nil},
		{"attach_info", "attach", ``, map[string]string{"empty key": `[{"key":"","value":"v"}]`}},
		{"attempt", "int", ``, map[string]string{"out of range": `-1`, "an earlier attempt": `99`}},
		{"claim", "int", ``, map[string]string{"out of range": `-1`, "not the running claim": `99`}},
	}},
	{asWorker, "POST", "/api/v1/tasks/{running}/fail", []field{
		{"worker_id", "string", `"w"`, map[string]string{"empty": `""`}},
		{"code", "int", ``, nil},
		{"message", "string", ``, nil},
		{"retryable", "bool", ``, nil},
		{"attempt", "int", ``, map[string]string{"out of range": `-1`, "an earlier attempt": `99`}},
		{"claim", "int", ``, map[string]string{"out of range": `-1`, "not the running claim": `99`}},
	}},
	{asWorker, "POST", "/api/v1/tasks/{running}/release", []field{
		{"worker_id", "string", `"w"`, map[string]string{"empty": `""`}},
		{"attempt", "int", ``, map[string]string{"out of range": `-1`, "an earlier attempt": `99`}},
		{"claim", "int", ``, map[string]string{"out of range": `-1`, "not the running claim": `99`}},
	}},
}

// pattern is the route an endpoint's path matches, as the OpenAPI document names it.
func pattern(path string) string {
	path = strings.NewReplacer("{running}", "{id}", "{initial}", "{id}", "cdb-ta9", "{id}", "MY_TYPE", "{key}").Replace(path)
	if p, _, ok := strings.Cut(path, "?"); ok {
		return p
	}
	return path
}

// wrongType is a value of another JSON kind than kind.
var wrongType = map[string]string{"string": `123`, "int": `"1"`, "bool": `"yes"`, "strings": `"cdb-ta1"`, "object": `[1]`, "time": `1700000000`, "attach": `{"key":"k"}`}

// batchRows covers POST /api/v1/tasks/batch: a bad envelope is refused as
// a whole; a bad task is refused alone, its code in its result (200), and
// since every task of these batches is bad, nothing is written.
func batchRows() []row {
	const op = "POST /api/v1/tasks/batch"
	task := `{"type":"REBOOT","instance_ids":["cdb-ta1"]}`
	r := func(bad, body string, status int, code string) row {
		param := "body.tasks"
		if strings.HasPrefix(bad, "(body) ") {
			param, bad = "(body)", strings.TrimPrefix(bad, "(body) ")
		}
		return row{"native", op, param, bad, native(asOperator, "POST", "/api/v1/tasks/batch", body), status, code}
	}
	return []row{
		r("wrong type", `{"tasks":`+task+`}`, 400, "invalid"),
		r("null inside", `{"tasks":[null]}`, 400, "invalid"),
		r("empty", `{"tasks":[]}`, 400, "invalid"),
		r("too many", `{"tasks":[`+strings.TrimSuffix(strings.Repeat(task+",", tc.MaxSubmitBatch+1), ",")+`]}`, 400, "invalid"),
		r("duplicate", `{"tasks":[`+task+`],"tasks":[`+task+`]}`, 400, "invalid"),
		r("a task with an unknown field", `{"tasks":[{"type":"REBOOT","instance_ids":["cdb-ta1"],"zzz":1}]}`, 400, "invalid"),
		r("a task of another tenant", `{"tasks":[{"tenant":"tb","type":"REBOOT","instance_ids":["cdb-ta1"]}]}`, 200, "forbidden"),
		r("a task of an unknown type", `{"tasks":[{"type":"FORMAT DISK","instance_ids":["cdb-ta1"]}]}`, 200, "invalid"),
		r("a task on another tenant's instance", `{"tasks":[{"type":"REBOOT","instance_ids":["cdb-tb1"]}]}`, 200, "invalid"),
		r("a task with a bad timeout", `{"tasks":[{"type":"REBOOT","instance_ids":["cdb-ta1"],"timeout_seconds":-1}]}`, 200, "invalid"),
		r("(body) oversized body", `{"tasks":["`+strings.Repeat("x", api.MaxBodyBytes)+`"]}`, 413, "invalid"),
		r("(body) malformed JSON", `{"tasks":[`, 400, "invalid"),
		r("(body) not an object", `[1]`, 400, "invalid"),
		r("(body) unknown field", `{"tasks":[`+task+`],"zzz":1}`, 400, "invalid"),
	}
}

func nativeBodyRows() []row {
	rows := batchRows()
	for _, e := range endpoints {
		op := e.method + " " + pattern(e.path)
		add := func(param, bad, body string, status int, code string) {
			rows = append(rows, row{"native", op, param, bad, native(e.as, e.method, e.path, body), status, code})
		}
		for _, fl := range e.fields {
			p := "body." + fl.name
			add(p, "wrong type", e.body(fl.name, wrongType[fl.kind], false), 400, "invalid")
			if fl.kind == "strings" || fl.kind == "attach" {
				add(p, "null inside", e.body(fl.name, `[null]`, false), 400, "invalid")
			}
			add(p, "duplicate", e.body(fl.name, cmpOr(fl.valid, sample[fl.kind]), true), 400, "invalid")
			switch fl.kind {
			case "string":
				add(p, "invalid UTF-8", e.body(fl.name, "\"a\xffb\"", false), 400, "invalid")
				if fl.name == "tenant" && e.as != asAdmin {
					add(p, "huge", e.body(fl.name, `"`+huge+`"`, false), 403, "forbidden") // names another tenant
				} else {
					add(p, "huge", e.body(fl.name, `"`+huge+`"`, false), 400, "invalid")
				}
			case "strings":
				add(p, "invalid UTF-8", e.body(fl.name, "[\"a\xffb\"]", false), 400, "invalid")
				add(p, "huge", e.body(fl.name, `["`+huge+`"]`, false), 400, "invalid")
			case "int":
				add(p, "huge", e.body(fl.name, `1e40`, false), 400, "invalid")
				add(p, "fraction", e.body(fl.name, `1.5`, false), 400, "invalid")
			case "time":
				add(p, "malformed time", e.body(fl.name, `"tomorrow"`, false), 400, "invalid")
				add(p, "out of range", e.body(fl.name, `"2026-13-01T00:00:00Z"`, false), 400, "invalid")
			case "attach":
				add(p, "huge", e.body(fl.name, `[{"key":"k","value":"`+huge+`"}]`, false), 400, "invalid")
				add(p, "invalid UTF-8", e.body(fl.name, "[{\"key\":\"k\xff\",\"value\":\"v\"}]", false), 400, "invalid")
			}
			for bad, raw := range fl.extra {
				status, code := 400, "invalid"
				if bad == "another tenant" || bad == "above the caller" {
					status, code = 403, "forbidden"
				}
				if bad == "an earlier attempt" || bad == "not the running claim" {
					status, code = 409, "conflict"
				}
				add(p, bad, e.body(fl.name, raw, false), status, code)
			}
		}
		add("(body)", "oversized body", e.body(e.fields[1].name, `"`+strings.Repeat("x", api.MaxBodyBytes)+`"`, false), 413, "invalid")
		add("(body)", "malformed JSON", `{"`+e.fields[1].name+`":`, 400, "invalid")
		add("(body)", "not an object", `[1]`, 400, "invalid")
		add("(body)", "unknown field", e.body("", "", false)[:len(e.body("", "", false))-1]+`,"zzz":1}`, 400, "invalid")
		add("(body)", "two objects", e.body("", "", false)+`{}`, 400, "invalid")
	}
	return rows
}

// sample is a well-typed value of each kind, for duplicates of fields
// without a default.
var sample = map[string]string{"string": `"x"`, "int": `1`, "bool": `false`, "strings": `["cdb-ta1"]`, "object": `{}`, "time": `"2030-01-01T00:00:00Z"`, "attach": `[]`}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// query is a native query parameter: the operations that take it, the token
// to send, and its bad values with their answers.
func nativeQueryRows() []row {
	type q struct {
		as           who
		method, path string
	}
	lists := []q{{asOperator, "GET", "/api/v1/tasks"}, {asOperator, "GET", "/api/v1/events"}}
	byID := []q{{asOperator, "GET", "/api/v1/tasks/{initial}"}, {asOperator, "GET", "/api/v1/tasks/{initial}/events"},
		{asOperator, "POST", "/api/v1/tasks/{initial}/cancel"}, {asOperator, "POST", "/api/v1/tasks/{initial}/pause"},
		{asOperator, "POST", "/api/v1/tasks/{initial}/resume"},
		{asWorker, "POST", "/api/v1/tasks/{running}/heartbeat"}, {asWorker, "POST", "/api/v1/tasks/{running}/complete"},
		{asWorker, "POST", "/api/v1/tasks/{running}/fail"}, {asWorker, "POST", "/api/v1/tasks/{running}/release"}}
	bodies := map[string]string{"heartbeat": `{"worker_id":"w","progress":1}`, "complete": `{"worker_id":"w"}`, "fail": `{"worker_id":"w"}`, "release": `{"worker_id":"w"}`}
	bodyOf := func(path string) string { return bodies[path[strings.LastIndex(path, "/")+1:]] }
	var rows []row
	add := func(o q, param, bad, query string, status int, code string) {
		sep := "?"
		if strings.Contains(o.path, "?") {
			sep = "&"
		}
		rows = append(rows, row{"native", o.method + " " + pattern(o.path), param, bad, native(o.as, o.method, o.path+sep+query, bodyOf(o.path)), status, code})
	}
	// tenant: every operation that takes it; the admin's bad tenants are 400,
	// a tenant's token naming another is 403.
	all := append(append([]q{{asOperator, "GET", "/api/v1/instances"}, {asOperator, "GET", "/api/v1/instances/cdb-ta9"},
		{asOperator, "GET", "/api/v1/tasks/counts"}, {asOperator, "POST", "/api/v1/events/tickets"}}, lists...), byID...)
	for _, o := range all {
		add(o, "tenant", "another tenant", "tenant=tb", 403, "forbidden")
		add(o, "tenant", "duplicate", "tenant=ta&tenant=ta", 400, "invalid")
		add(o, "tenant", "invalid UTF-8", "tenant=%ff", 400, "invalid")
		admin := o
		admin.as = asAdmin
		if admin.method == "GET" || strings.HasSuffix(admin.path, "tickets") {
			add(admin, "tenant", "huge (admin)", "tenant="+huge, 400, "invalid")
			add(admin, "tenant", "malformed (admin)", "tenant=a%20b", 400, "invalid")
		}
	}
	for _, o := range append(lists, q{asOperator, "GET", "/api/v1/tasks/{initial}/events"}, q{asOperator, "GET", "/api/v1/instances"}) {
		if o.path == "/api/v1/events" {
			continue // the stream does not page
		}
		for bad, v := range map[string]string{"wrong type": "ten", "zero": "0", "out of range": "1001", "huge": "99999999999999999999",
			"invalid UTF-8": "%ff", "duplicate": "1&limit=2", "fraction": "1.5"} {
			add(o, "limit", bad, "limit="+v, 400, "invalid")
		}
		for bad, v := range map[string]string{"garbage": "***", "huge": huge, "invalid UTF-8": "%ff", "duplicate": "dDE&cursor=dDE"} {
			add(o, "cursor", bad, "cursor="+v, 400, "invalid")
		}
		if o.path != "/api/v1/instances" {
			other := map[string]string{"/api/v1/tasks": "ZTE", "/api/v1/tasks/{initial}/events": "dDE"}[o.path] // the other list's
			add(o, "cursor", "another list's", "cursor="+other, 400, "invalid")
		}
	}
	for _, o := range lists {
		for bad, v := range map[string]string{"invalid UTF-8": "%ff", "duplicate": "cdb-ta1&instance_id=cdb-ta2", "huge": huge, "malformed": "a%20b"} {
			add(o, "instance_id", bad, "instance_id="+v, 400, "invalid")
		}
		for bad, v := range map[string]string{"invalid UTF-8": "%ff", "duplicate": "r&async_request_id=s", "huge": huge} {
			add(o, "async_request_id", bad, "async_request_id="+v, 400, "invalid")
		}
		for bad, v := range map[string]string{"unknown enum": "FORMAT%20DISK", "invalid UTF-8": "%ff", "huge": huge} {
			add(o, "type", bad, "type="+v, 400, "invalid")
		}
		for bad, v := range map[string]string{"unknown enum": "DONE", "invalid UTF-8": "%ff", "huge": huge, "UNDEFINED": "UNDEFINED"} {
			add(o, "status", bad, "status="+v, 400, "invalid")
		}
		for _, p := range []string{"created_after", "created_before"} {
			for bad, v := range map[string]string{"malformed time": "yesterday", "out of range": "2026-13-01T00:00:00Z", "no zone": "2026-01-01T00:00:00",
				"invalid UTF-8": "%ff", "duplicate": "2026-01-01T00:00:00Z&" + p + "=2026-01-02T00:00:00Z", "huge": huge} {
				add(o, p, bad, p+"="+v, 400, "invalid")
			}
		}
	}
	events := q{asOperator, "GET", "/api/v1/events"}
	for bad, v := range map[string]string{"wrong type": "ten", "negative": "-1", "huge": "99999999999999999999", "invalid UTF-8": "%ff", "duplicate": "1&last_event_id=2"} {
		add(events, "last_event_id", bad, "last_event_id="+v, 400, "invalid")
	}
	for bad, v := range map[string]string{"wrong type": "ten", "negative": "-1", "huge": "99999999999999999999"} {
		rows = append(rows, row{"native", "GET /api/v1/events", "Last-Event-ID", bad, nativeHeader(asOperator, "GET", "/api/v1/events", "", "Last-Event-ID", v), 400, "invalid"})
	}
	// A ticket is looked at only without an Authorization header.
	ticket := func(bad, v string) row {
		return row{"native", "GET /api/v1/events", "ticket", bad, func(f *fixture) *http.Request {
			return httptest.NewRequest("GET", "http://127.0.0.1/api/v1/events?ticket="+v, nil)
		}, 401, "unauthorized"}
	}
	rows = append(rows, ticket("unknown", "AAAA"), ticket("empty", ""), ticket("huge", huge), ticket("invalid UTF-8", "%ff"),
		ticket("duplicate", "AAAA&ticket=BBBB"))
	for _, o := range []q{{asOperator, "GET", "/api/v1/tasks/counts"}, {asOperator, "GET", "/api/v1/whoami"}, {asOperator, "GET", "/api/v1/types"},
		{asOperator, "GET", "/api/v1/openapi.json"}} {
		if o.path == "/api/v1/openapi.json" {
			continue // no authentication, no parameters: it answers whatever the query
		}
		add(o, "(query)", "unknown parameter", "zzz=1", 400, "invalid")
	}
	return rows
}

// nativePathRows: path parameters, bad in form, range and encoding.
func nativePathRows() []row {
	var rows []row
	ids := []struct {
		as           who
		method, tail string
		body         string
	}{{asOperator, "GET", "", ""}, {asOperator, "GET", "/events", ""}, {asOperator, "POST", "/cancel", ""}, {asOperator, "POST", "/pause", ""},
		{asOperator, "POST", "/resume", ""}, {asWorker, "POST", "/heartbeat", `{"worker_id":"w","progress":1}`},
		{asWorker, "POST", "/complete", `{"worker_id":"w"}`}, {asWorker, "POST", "/fail", `{"worker_id":"w"}`}, {asWorker, "POST", "/release", `{"worker_id":"w"}`}}
	for _, o := range ids {
		op := o.method + " /api/v1/tasks/{id}" + o.tail
		for bad, v := range map[string]string{"wrong type": "abc", "zero": "0", "negative": "-4", "huge": "99999999999999999999",
			"invalid UTF-8": "%ff", "fraction": "1.5"} {
			rows = append(rows, row{"native", op, "id", bad, native(o.as, o.method, "/api/v1/tasks/"+v+o.tail, o.body), 400, "invalid"})
		}
		rows = append(rows, row{"native", op, "id", "unknown", native(o.as, o.method, "/api/v1/tasks/999999"+o.tail, o.body), 404, "not_found"},
			row{"native", op, "id", "another tenant's", native(o.as, o.method, "/api/v1/tasks/6"+o.tail, o.body), 404, "not_found"})
	}
	for _, m := range []struct {
		method, body string
		status       int
		code         string
	}{{"GET", "", 404, "not_found"}, {"PUT", `{"name":"db"}`, 400, "invalid"}} {
		op := m.method + " /api/v1/instances/{id}"
		for bad, v := range map[string]string{"malformed": "a%20b", "huge": huge, "invalid UTF-8": "cdb-%ff"} {
			status, code := 400, "invalid"
			if m.method == "GET" {
				status, code = m.status, m.code // a lookup of an id that cannot exist finds nothing
			}
			rows = append(rows, row{"native", op, "id", bad, native(asOperator, m.method, "/api/v1/instances/"+v, m.body), status, code})
		}
	}
	for bad, v := range map[string]string{"malformed": "1abc", "huge": huge, "invalid UTF-8": "K%ff", "a built-in's": "REBOOT"} {
		rows = append(rows, row{"native", "PUT /api/v1/types/{key}", "key", bad, native(asAdmin, "PUT", "/api/v1/types/"+v, `{"description":"d"}`), 400, "invalid"})
	}
	return rows
}

// --- the test ---------------------------------------------------------------

// TestBadInput sends every row to the real handlers and requires the
// documented answer: the dialect's code and HTTP status, never a fault of
// the server, never a panic, and no write.
func TestBadInput(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rows := slices.Concat(tencentRows(), qcloudRows(), huaweiRows(), nativeBodyRows(), nativeQueryRows(), nativePathRows())
	before := snapshot(t, f)
	for _, r := range rows {
		t.Run(r.name(), func(t *testing.T) {
			status, code, body := serve(t, f, r)
			require.Equal(t, r.status, status, "HTTP status; answer: %.300s", body)
			require.Equal(t, r.code, code, "error code; answer: %.300s", body)
		})
	}
	require.Equal(t, before, snapshot(t, f), "bad input wrote nothing")
}

// serve runs a row and reads the dialect's error code from the answer.
func serve(t *testing.T, f *fixture, r row) (status int, code string, body []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("panic: %v", p)
			}
		}()
		f.handlers[r.api].ServeHTTP(w, r.req(f))
	}()
	body = w.Body.Bytes()
	require.Less(t, w.Code, 500, "never a fault of the server: %.300s", body)
	switch r.api {
	case "tencent":
		var out struct {
			Response struct{ Error *struct{ Code string } }
		}
		require.NoError(t, json.Unmarshal(body, &out), "%.300s", body)
		if out.Response.Error != nil {
			code = out.Response.Error.Code
		}
	case "qcloud":
		var out struct{ Code int }
		require.NoError(t, json.Unmarshal(body, &out), "%.300s", body)
		if out.Code != 0 {
			code = strconv.Itoa(out.Code)
		}
	case "huawei":
		var out struct {
			ErrorCode string `json:"error_code"`
		}
		require.NoError(t, json.Unmarshal(body, &out), "%.300s", body)
		code = out.ErrorCode
	case "native":
		if w.Code >= 300 {
			var out api.ErrorBody
			require.NoError(t, json.Unmarshal(body, &out), "%.300s", body)
			require.NotEmpty(t, out.Error.Message)
			code = out.Error.Code
		}
		var batch api.BatchResults // a batch's tasks are refused one by one
		if json.Unmarshal(body, &batch) == nil && len(batch.Results) > 0 && batch.Results[0].Error != nil {
			code = batch.Results[0].Error.Code
		}
	}
	return w.Code, code, body
}

// snapshot is everything of every tenant a request could write: tasks with
// their leases, the history's last seq, instances, types, credentials.
func snapshot(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	page, err := f.env.Svc.ListTasks(ctx, &tc.TaskFilter{Tenant: tc.AllTenants, Limit: 1000,
		Statuses: []tc.Status{tc.StatusWaiting, tc.StatusInitial, tc.StatusRunning, tc.StatusPaused, tc.StatusSucceed, tc.StatusFailed, tc.StatusKilled, tc.StatusRemoved}})
	require.NoError(t, err)
	seq, err := f.env.Store.EventSeq(ctx)
	require.NoError(t, err)
	insts, err := f.env.Svc.ListInstances(ctx, &tc.InstanceFilter{Tenant: tc.AllTenants})
	require.NoError(t, err)
	types, err := f.env.Svc.TaskTypes(ctx)
	require.NoError(t, err)
	for _, v := range []any{page, seq, insts, types} {
		j, err := json.Marshal(v)
		require.NoError(t, err)
		b.Write(j)
		b.WriteByte('\n')
	}
	for _, role := range []tc.Role{tc.RoleAdmin, tc.RoleOperator, tc.RoleReader, tc.RoleWorker} {
		n, err := f.env.Store.CredentialCount(ctx, role)
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s %d\n", role, n)
	}
	return b.String()
}

// TestCatalogueCoversEveryParameter derives the parameters of every way in
// from the code (the dialects' declared parameters, DescribeTasks' input
// struct) and from the native API's OpenAPI document, and requires at least
// one row for each: a new parameter without a row fails here.
func TestCatalogueCoversEveryParameter(t *testing.T) {
	t.Parallel()
	rows := slices.Concat(tencentRows(), qcloudRows(), huaweiRows(), nativeBodyRows(), nativeQueryRows(), nativePathRows())
	have := map[string]bool{}
	for _, r := range rows {
		have[r.api+" "+r.op+" "+r.param] = true
	}
	var want []string
	for _, p := range tencent.Parameters("DescribeTasks") {
		want = append(want, "tencent DescribeTasks "+p)
	}
	for _, p := range qcloud.Parameters("GetCdbRollbackJob") {
		want = append(want, "qcloud GetCdbRollbackJob "+p)
	}
	for _, action := range []string{huawei.ActionListTasks, huawei.ActionShowJobDetail} {
		for _, p := range huawei.Parameters(action) {
			want = append(want, "huawei "+action+" "+p)
		}
	}
	require.Len(t, want, 8+3+8+1, "every dialect declares its parameters")
	want = append(want, openAPIParameters(t)...)
	var missing []string
	for _, w := range want {
		if !have[w] {
			missing = append(missing, w)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "parameters without a row in the bad-input catalogue")
}

// openAPIParameters lists "native METHOD path param" for every parameter of
// every operation of api/openapi.json: query, path and header parameters
// by name, JSON body fields as body.<name>.
func openAPIParameters(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../api/openapi.json")
	require.NoError(t, err)
	require.JSONEq(t, string(api.OpenAPI()), string(raw), "the served document is the file")
	type schema struct {
		Ref        string                     `json:"$ref"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
			RequestBody struct {
				Content map[string]struct {
					Schema schema `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var out []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			prefix := "native " + strings.ToUpper(method) + " " + path + " "
			for _, p := range op.Parameters {
				out = append(out, prefix+p.Name)
			}
			for _, c := range op.RequestBody.Content {
				s := c.Schema
				if s.Ref != "" {
					s = doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
				}
				require.NotEmpty(t, s.Properties, "%s%s: a body schema with its fields", prefix, s.Ref)
				for name := range s.Properties {
					out = append(out, prefix+"body."+name)
				}
			}
		}
	}
	require.Greater(t, len(out), 80)
	return out
}
