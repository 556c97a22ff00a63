package tencent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestV1DocumentVector is the HmacSHA256 example of the "签名方法" document
// (spec §4.1), on its string to sign exactly as printed, and the byte order
// the SDKs, and so the server, sort parameters in.
func TestV1DocumentVector(t *testing.T) {
	t.Parallel()
	const printed = "GETcdb.api.qcloud.com/v2/index.php?Action=DescribeCdbInstances&cdbInstanceIds.0=cdb-09dx96dg&Nonce=11886" +
		"&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768"
	require.Equal(t, "ngb/op13o8wff5ZpBsK7ZSvH+gKmChu95PgXPG2P5oQ=", v1Signature(HmacSHA256, "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA", printed))

	params := url.Values{"Action": {"DescribeCdbInstances"}, "cdbInstanceIds.0": {"cdb-09dx96dg"}, "Nonce": {"11886"},
		"Region": {"ap-guangzhou"}, "SecretId": {"AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"}, "SignatureMethod": {"HmacSHA256"},
		"Timestamp": {"1465185768"}, "Signature": {"left out"}}
	require.Equal(t, "GETcdb.api.qcloud.com/v2/index.php?Action=DescribeCdbInstances&Nonce=11886&Region=ap-guangzhou"+
		"&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768&cdbInstanceIds.0=cdb-09dx96dg",
		v1StringToSign(http.MethodGet, "cdb.api.qcloud.com", "/v2/index.php", params))

	order := v1StringToSign(http.MethodGet, "h", "/", url.Values{"InstanceIds.2": {"b"}, "InstanceIds.12": {"a"}})
	require.Equal(t, "GETh/?InstanceIds.12=a&InstanceIds.2=b", order)
}

// TestV1ProbeRequest posts the exact form body of the spec's probe (§5.3
// case 3, HmacSHA256): the server rebuilds the printed string to sign and
// accepts the SDK's signature.
func TestV1ProbeRequest(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	const body = "Action=DescribeTasks&InstanceId=cdb-c1nl9rpv&Language=zh-CN&Limit=20&Nonce=5325471902082285693&Offset=0" +
		"&Region=ap-guangzhou&RequestClient=SDK_GO_1.3.210&SecretId=AKIDEXAMPLE&Signature=wiQrwlmFs%2BHNSqT5floaVQ%2FehDWCH8P6ygtuKLiB3dU%3D" +
		"&SignatureMethod=HmacSHA256&StartTimeBegin=2017-12-31+10%3A40%3A01&TaskStatus.0=1&TaskStatus.1=2&TaskTypes.0=1&TaskTypes.1=7" +
		"&Timestamp=1795402054&Version=2017-03-20"
	params, err := url.ParseQuery(body)
	require.NoError(t, err)
	require.Equal(t, "POST127.0.0.1:37975/?Action=DescribeTasks&InstanceId=cdb-c1nl9rpv&Language=zh-CN&Limit=20&Nonce=5325471902082285693"+
		"&Offset=0&Region=ap-guangzhou&RequestClient=SDK_GO_1.3.210&SecretId=AKIDEXAMPLE&SignatureMethod=HmacSHA256"+
		"&StartTimeBegin=2017-12-31 10:40:01&TaskStatus.0=1&TaskStatus.1=2&TaskTypes.0=1&TaskTypes.1=7&Timestamp=1795402054&Version=2017-03-20",
		v1StringToSign(http.MethodPost, probeHost, "/", params))

	r := httptest.NewRequest(http.MethodPost, "http://"+probeHost+"/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.Empty(t, f.errorCode(t, r))
	require.Equal(t, &tc.TaskFilter{Tenant: "acme", InstanceID: "cdb-c1nl9rpv", Types: []string{tc.TypeRollback, tc.TypeReboot},
		Statuses: []tc.Status{tc.StatusRunning, tc.StatusSucceed}, CreatedAfter: time.Date(2017, 12, 31, 10, 40, 1, 0, time.UTC),
		Limit: 20, Summary: true}, f.svc.lastFilter(t))
}

// TestV1Methods signs with each method over GET and POST; a missing or
// unknown SignatureMethod means HmacSHA1.
func TestV1Methods(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	params := url.Values{"TaskTypes.0": {"7"}, "StartTimeEnd": {"2017-12-31 10:40:01"}}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, sm := range []string{HmacSHA1, HmacSHA256, "", "HmacMD5"} {
			require.Empty(t, f.errorCode(t, f.v1(method, sm, probeKey, params)), "%s %q", method, sm)
			require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(method, sm, probeKey+"x", params)), "%s %q", method, sm)
		}
	}
	// A signature made with SHA-1 does not pass for SHA-256.
	r := f.v1(http.MethodGet, HmacSHA1, probeKey, nil)
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "SignatureMethod=HmacSHA1", "SignatureMethod=HmacSHA256", 1)
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, r))
}

// TestUnflatten decodes TaskTypes.N-style parameters as the SDK flattens them.
func TestUnflatten(t *testing.T) {
	t.Parallel()
	var in describeTasksInput
	require.Nil(t, unflatten(url.Values{"TaskTypes.10": {"13"}, "TaskTypes.2": {"2"}, "TaskTypes.0": {"1"},
		"InstanceId": {"cdb-1"}, "Limit": {"5"}, "Action": {"DescribeTasks"}, "Signature": {"x"}}, &in))
	require.Equal(t, "cdb-1", *in.InstanceID)
	require.Equal(t, int64(5), *in.Limit)
	require.Nil(t, in.Offset)
	require.Equal(t, ptrs[int64](1, 2, 13), in.TaskTypes, "ordered by index, not by text")

	for _, c := range []struct {
		params url.Values
		code   string
	}{
		{url.Values{"Foo": {"1"}}, CodeUnknownParameter},
		{url.Values{"limit": {"1"}}, CodeUnknownParameter},
		{url.Values{"TaskTypes": {"1"}}, CodeInvalidParameter},
		{url.Values{"Limit.0": {"1"}}, CodeInvalidParameter},
		{url.Values{"TaskTypes.x": {"1"}}, CodeInvalidParameter},
		{url.Values{"TaskTypes.01": {"1"}}, CodeInvalidParameter},
		{url.Values{"TaskTypes.-1": {"1"}}, CodeInvalidParameter},
		{url.Values{"TaskTypes.0": {"seven"}}, CodeInvalidParameter},
		{url.Values{"Limit": {"1.5"}}, CodeInvalidParameter},
		{url.Values{"Limit": {"1", "2"}}, CodeInvalidParameter},
	} {
		var in describeTasksInput
		err := unflatten(c.params, &in)
		require.NotNil(t, err, "%v", c.params)
		require.Equal(t, c.code, err.code, "%v", c.params)
	}
}

func ptrs[T any](vs ...T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// TestV1Replay: a v1 request is served once; the same (SecretId, Nonce,
// Timestamp) again within the window is AuthFailure.SignatureFailure, while
// a request refused before the replay check (rate limit, bad signature,
// stale timestamp) leaves its Nonce unspent, so the SDK's retry of
// RequestLimitExceeded still gets through.
func TestV1Replay(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		nonce := url.Values{"Nonce": {map[string]string{http.MethodGet: "4242", http.MethodPost: "4343"}[method]}}
		f.limiter.refuse = true
		require.Equal(t, CodeRequestLimitExceeded, f.errorCode(t, f.v1(method, HmacSHA256, probeKey, nonce)), method)
		f.limiter.refuse = false
		require.Empty(t, f.errorCode(t, f.v1(method, HmacSHA256, probeKey, nonce)), "the retry after the rate limit, %s", method)
		a := f.call(t, f.v1(method, HmacSHA256, probeKey, nonce))
		require.NotNil(t, a.Response.Error, method)
		require.Equal(t, CodeSignatureFailure, a.Response.Error.Code, method)
		require.Contains(t, a.Response.Error.Message, "Nonce", method)
		require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(method, HmacSHA1, probeKey, nonce)),
			"the other hash is the same request, %s", method)
	}

	// The same Nonce with another Timestamp is another request.
	later := url.Values{"Nonce": {"4242"}, "Timestamp": {strconv.FormatInt(f.now.Unix()+1, 10)}}
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, later)))

	// Refused before the check: the Nonce stays unspent.
	fresh := url.Values{"Nonce": {"777"}}
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, "wrong key", fresh)))
	stale := url.Values{"Nonce": {"777"}, "Timestamp": {strconv.FormatInt(f.now.Unix()-3600, 10)}}
	require.Equal(t, CodeSignatureExpire, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, stale)))
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, fresh)))

	// TC3 carries no Nonce and is unaffected: the same signed request twice
	// is served twice, as before.
	require.Empty(t, f.errorCode(t, f.tc3Post(`{}`, probeKey, nil)))
	require.Empty(t, f.errorCode(t, f.tc3Post(`{}`, probeKey, nil)))
}

// pgNonces is a migrated PostgreSQL store in a schema of the test's own.
func pgNonces(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// TestV1ReplayAcrossReplicas: replicas that share a PostgreSQL store refuse
// a v1 request that another of them served.
func TestV1ReplayAcrossReplicas(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	store := pgNonces(t)
	replica := func() http.Handler {
		return NewHandler(f.svc, Options{Limiter: f.limiter, Now: func() time.Time { return f.now }, Nonces: store})
	}
	a, b := replica(), replica()
	first, second := url.Values{"Nonce": {"5151"}}, url.Values{"Nonce": {"5252"}}
	f.serve(a)
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, first)))
	f.serve(b)
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, first)), "replayed to the other replica")
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, second)))
	f.serve(a)
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, second)))

	// Also in the last second of the window, which the clock checks count
	// in whole seconds.
	third := url.Values{"Nonce": {"5353"}, "Timestamp": {strconv.FormatInt(f.now.Unix(), 10)}}
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, third)))
	f.now = f.now.Add(MaxClockSkew + 999*time.Millisecond)
	f.serve(b)
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, third)))
}

// flakyNonces is a shared Nonce store that fails while fail is set.
type flakyNonces struct {
	tc.NonceStore
	fail atomic.Bool
}

func (f *flakyNonces) NonceUse(ctx context.Context, tenant, key string, nonce uint64, stamp int64, now, expires time.Time) (bool, error) {
	if f.fail.Load() {
		return false, tc.Errorf(tc.EUNAVAILABLE, "database unavailable")
	}
	return f.NonceStore.NonceUse(ctx, tenant, key, nonce, stamp, now, expires)
}

// TestV1NonceStoreFails: when the shared store cannot record a Nonce, the
// request is refused as InternalError and the Nonce stays unspent, so the
// SDK's retry goes through once the store is back.
func TestV1NonceStoreFails(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	store := &flakyNonces{NonceStore: pgNonces(t)}
	store.fail.Store(true)
	f.serve(NewHandler(f.svc, Options{Limiter: f.limiter, Now: func() time.Time { return f.now }, Nonces: store}))
	nonce := url.Values{"Nonce": {"6161"}}
	require.Equal(t, CodeInternalError, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, nonce)))
	store.fail.Store(false)
	require.Empty(t, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, nonce)), "the same request, on the same replica")
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.v1(http.MethodGet, HmacSHA256, probeKey, nonce)))
}
