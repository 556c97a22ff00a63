package qcloud_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func params(kv ...string) map[string]string {
	m := map[string]string{"cdbInstanceId": instance}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ids := f.seedRollbacks(t, tenant, instance, 60)
	// Neither other types nor other instances count.
	f.seedTask(t, tenant, tc.TypeReboot, instance, time.Now(), `{}`, nil)
	f.instance(t, tenant, "cdb-other", tc.InstanceNormal)
	f.seedRollbacks(t, tenant, "cdb-other", 2)

	out := f.client.ok(t, call{params: params()})
	require.Equal(t, 60, out.Data.TaskCount)
	require.Equal(t, ids[:qcloud.DefaultLimit], jobIDs(out), "offset 0, limit 50, newest first")
	require.Equal(t, "10", out.Data.TaskList[0].Type, "the newest is a BATCH ROLLBACK")
	require.Equal(t, "1", out.Data.TaskList[1].Type)
	for _, j := range out.Data.TaskList {
		require.Equal(t, instance, j.TaskContext.Data.UInstanceID)
	}
}

func TestLimit100And101(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ids := f.seedRollbacks(t, tenant, instance, 101)

	out := f.client.ok(t, call{params: params("limit", "100")})
	require.Equal(t, 101, out.Data.TaskCount)
	require.Equal(t, ids[:100], jobIDs(out))

	bad := f.client.fails(t, 9003, call{params: params("limit", "101")})
	require.Equal(t, "InvalidParameter", bad.CodeDesc)
	require.Contains(t, bad.Message, "limit")
}

func TestPaging(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ids := f.seedRollbacks(t, tenant, instance, 7)
	var got []string
	for offset := 0; offset < 9; offset += 3 {
		out := f.client.ok(t, call{params: params("offset", strconv.Itoa(offset), "limit", "3")})
		require.Equal(t, 7, out.Data.TaskCount, "the total ignores paging")
		got = append(got, jobIDs(out)...)
	}
	require.Equal(t, ids, got, "pages in order, none lost, none twice")

	past := f.client.ok(t, call{params: params("offset", "100")})
	require.Equal(t, 7, past.Data.TaskCount)
	require.Empty(t, past.Data.TaskList)
	require.NotNil(t, past.Data.TaskList, "an empty page is [], not null")
}

func TestBadPaging(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	for _, tt := range []struct {
		name, key, val string
		code           int
	}{
		{"negative offset", "offset", "-1", 9003},
		{"zero limit", "limit", "0", 9003},
		{"negative limit", "limit", "-5", 9003},
		{"text limit", "limit", "ten", 4000},
		{"fractional offset", "offset", "1.5", 4000},
		{"huge offset", "offset", "99999999999999999999", 4000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.client.fails(t, tt.code, call{params: params(tt.key, tt.val)})
		})
	}
}

func TestWrongSignature(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	for _, tt := range []struct {
		name string
		c    call
	}{
		{"another key", call{secretKey: "not-the-secret-key"}},
		{"a parameter changed after signing", call{tamper: func(q url.Values) { q.Set("offset", "1") }}},
		{"a parameter added after signing", call{tamper: func(q url.Values) { q.Set("extra", "1") }}},
		{"signed as POST, sent as GET", call{signAs: http.MethodPost}},
		{"HmacSHA256 announced, HmacSHA1 used", call{tamper: func(q url.Values) { q.Set("SignatureMethod", "HmacSHA256") }}},
		{"not base64", call{tamper: func(q url.Values) { q.Set("Signature", "%%%") }}},
		{"empty signature of the right length", call{tamper: func(q url.Values) { q.Set("Signature", strings.Repeat("A", 27)+"=") }}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.c.params = params()
			out := f.client.fails(t, 4100, tt.c)
			require.Equal(t, "AuthFailure", out.CodeDesc)
		})
	}
}

func TestStaleTimestamp(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	now := time.Now()
	for _, ts := range []time.Time{now.Add(-6 * time.Minute), now.Add(6 * time.Minute), time.Unix(1465185768, 0)} {
		out := f.client.fails(t, 4500, call{params: params(), timestamp: ts.Unix()})
		require.Contains(t, out.Message, "Timestamp")
	}
	f.client.ok(t, call{params: params(), timestamp: now.Add(-4 * time.Minute).Unix()})
	f.client.ok(t, call{params: params(), timestamp: now.Add(4 * time.Minute).Unix()})
}

func TestReplayedNonce(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ts := time.Now().Unix()
	c := call{params: params(), timestamp: ts, nonce: "424242"}
	f.client.ok(t, c)
	out := f.client.fails(t, 4500, c)
	require.Contains(t, out.Message, "Nonce")

	// The same Nonce is refused for this key whatever else changes...
	f.client.fails(t, 4500, call{params: params("offset", "1"), timestamp: ts + 1, nonce: "424242", method: http.MethodPost})
	// ...and free for another key.
	other := f.key(t, tenant)
	other.ok(t, call{params: params(), timestamp: ts, nonce: "424242"})

	// A request refused before the Nonce check does not burn its Nonce.
	f.client.fails(t, 4100, call{params: params(), nonce: "777", secretKey: "wrong"})
	f.client.fails(t, 4500, call{params: params(), nonce: "778", timestamp: ts - 3600})
	f.client.ok(t, call{params: params(), nonce: "777"})
	f.client.ok(t, call{params: params(), nonce: "778"})
}

// TestReplayedNonceAcrossReplicas: replicas behind one address that share a
// PostgreSQL store refuse a Nonce that another of them served.
func TestReplayedNonceAcrossReplicas(t *testing.T) {
	t.Parallel()
	pg, err := postgres.Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close() })
	require.NoError(t, pg.Migrate(context.Background()))
	f := setup(t, qcloud.Options{})
	replicas := []http.Handler{qcloud.NewHandler(f.svc, qcloud.Options{Nonces: pg}), qcloud.NewHandler(f.svc, qcloud.Options{Nonces: pg})}
	var turn atomic.Int64 // a balancer sending requests to each replica in turn
	mux := http.NewServeMux()
	mux.Handle("/v2/index.php", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		replicas[turn.Add(1)%2].ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := *f.client
	client.endpoint = srv.URL

	c := call{params: params(), timestamp: time.Now().Unix(), nonce: "515151"}
	client.ok(t, c)
	out := client.fails(t, 4500, c)
	require.Contains(t, out.Message, "Nonce")
	client.ok(t, call{params: params(), timestamp: time.Now().Unix(), nonce: "525252"})
}

func TestReplayRace(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	c := call{params: params(), timestamp: time.Now().Unix(), nonce: "99"}
	const n = 8
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i] = f.client.get(t, c).Code })
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		if code == 0 {
			ok++
		} else {
			require.Equal(t, 4500, code)
		}
	}
	require.Equal(t, 1, ok, "exactly one of concurrent identical requests passes")
}

func TestMissingParameters(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	out := f.client.fails(t, 4000, call{params: map[string]string{}})
	require.Contains(t, out.Message, "cdbInstanceId")
	f.client.fails(t, 4000, call{params: params("cdbInstanceId", "")})
	f.client.fails(t, 4000, call{params: params("cdbInstanceId", "cdb/../x")})
	for _, name := range []string{"Action", "SecretId", "Signature", "Timestamp", "Nonce"} {
		out := f.client.fails(t, 4000, call{params: params(), tamper: func(q url.Values) { q.Del(name) }})
		require.Contains(t, out.Message, name)
	}
	for _, bad := range [][2]string{{"Timestamp", "soon"}, {"Nonce", "0"}, {"Nonce", "-3"}, {"Nonce", "abc"}} {
		f.client.fails(t, 4000, call{params: params(), tamper: func(q url.Values) { q.Set(bad[0], bad[1]) }})
	}
	out = f.client.fails(t, 4000, call{params: params("Action", "DescribeCdbInstances")})
	require.Contains(t, out.Message, "DescribeCdbInstances")
	f.client.fails(t, 4000, call{params: params(), tamper: func(q url.Values) { q.Add("cdbInstanceId", instance) }})
}

func TestUnknownInstance(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	out := f.client.fails(t, 9003, call{params: params("cdbInstanceId", "cdb-nothere")})
	require.Equal(t, "InvalidParameter", out.CodeDesc)
	require.Contains(t, out.Message, "cdb-nothere")
}

func TestAnotherTenantsInstance(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	f.instance(t, "globex", "cdb-globex", tc.InstanceNormal)
	f.seedRollbacks(t, "globex", "cdb-globex", 3)

	foreign := f.client.fails(t, 9003, call{params: params("cdbInstanceId", "cdb-globex")})
	unknown := f.client.fails(t, 9003, call{params: params("cdbInstanceId", "cdb-nothere")})
	require.Equal(t, strings.ReplaceAll(unknown.Message, "cdb-nothere", "cdb-globex"), foreign.Message,
		"a foreign instance reads exactly like an unknown one")

	// The same instance id in two tenants: each sees only its own tasks.
	f.instance(t, "globex", instance, tc.InstanceNormal)
	theirs := f.seedRollbacks(t, "globex", instance, 4)
	mine := f.seedRollbacks(t, tenant, instance, 2)
	out := f.client.ok(t, call{params: params()})
	require.Equal(t, 2, out.Data.TaskCount)
	require.Equal(t, mine, jobIDs(out))
	globex := f.key(t, "globex")
	require.Equal(t, theirs, jobIDs(globex.ok(t, call{params: params()})))
}

func TestAbnormalInstance(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	f.instance(t, tenant, "cdb-isolated", "isolated")
	f.seedRollbacks(t, tenant, "cdb-isolated", 1)
	out := f.client.fails(t, 9593, call{params: params("cdbInstanceId", "cdb-isolated")})
	require.Equal(t, "IncorrectInstanceStatus", out.CodeDesc)
	require.Contains(t, out.Message, "isolated")
}

func TestParameterSources(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ids := f.seedRollbacks(t, tenant, instance, 2)

	post := f.client.ok(t, call{method: http.MethodPost, params: params()})
	require.Equal(t, ids, jobIDs(post), "POST reads the form body")

	// GET reads only the query, POST only the body.
	out := f.client.fails(t, 4000, call{method: http.MethodGet, paramsIn: "body", params: params()})
	require.Contains(t, out.Message, "Action")
	f.client.fails(t, 4000, call{method: http.MethodPost, paramsIn: "query", params: params()})

	// A POST signs "POST": the same parameters signed for GET fail.
	f.client.fails(t, 4100, call{method: http.MethodPost, signAs: http.MethodGet, params: params()})

	status, body := f.client.send(t, call{method: http.MethodPut, params: params()})
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"code":4600`)
}

func TestPOSTNeedsAForm(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	q := f.client.values(call{method: http.MethodPost, params: params()})
	resp, err := http.Post(f.url+"/v2/index.php", "application/json", strings.NewReader(q.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out wireList
	require.NoError(t, decodeBody(resp, &out))
	require.Equal(t, 4000, out.Code)
}

func TestHmacSHA256(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ids := f.seedRollbacks(t, tenant, instance, 3)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		out := f.client.ok(t, call{method: method, sigMethod: "HmacSHA256", params: params()})
		require.Equal(t, ids, jobIDs(out))
	}
	// Explicit HmacSHA1, and as in the SDKs any other name, mean HmacSHA1.
	f.client.ok(t, call{sigMethod: "HmacSHA1", params: params()})
	f.client.ok(t, call{sigMethod: "HmacSHA512", params: params()})
}

func TestKeys(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	nobody := &specClient{endpoint: f.url, secretID: "AKIDnobody", secretKey: "x"}
	out := nobody.fails(t, 4104, call{params: params()})
	require.Equal(t, "AuthFailure.SecretIdNotFound", out.CodeDesc)

	huawei, secret, err := f.svc.CreateCredential(context.Background(), &tc.CreateCredentialParams{Tenant: tenant, Kind: tc.KindHuaweiAKSK})
	require.NoError(t, err)
	aksk := &specClient{endpoint: f.url, secretID: huawei.ID, secretKey: secret}
	aksk.fails(t, 4104, call{params: params()})

	out = f.client.fails(t, 4105, call{params: params("Token", "temporary")})
	require.Equal(t, "AuthFailure.TokenFailure", out.CodeDesc)
	f.client.ok(t, call{params: params("Token", "")})
}

// limiter allows the first n requests of each key.
type limiter struct {
	mu   sync.Mutex
	n    int
	keys map[string]int
}

func (l *limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[key]++
	return l.keys[key] <= l.n
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	lim := &limiter{n: 2, keys: map[string]int{}}
	f := setup(t, qcloud.Options{Limiter: lim})
	f.client.fails(t, 4100, call{params: params(), secretKey: "wrong"})
	f.client.ok(t, call{params: params()})
	f.client.ok(t, call{params: params()})
	out := f.client.fails(t, 4400, call{params: params()})
	require.Equal(t, "RequestLimitExceeded", out.CodeDesc)
	require.Equal(t, map[string]int{"qcloud:" + f.client.secretID + ":GetCdbRollbackJob": 3}, lim.keys,
		"one key per SecretId and Action; a bad signature spends nothing")
}

func TestTaskFields(t *testing.T) {
	t.Parallel()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	f := setup(t, qcloud.Options{Location: shanghai})
	created := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	tables := `{"operator":"100001","rollbackTime":"2026-03-01 08:00:00","strategy":"quick",
		"tables":[{"db":"shop","table":[{"tablename":"orders","newname":"orders_bak"},{"tablename":"users","newname":"users_bak"}]}]}`
	failed := f.seedTask(t, tenant, tc.TypeRollback, instance, created, tables, func(t *tc.Task) {
		t.Status, t.Progress, t.Code, t.Message = tc.StatusFailed, 30, 1205, "lock wait timeout"
		t.EndedAt = created.Add(90 * time.Second)
	})
	running := f.seedTask(t, tenant, tc.TypeBatchRollback, instance, created.Add(time.Hour), dbsContext, func(t *tc.Task) {
		t.Status, t.Progress, t.Message = tc.StatusRunning, 40, "restoring test"
	})

	out := f.client.ok(t, call{params: params()})
	require.Equal(t, []string{jobID(running), jobID(failed)}, jobIDs(out))

	r := out.Data.TaskList[0]
	require.Equal(t, "0", r.Code)
	require.Equal(t, "", r.Message, "no error message while it runs")
	require.Equal(t, "restoring test", r.TaskMessage)
	require.Equal(t, "2026-03-01 10:00:00", r.StartTime, "in the configured zone")
	require.Equal(t, qcloud.NotEnded, r.EndTime)
	require.Equal(t, "40", r.Progress)
	require.Equal(t, "40", r.TaskProgress)
	require.Equal(t, 0, r.Status)
	require.Equal(t, "0", r.TaskStatus)
	require.Equal(t, "10", r.Type)
	require.Equal(t, "test, test_bak", r.Name)
	require.Equal(t, "test_bakee, test_bak_bak", r.NewName)

	x := out.Data.TaskList[1]
	require.Equal(t, "1205", x.Code)
	require.Equal(t, "lock wait timeout", x.Message)
	require.Equal(t, "lock wait timeout", x.TaskMessage)
	require.Equal(t, "2026-03-01 09:00:00", x.StartTime)
	require.Equal(t, "2026-03-01 09:01:30", x.EndTime)
	require.Equal(t, 3, x.Status)
	require.Equal(t, "3", x.TaskStatus)
	require.Equal(t, "1", x.Type)
	require.Equal(t, "shop.orders, shop.users", x.Name)
	require.Equal(t, "shop.orders_bak, shop.users_bak", x.NewName)
	d := x.TaskContext.Data
	require.Equal(t, "100001", d.Operator)
	require.Equal(t, "2026-03-01 08:00:00", d.RollbackTime)
	require.Empty(t, d.DBs)
	require.Len(t, d.Tables, 1)
	require.Equal(t, "shop", d.Tables[0].DB)
	require.Equal(t, "users_bak", d.Tables[0].Table[1].NewName)
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	want := map[tc.Status]int{
		tc.StatusWaiting: 0, tc.StatusInitial: 0, tc.StatusRunning: 0, tc.StatusPaused: 0,
		tc.StatusSucceed: 2, tc.StatusFailed: 3, tc.StatusKilled: 4,
	}
	byID := map[string]int{}
	start := time.Now().Add(-time.Hour)
	for i, s := range tc.Statuses {
		task := f.seedTask(t, tenant, tc.TypeRollback, instance, start.Add(time.Duration(i)*time.Second), dbsContext,
			func(t *tc.Task) { t.Status = s })
		if code, listed := want[s]; listed {
			byID[jobID(task)] = code
		}
	}
	out := f.client.ok(t, call{params: params()})
	require.Equal(t, len(want), out.Data.TaskCount, "REMOVED tasks are not listed")
	for _, j := range out.Data.TaskList {
		require.Equal(t, byID[j.JobID], j.Status, j.JobID)
		require.Equal(t, strconv.Itoa(byID[j.JobID]), j.TaskStatus)
	}
}

// TestSubmittedContext submits rollback tasks the way the native API and
// the CLI do, through the Service, and reads their context back.
func TestSubmittedContext(t *testing.T) {
	t.Parallel()
	f := setup(t, qcloud.Options{})
	ctx := context.Background()
	task, _, err := f.svc.SubmitTask(ctx, &tc.SubmitTaskParams{
		Tenant: tenant, Type: tc.TypeBatchRollback, InstanceIDs: []string{instance}, Context: []byte(dbsContext),
	})
	require.NoError(t, err)
	out := f.client.ok(t, call{params: params()})
	require.Equal(t, []string{jobID(task)}, jobIDs(out))
	d := out.Data.TaskList[0].TaskContext.Data
	require.Equal(t, "231323", d.Operator)
	require.Len(t, d.DBs, 2)
	require.Equal(t, "test_bak_bak", d.DBs[1].NewName)

	for _, bad := range []string{`{}`, `{"dbs":[{"dbname":"test"}]}`, `{"tables":[{"db":"d","table":[{"tablename":"t"}]}]}`, `{"dbs":"test"}`} {
		_, _, err := f.svc.SubmitTask(ctx, &tc.SubmitTaskParams{
			Tenant: tenant, Type: tc.TypeRollback, InstanceIDs: []string{instance}, Context: []byte(bad),
		})
		require.Equal(t, tc.EINVALID, tc.ErrorCode(err), bad)
	}
}
