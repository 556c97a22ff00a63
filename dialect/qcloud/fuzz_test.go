package qcloud

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/testenv"
)

// fuzzCheck serves one request and requires the legacy envelope, never the
// internal error 6000.
func fuzzCheck(t *testing.T, h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp struct {
		Code     *int   `json:"code"`
		Message  string `json:"message"`
		CodeDesc string `json:"codeDesc"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Code == nil {
		t.Fatalf("HTTP %d, not the envelope: %v: %s", w.Code, err, w.Body)
	}
	if *resp.Code == codeInternal || w.Code >= 500 {
		t.Fatalf("internal error: HTTP %d %s", w.Code, w.Body)
	}
}

// FuzzSigned sends arbitrary action parameters, correctly signed, so the
// parameter checks behind the signature are reached.
func FuzzSigned(f *testing.F) {
	for _, s := range []string{"cdbInstanceId=cdb-ta1", "cdbInstanceId=cdb-ta1&offset=1&limit=100", "cdbInstanceId=cdb-tb1",
		"cdbInstanceId=&limit=101", "cdbInstanceId=cdb-ta1&offset=-1", "limit=abc", "cdbInstanceId=x&Token=t&Region=gz"} {
		f.Add(s, http.MethodGet, "HmacSHA256")
		f.Add(s, http.MethodPost, "HmacSHA1")
	}
	env := testenv.New(f)
	key := env.Keys["ta"][tc.KindTencent]
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, query, method, signatureMethod string) {
		params, err := url.ParseQuery(query)
		if err != nil || (method != http.MethodGet && method != http.MethodPost) {
			return
		}
		for _, common := range []string{"Action", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature"} {
			params.Del(common)
		}
		s := &Signer{SecretID: key.ID, SecretKey: key.Secret, SignatureMethod: signatureMethod}
		r, err := s.NewRequest(context.Background(), method, "http://127.0.0.1"+Path, "GetCdbRollbackJob", params)
		if err != nil {
			return // the signer refuses what no client could send
		}
		fuzzCheck(t, h, r)
	})
}

// FuzzUnsigned sends arbitrary requests: the parsing of the common
// parameters and of the signature itself.
func FuzzUnsigned(f *testing.F) {
	f.Add(http.MethodGet, "Action=GetCdbRollbackJob&SecretId=AKID&Signature=x&Timestamp=1&Nonce=2", "", "")
	f.Add(http.MethodPost, "", "Action=GetCdbRollbackJob&Nonce=%ff", "application/x-www-form-urlencoded")
	f.Add(http.MethodPost, "", "{}", "application/json")
	f.Add(http.MethodPut, "Action=GetCdbRollbackJob", "", "")
	env := testenv.New(f)
	h := NewHandler(env.Svc, Options{})
	f.Fuzz(func(t *testing.T, method, query, body, contentType string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+Path, strings.NewReader(body))
		r.Method = method
		if u, err := url.Parse("http://127.0.0.1" + Path + "?" + query); err == nil {
			r.URL = u
		}
		r.Header.Set("Content-Type", contentType)
		fuzzCheck(t, h, r)
	})
}
