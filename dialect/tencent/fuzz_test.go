package tencent

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/testenv"
)

// fuzzCheck serves one request and requires what every answer must be:
// HTTP 200, the JSON envelope with a RequestId, never an internal error.
func fuzzCheck(t *testing.T, h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	var resp struct {
		Response struct {
			RequestID string `json:"RequestId"`
			Error     *struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("not JSON: %v: %s", err, w.Body)
	}
	if resp.Response.Error != nil && resp.Response.Error.Code == CodeInternalError {
		t.Fatalf("internal error: %s", w.Body)
	}
}

// FuzzTC3 sends arbitrary JSON bodies, correctly signed with TC3, so the
// decoding behind the signature check is reached.
func FuzzTC3(f *testing.F) {
	for _, s := range []string{`{}`, `{"Limit":100,"Offset":1}`, `{"InstanceId":"cdb-ta1","TaskTypes":[1,7],"TaskStatus":[0,1,5]}`,
		`{"StartTimeBegin":"2024-01-01 00:00:00","StartTimeEnd":"2024-01-02 00:00:00"}`, `{"AsyncRequestId":"req-ta-1"}`,
		`{"Limit":-1}`, `{"TaskTypes":[null]}`, `{"Nope":1}`, `[]`, `{"Limit":1e99}`} {
		f.Add([]byte(s), "DescribeTasks", Version)
	}
	env := testenv.New(f)
	key := env.Keys["ta"][tc.KindTencent]
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, body []byte, action, version string) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-TC-Action", action)
		r.Header.Set("X-TC-Version", version)
		SignTC3(r, body, Service, key.ID, key.Secret, time.Now())
		fuzzCheck(t, h, r)
	})
}

// FuzzV1 sends arbitrary parameters, correctly signed with HmacSHA256.
func FuzzV1(f *testing.F) {
	for _, s := range []string{"", "Limit=5&Offset=2", "TaskTypes.0=1&TaskTypes.1=7&TaskStatus.0=2", "InstanceId=cdb-tb1",
		"TaskTypes.9=1", "TaskTypes.x=1", "Limit=abc", "StartTimeBegin=2024-13-01%2000:00:00"} {
		f.Add(s, http.MethodGet)
		f.Add(s, http.MethodPost)
	}
	env := testenv.New(f)
	key := env.Keys["ta"][tc.KindTencent]
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, query, method string) {
		params, err := url.ParseQuery(query)
		if err != nil || (method != http.MethodGet && method != http.MethodPost) {
			return
		}
		params.Set("Action", "DescribeTasks")
		params.Set("Version", Version)
		params.Set("SecretId", key.ID)
		params.Set("Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		// A fresh Nonce each time: a repeated one would stop at the replay
		// check, short of the decoding the fuzzer is after.
		params.Set("Nonce", strconv.FormatInt(nonces.Add(1), 10))
		params.Set("SignatureMethod", HmacSHA256)
		params.Del("Signature")
		params.Set("Signature", v1Signature(HmacSHA256, key.Secret, v1StringToSign(method, "127.0.0.1", "/", params)))
		var r *http.Request
		if method == http.MethodGet {
			r = httptest.NewRequest(method, "http://127.0.0.1/?"+params.Encode(), nil)
		} else {
			r = httptest.NewRequest(method, "http://127.0.0.1/", strings.NewReader(params.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		fuzzCheck(t, h, r)
	})
}

// FuzzUnsigned sends arbitrary signature headers and bodies: the parsers of
// the Authorization header and the common parameters.
func FuzzUnsigned(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKID/2024-01-01/cdb/tc3_request, SignedHeaders=content-type;host, Signature=abc",
		"1700000000", "application/json", []byte(`{}`), "")
	f.Add("", "", "application/x-www-form-urlencoded", []byte("Action=DescribeTasks&Version=2017-03-20&SecretId=x&Signature=y&Timestamp=1&Nonce=2"), "")
	f.Add("TC3-HMAC-SHA256 Credential=", "abc", "text/plain", []byte{0xff, 0xfe}, "Action=DescribeTasks")
	env := testenv.New(f)
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, auth, timestamp, contentType string, body []byte, query string) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		if u, err := url.Parse("http://127.0.0.1/?" + query); err == nil {
			r.URL = u
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-TC-Timestamp", timestamp)
		r.Header.Set("X-TC-Action", "DescribeTasks")
		r.Header.Set("X-TC-Version", Version)
		r.Header.Set("Content-Type", contentType)
		fuzzCheck(t, h, r)
	})
}
