package tencent

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestProtocolErrors answers requests that are not well-formed API 3.0
// calls with the common error codes, HTTP 200 and a RequestId.
func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	del := func(r *http.Request, header string) *http.Request { r.Header.Del(header); return r }
	set := func(r *http.Request, header, value string) *http.Request { r.Header.Set(header, value); return r }
	raw := func(method, target, contentType, body string) *http.Request {
		r := httptest.NewRequest(method, "http://"+probeHost+target, strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return r
	}
	withoutParam := func(name string) *http.Request {
		r := f.v1(http.MethodGet, HmacSHA256, probeKey, nil)
		q := r.URL.Query()
		q.Del(name)
		r.URL.RawQuery = q.Encode()
		return r
	}
	cases := []struct {
		name string
		req  *http.Request
		code string
	}{
		{"PUT", raw(http.MethodPut, "/", "application/json", "{}"), CodeUnsupportedProtocol},
		{"DELETE", raw(http.MethodDelete, "/", "", ""), CodeUnsupportedProtocol},
		{"HEAD", raw(http.MethodHead, "/", "", ""), CodeUnsupportedProtocol},
		{"POST text/plain", raw(http.MethodPost, "/", "text/plain", "Action=DescribeTasks"), CodeUnsupportedProtocol},
		{"POST multipart", raw(http.MethodPost, "/", "multipart/form-data; boundary=x", ""), CodeUnsupportedProtocol},
		{"TC3 POST as a form", set(f.tc3Post(`{}`, probeKey, nil), "Content-Type", "application/x-www-form-urlencoded"), CodeUnsupportedProtocol},
		{"POST with a query string", raw(http.MethodPost, "/?Limit=1", "application/json", "{}"), CodeInvalidParameter},
		{"GET with nothing", raw(http.MethodGet, "/", "", ""), CodeMissingParameter},
		{"TC3 without Authorization", del(f.tc3Post(`{}`, probeKey, nil), "Authorization"), CodeMissingParameter},
		{"TC3 without X-TC-Action", del(f.tc3Post(`{}`, probeKey, nil), "X-TC-Action"), CodeMissingParameter},
		{"TC3 without X-TC-Version", del(f.tc3Post(`{}`, probeKey, nil), "X-TC-Version"), CodeMissingParameter},
		{"TC3 without X-TC-Timestamp", del(f.tc3Post(`{}`, probeKey, nil), "X-TC-Timestamp"), CodeMissingParameter},
		{"TC3 timestamp not a number", set(f.tc3Post(`{}`, probeKey, nil), "X-TC-Timestamp", "soon"), CodeInvalidParameter},
		{"TC3 another action", f.tc3Post(`{}`, probeKey, map[string]string{"X-TC-Action": "DescribeDBInstances"}), CodeInvalidAction},
		{"TC3 action in lower case", f.tc3Post(`{}`, probeKey, map[string]string{"X-TC-Action": "describetasks"}), CodeInvalidAction},
		{"TC3 another version", f.tc3Post(`{}`, probeKey, map[string]string{"X-TC-Version": "2019-01-01"}), CodeNoSuchVersion},
		{"TC3 a native credential's id", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://"+probeHost+"/", strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", "DescribeTasks")
			r.Header.Set("X-TC-Version", Version)
			SignTC3(r, []byte(`{}`), Service, "tok-NATIVE1", "", f.now)
			return r
		}(), CodeSecretIDNotFound},
		{"TC3 unknown SecretId", func() *http.Request {
			r := f.tc3Post(`{}`, probeKey, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), probeID, "AKIDnobody", 1))
			return r
		}(), CodeSecretIDNotFound},
		{"TC3 JSON unknown parameter", f.tc3Post(`{"Foo":1}`, probeKey, nil), CodeUnknownParameter},
		{"TC3 GET unknown parameter", f.tc3Get("Foo=1", probeKey, nil), CodeUnknownParameter},
		{"TC3 GET malformed query", f.tc3Get("Limit=%zz", probeKey, nil), CodeInvalidParameter},
		{"v1 without Action", withoutParam("Action"), CodeMissingParameter},
		{"v1 without Version", withoutParam("Version"), CodeMissingParameter},
		{"v1 without SecretId", withoutParam("SecretId"), CodeMissingParameter},
		{"v1 without Signature", withoutParam("Signature"), CodeMissingParameter},
		{"v1 without Timestamp", withoutParam("Timestamp"), CodeMissingParameter},
		{"v1 without Nonce", withoutParam("Nonce"), CodeMissingParameter},
		{"v1 Nonce not a number", f.v1(http.MethodGet, HmacSHA256, probeKey, url.Values{"Nonce": {"x"}}), CodeInvalidParameter},
		{"v1 Timestamp not a number", f.v1(http.MethodGet, HmacSHA256, probeKey, url.Values{"Timestamp": {"x"}}), CodeInvalidParameter},
		{"v1 another action", f.v1(http.MethodGet, HmacSHA256, probeKey, url.Values{"Action": {"DescribeTask"}}), CodeInvalidAction},
		{"v1 another version", f.v1(http.MethodGet, HmacSHA256, probeKey, url.Values{"Version": {"2017-03-21"}}), CodeNoSuchVersion},
		{"v1 unknown SecretId", f.v1(http.MethodGet, HmacSHA256, probeKey, url.Values{"SecretId": {"AKIDnobody"}}), CodeSecretIDNotFound},
		{"v1 a token", f.v1(http.MethodPost, HmacSHA256, probeKey, url.Values{"Token": {"tmp"}}), CodeTokenFailure},
		{"v1 a repeated common parameter", func() *http.Request {
			r := f.v1(http.MethodGet, HmacSHA256, probeKey, nil)
			r.URL.RawQuery += "&Region=ap-beijing"
			return r
		}(), CodeInvalidParameter},
		{"v1 unknown parameter", f.v1(http.MethodPost, HmacSHA256, probeKey, url.Values{"Foo": {"1"}}), CodeUnknownParameter},
		{"v1 list without index", f.v1(http.MethodGet, HmacSHA1, probeKey, url.Values{"TaskTypes": {"1"}}), CodeInvalidParameter},
		{"v1 Limit 101", f.v1(http.MethodGet, HmacSHA1, probeKey, url.Values{"Limit": {"101"}}), CodeInvalidParameterValue},
		{"v1 another tenant's instance", f.v1(http.MethodGet, HmacSHA1, probeKey, url.Values{"InstanceId": {"cdb-other"}}), CodeInstanceNotFound},
		{"v1 malformed form", raw(http.MethodPost, "/", "application/x-www-form-urlencoded", "Action=%zz"), CodeInvalidParameter},
		{"body over 1 MiB", f.tc3Post(`{"InstanceId":"`+strings.Repeat("a", MaxBodyBytes)+`"}`, probeKey, nil), CodeInvalidParameter},
	}
	for _, c := range cases {
		require.Equal(t, c.code, f.errorCode(t, c.req), c.name)
	}
	f.svc.requireNothingListed(t, "protocol errors")
}

// TestRateLimit asks the limiter once per authenticated call, keyed by
// SecretId and action, and answers RequestLimitExceeded when it refuses.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	require.Empty(t, f.errorCode(t, f.tc3Post(`{}`, probeKey, nil)))
	require.Equal(t, CodeSignatureFailure, f.errorCode(t, f.tc3Post(`{}`, probeKey+"x", nil)))
	require.Equal(t, []string{"tencent:AKIDEXAMPLE:DescribeTasks"}, f.limiter.keys, "a refused signature costs nothing")
	f.limiter.refuse = true
	require.Equal(t, CodeRequestLimitExceeded, f.errorCode(t, f.tc3Post(`{}`, probeKey, nil)))
	require.Equal(t, CodeRequestLimitExceeded, f.errorCode(t, f.v1(http.MethodGet, HmacSHA1, probeKey, nil)))
	require.Len(t, f.svc.filters, 1, "a limited request lists nothing")
}

// TestInternalError logs what went wrong and tells the caller nothing of it.
func TestInternalError(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	f := setup(t, time.UTC)
	f.svc.err = errors.New("open /var/lib/taskcenter/db: disk on fire")
	h := NewHandler(f.svc, Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), Now: func() time.Time { return f.now }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.tc3Post(`{}`, probeKey, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"Code":"InternalError"`)
	require.NotContains(t, rec.Body.String(), "disk")
	require.Contains(t, log.String(), "disk on fire")
	require.NotContains(t, log.String(), probeKey)

	f.svc.err = tc.Errorf(tc.EUNAVAILABLE, "the store is unreachable")
	require.Equal(t, CodeInternalError, f.errorCode(t, f.tc3Post(`{}`, probeKey, nil)))
}

// TestLanguages answers in Chinese for X-TC-Language (TC3) or Language (v1)
// zh-CN, in English otherwise, and has both texts for every code.
func TestLanguages(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	msg := func(r *http.Request) string { return f.call(t, r).Response.Error.Message }
	require.Contains(t, msg(f.tc3Post(`{}`, probeKey+"x", nil)), "signature")
	require.Contains(t, msg(f.tc3Post(`{}`, probeKey+"x", map[string]string{"X-TC-Language": "en-US"})), "signature")
	require.Contains(t, msg(f.tc3Post(`{}`, probeKey+"x", map[string]string{"X-TC-Language": "zh-CN"})), "签名")
	require.Contains(t, msg(f.tc3Post(`{"Limit":101}`, probeKey, map[string]string{"X-TC-Language": "zh-CN"})), "取值范围")
	require.Contains(t, msg(f.v1(http.MethodGet, HmacSHA1, probeKey+"x", url.Values{"Language": {"zh-CN"}})), "签名")
	require.Contains(t, msg(f.v1(http.MethodGet, HmacSHA1, probeKey+"x", url.Values{"Language": {"en-US"}})), "signature")
	for code, text := range codeText {
		require.NotEmpty(t, text[langEN], code)
		require.NotEmpty(t, text[langZH], code)
		require.NotEqual(t, text[langEN], text[langZH], code)
	}
	for _, code := range fromDomain {
		require.Contains(t, codeText, code)
	}
}

// TestErrorWire keeps the wire form of some answers in
// testdata/errors.golden and checks their shape against the document's
// error example (spec §2.3).
func TestErrorWire(t *testing.T) {
	t.Parallel()
	const docExample = `{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
		"Message": "The provided credentials could not be validated. Please check your signature is correct."},
		"RequestId": "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}`
	f := setup(t, time.UTC)
	zh := map[string]string{"X-TC-Language": "zh-CN"}
	var out bytes.Buffer
	for _, c := range []struct {
		name string
		req  *http.Request
	}{
		{"signature failure", f.tc3Post(`{}`, probeKey+"x", nil)},
		{"signature failure, zh-CN", f.tc3Post(`{}`, probeKey+"x", zh)},
		{"missing action", f.tc3Post(`{}`, probeKey, map[string]string{"X-TC-Action": ""})},
		{"Limit 101", f.tc3Post(`{"Limit":101}`, probeKey, nil)},
		{"Limit 101, zh-CN", f.tc3Post(`{"Limit":101}`, probeKey, zh)},
		{"unknown parameter", f.tc3Post(`{"Foo":1}`, probeKey, nil)},
		{"another tenant's instance", f.tc3Post(`{"InstanceId":"cdb-other"}`, probeKey, nil)},
		{"v1 unknown SecretId", f.v1(http.MethodPost, HmacSHA256, probeKey, url.Values{"SecretId": {"AKIDnobody"}})},
	} {
		status, body := f.do(t, c.req)
		require.Equal(t, http.StatusOK, status)
		requireSameShape(t, docExample, string(body))
		out.WriteString("# " + c.name + "\n")
		out.Write(body)
	}
	golden(t, "errors", out.Bytes())
	_, body := f.do(t, f.tc3Post(`{}`, probeKey+"x", map[string]string{"X-TC-Language": "en-US"}))
	require.JSONEq(t, strings.Replace(docExample, "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6", exampleReqID, 1), string(body),
		"the document's own example, word for word")
}
