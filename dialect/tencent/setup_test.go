package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The identity of the spec's probe (§5.3): its SecretId, the key that
// reproduces its v1 signature, its host and its clock.
const (
	probeID        = "AKIDEXAMPLE"
	probeKey       = "SECRETKEYEXAMPLE"
	probeHost      = "127.0.0.1:37975"
	probeTimestamp = 1795402054
	exampleReqID   = "9a4b22f5-0f93-4a72-ba05-1eb6cdf37a1e" // the RequestId of the spec's example
)

// fakeService answers what the handler asks of a taskcenter.Service and
// records the filters it is given. Other methods are not called.
type fakeService struct {
	tc.Service

	creds     map[string]*tc.Credential
	instances map[string]string // id -> tenant
	custom    []tc.TaskType     // operator-defined types
	page      *tc.TaskPage
	err       error // returned by ListTasks

	mu      sync.Mutex
	filters []*tc.TaskFilter
}

func (f *fakeService) Credential(_ context.Context, id string) (*tc.Credential, error) {
	if c, ok := f.creds[id]; ok {
		return c, nil
	}
	return nil, tc.ErrNotFound
}

func (f *fakeService) GetInstance(_ context.Context, tenant, id string) (*tc.Instance, error) {
	if f.instances[id] != tenant {
		return nil, tc.Errorf(tc.ENOTFOUND, "instance %q not found", id)
	}
	return &tc.Instance{ID: id, Tenant: tenant}, nil
}

func (f *fakeService) TaskTypes(context.Context) ([]tc.TaskType, error) {
	return append(tc.BuiltinTypes(), f.custom...), nil
}

// ListTasks answers f.page, or, as a store scoped to the tenant does, an
// empty page for an instance the tenant does not have.
func (f *fakeService) ListTasks(_ context.Context, filter *tc.TaskFilter) (*tc.TaskPage, error) {
	f.mu.Lock()
	f.filters = append(f.filters, filter)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if !f.owns(filter) {
		return &tc.TaskPage{}, nil
	}
	return f.page, nil
}

// owns reports whether the filter names no instance or one of its tenant's.
func (f *fakeService) owns(filter *tc.TaskFilter) bool {
	return filter.InstanceID == "" || f.instances[filter.InstanceID] == filter.Tenant
}

// requireNothingListed checks that no request listed tasks it may not: the
// only lists allowed are of an instance the tenant does not have, which
// show nothing and are then refused.
func (f *fakeService) requireNothingListed(t *testing.T, msg string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, filter := range f.filters {
		require.False(t, f.owns(filter), "%s: listed %+v", msg, filter)
	}
}

// lastFilter is the filter of the last ListTasks.
func (f *fakeService) lastFilter(t *testing.T) *tc.TaskFilter {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.filters, "ListTasks was called")
	return f.filters[len(f.filters)-1]
}

// limiter allows a key until it is refused, and records the keys.
type limiter struct {
	mu     sync.Mutex
	keys   []string
	refuse bool
}

func (l *limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	return !l.refuse
}

// fixture is the handler under test with its fakes. Tenant acme holds the
// probe's credential and instance cdb-c1nl9rpv; globex holds cdb-other.
type fixture struct {
	h       http.Handler
	svc     *fakeService
	limiter *limiter
	now     time.Time
}

func setup(t testing.TB, loc *time.Location) *fixture {
	t.Helper()
	f := &fixture{
		svc: &fakeService{
			creds: map[string]*tc.Credential{
				probeID:       {ID: probeID, Tenant: "acme", Kind: tc.KindTencent, Role: tc.RoleReader, Secret: probeKey},
				"tok-NATIVE1": {ID: "tok-NATIVE1", Tenant: "acme", Kind: tc.KindNative, Role: tc.RoleReader},
			},
			instances: map[string]string{"cdb-c1nl9rpv": "acme", "cdb-other": "globex"},
			page:      &tc.TaskPage{Tasks: []*tc.Task{}},
		},
		limiter: &limiter{},
		now:     time.Unix(probeTimestamp, 0),
	}
	f.serve(NewHandler(f.svc, Options{Location: loc, Limiter: f.limiter, Now: func() time.Time { return f.now }}))
	return f
}

// serve makes h the handler of the fixture's requests.
func (f *fixture) serve(h http.Handler) {
	// As the server does: every request carries an id.
	f.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(tc.WithRequestID(r.Context(), exampleReqID)))
	})
}

// do serves r and returns the status and body.
func (f *fixture) do(t *testing.T, r *http.Request) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	return rec.Code, rec.Body.Bytes()
}

// answer is a decoded Response.
type answer struct {
	Response struct {
		Error *struct {
			Code    string
			Message string
		}
		TotalCount *int
		Items      []map[string]any
		RequestID  string `json:"RequestId"`
	}
}

// call serves r and decodes the answer, which is always HTTP 200 with a
// RequestId.
func (f *fixture) call(t *testing.T, r *http.Request) *answer {
	t.Helper()
	status, body := f.do(t, r)
	require.Equal(t, http.StatusOK, status, "every answer is 200, errors too")
	var a answer
	require.NoError(t, json.Unmarshal(body, &a), string(body))
	require.Equal(t, exampleReqID, a.Response.RequestID, string(body))
	return &a
}

// errorCode serves r and returns the error code of the answer, "" for success.
func (f *fixture) errorCode(t *testing.T, r *http.Request) string {
	t.Helper()
	a := f.call(t, r)
	if a.Response.Error == nil {
		require.NotNil(t, a.Response.TotalCount)
		return ""
	}
	require.NotEmpty(t, a.Response.Error.Message)
	return a.Response.Error.Code
}

// tc3Post is a DescribeTasks POST with a JSON body, signed with TC3 by key
// at the fixture's time; headers override or add X-TC-* headers.
func (f *fixture) tc3Post(body, key string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://"+probeHost+"/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return f.tc3Sign(r, []byte(body), key, headers)
}

// tc3Get is a DescribeTasks GET with the query as given, signed with TC3.
func (f *fixture) tc3Get(query, key string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://"+probeHost+"/?"+query, nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.tc3Sign(r, nil, key, headers)
}

func (f *fixture) tc3Sign(r *http.Request, body []byte, key string, headers map[string]string) *http.Request {
	r.Header.Set("X-TC-Action", "DescribeTasks")
	r.Header.Set("X-TC-Version", Version)
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	SignTC3(r, body, Service, probeID, key, f.now)
	return r
}

// nonces gives each v1 request its own Nonce, as the SDK does: the server
// refuses one it has served already.
var nonces atomic.Int64

// v1 is a DescribeTasks request signed with HmacSHA1 or HmacSHA256 by key:
// the parameters in the query of a GET or the form body of a POST.
func (f *fixture) v1(method, signatureMethod, key string, params url.Values) *http.Request {
	p := url.Values{"Action": {"DescribeTasks"}, "Version": {Version}, "Region": {"ap-guangzhou"},
		"Timestamp": {strconv.FormatInt(f.now.Unix(), 10)}, "Nonce": {strconv.FormatInt(nonces.Add(1), 10)}, "SecretId": {probeID}}
	if signatureMethod != "" {
		p.Set("SignatureMethod", signatureMethod)
	}
	for k, v := range params {
		p[k] = v
	}
	p.Set("Signature", v1Signature(signatureMethod, key, v1StringToSign(method, probeHost, "/", p)))
	if method == http.MethodGet {
		return httptest.NewRequest(method, "http://"+probeHost+"/?"+p.Encode(), nil)
	}
	r := httptest.NewRequest(method, "http://"+probeHost+"/", strings.NewReader(p.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test -update", path)
}

// indent re-indents a JSON document for a readable golden file.
func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", "  "))
	return append(out.Bytes(), '\n')
}
