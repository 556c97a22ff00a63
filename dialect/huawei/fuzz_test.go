package huawei

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/testenv"
)

// fuzzCheck serves one request and requires a documented answer: JSON, and
// for errors the {error_code, error_msg} body with a 4xx status.
func fuzzCheck(t *testing.T, h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("HTTP %d, not JSON: %v: %s", w.Code, err, w.Body)
	}
	if w.Code >= 400 && (body["error_code"] == nil || body["error_msg"] == nil) {
		t.Fatalf("HTTP %d without {error_code, error_msg}: %s", w.Code, w.Body)
	}
}

// FuzzSigned sends arbitrary paths and queries, correctly signed, so the
// routing and the parameter checks behind the signature are reached.
func FuzzSigned(f *testing.F) {
	for _, s := range []string{
		"start_time=2026-01-01T00:00:00Z&end_time=2026-01-20T00:00:00Z",
		"start_time=2026-01-01T00:00:00%2B0800&end_time=2026-01-02T00:00:00%2B08:00&status=Running&limit=100&offset=3",
		"start_time=2026-01-01T00:00:00Z&end_time=2025-01-01T00:00:00Z", "limit=101", "id=1", "id=abc", "name=RestartInstance",
		"start_time=x&end_time=y", "offset=-1&limit=0",
	} {
		f.Add("/v3.1/ta/jobs", s)
		f.Add("/v3/ta/jobs", s)
	}
	f.Add("/v3/tb/jobs", "id=1")
	f.Add("/v3.1/ta/jobs/", "")
	f.Add("/v3.1//jobs", "")
	env := testenv.New(f)
	key := env.Keys["ta"][tc.KindHuaweiAKSK]
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, path, query string) {
		u, err := url.Parse("http://127.0.0.1" + path)
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		u.RawQuery = query
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		r.URL, r.RequestURI = u, u.RequestURI()
		if err := Sign(r, key.ID, key.Secret, time.Now()); err != nil {
			return
		}
		fuzzCheck(t, h, r)
	})
}

// FuzzUnsigned sends arbitrary authentication headers: the parsing of the
// SDK-HMAC-SHA256 Authorization header, X-Sdk-Date and X-Auth-Token.
func FuzzUnsigned(f *testing.F) {
	f.Add("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc", "20260101T000000Z", "", "ta")
	f.Add("SDK-HMAC-SHA256 Access=", "garbage", "", "ta")
	f.Add("", "", "token", "ta")
	f.Add("Bearer x", "", "", "")
	env := testenv.New(f)
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, auth, date, token, project string) {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/v3.1/ta/jobs?start_time=2026-01-01T00:00:00Z&end_time=2026-01-02T00:00:00Z", nil)
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Sdk-Date", date)
		r.Header.Set("X-Auth-Token", token)
		r.Header.Set("X-Project-Id", project)
		fuzzCheck(t, h, r)
	})
}
