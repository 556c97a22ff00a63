package tencent

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestTC3DocumentVector is the worked example of Tencent's "签名方法 v3"
// document (cvm DescribeInstances at 1551113065), whose published key is
// masked with asterisks; the signature is the document's.
func TestTC3DocumentVector(t *testing.T) {
	t.Parallel()
	const payload = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	r := httptest.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(payload))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")

	canonical := canonicalRequest(r, []string{"content-type", "host"}, payloadHash(r, []byte(payload)))
	require.Equal(t, "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n"+
		"35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", canonical)
	sum := sha256.Sum256([]byte(canonical))
	require.Equal(t, "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", hex.EncodeToString(sum[:]))

	SignTC3(r, []byte(payload), "cvm", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******", time.Unix(1551113065, 0))
	require.Equal(t, "1551113065", r.Header.Get("X-TC-Timestamp"))
	require.Equal(t, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "+
		"SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
		r.Header.Get("Authorization"))
}

// TestTC3KeyCache checks that the cached signing keys are TC3's derivation
// for each secret key, day and service, and that the cache stays bounded.
func TestTC3KeyCache(t *testing.T) {
	t.Parallel()
	derive := func(secretKey, date, service string) []byte { // TC3's step 3, uncached
		key := hmacSHA256([]byte("TC3"+secretKey), date)
		return hmacSHA256(hmacSHA256(key, service), "tc3_request")
	}
	var c tc3KeyCache
	for range 2 { // the second round reads the cache
		for _, secretKey := range []string{"key-1", "key-2"} {
			for _, date := range []string{"2026-11-23", "2026-11-24"} {
				for _, service := range []string{"cdb", "cvm"} {
					require.Equal(t, derive(secretKey, date, service), c.get(secretKey, date, service))
				}
			}
		}
	}
	require.Len(t, c.keys, 8)
	for i := range maxTC3Keys + 1 {
		c.get(strconv.Itoa(i), "2026-11-24", "cdb")
	}
	require.LessOrEqual(t, len(c.keys), maxTC3Keys)
	require.Equal(t, derive("7", "2026-11-24", "cdb"), c.get("7", "2026-11-24", "cdb"))
}

// TestTC3ProbeRequests rebuilds the canonical requests the spec's probe
// printed for the SDK's TC3 POST and GET (§5.3 cases 1 and 2), and has the
// handler verify both.
func TestTC3ProbeRequests(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)

	const body = `{"InstanceId":"cdb-c1nl9rpv","TaskTypes":[1,7],"TaskStatus":[1,2],"StartTimeBegin":"2017-12-31 10:40:01","Offset":0,"Limit":20}`
	post := f.tc3Post(body, probeKey, nil)
	require.Equal(t, "POST\n/\n\ncontent-type:application/json\nhost:127.0.0.1:37975\n\ncontent-type;host\n"+
		"1bfce2be38fb0c19c08d055b5447acfd16e71c06cdb0801ac454baac8be1c18e",
		canonicalRequest(post, []string{"content-type", "host"}, payloadHash(post, []byte(body))))

	const query = "InstanceId=cdb-c1nl9rpv&Limit=20&Offset=0&StartTimeBegin=2017-12-31+10%3A40%3A01&TaskStatus.0=1&TaskStatus.1=2&TaskTypes.0=1&TaskTypes.1=7"
	get := f.tc3Get(query, probeKey, nil)
	require.Equal(t, "GET\n/\n"+query+"\ncontent-type:application/x-www-form-urlencoded\nhost:127.0.0.1:37975\n\ncontent-type;host\n"+
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		canonicalRequest(get, []string{"content-type", "host"}, payloadHash(get, nil)))

	for _, r := range []*http.Request{post, get} {
		require.Empty(t, f.errorCode(t, r))
		got := f.svc.lastFilter(t)
		require.Equal(t, &tc.TaskFilter{Tenant: "acme", InstanceID: "cdb-c1nl9rpv", Types: []string{tc.TypeRollback, tc.TypeReboot},
			Statuses: []tc.Status{tc.StatusRunning, tc.StatusSucceed}, CreatedAfter: time.Date(2017, 12, 31, 10, 40, 1, 0, time.UTC),
			Limit: 20, Summary: true}, got)
	}
}

// TestTC3Tampering changes one signed part of a signed request at a time.
func TestTC3Tampering(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	cases := []struct {
		name string
		req  func() *http.Request
		code string
	}{
		{"as signed", func() *http.Request { return f.tc3Post(`{"Limit":5}`, probeKey, nil) }, ""},
		{"another body", func() *http.Request {
			r := f.tc3Post(`{"Limit":5}`, probeKey, nil)
			r.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Limit":6}`)).Body
			return r
		}, CodeSignatureFailure},
		{"another host", func() *http.Request {
			r := f.tc3Post(`{}`, probeKey, nil)
			r.Host = "127.0.0.1:1"
			return r
		}, CodeSignatureFailure},
		{"another query", func() *http.Request {
			r := f.tc3Get("Limit=5", probeKey, nil)
			r.URL.RawQuery = "Limit=6"
			return r
		}, CodeSignatureFailure},
		{"query reordered", func() *http.Request {
			r := f.tc3Get("Limit=5&Offset=1", probeKey, nil)
			r.URL.RawQuery = "Offset=1&Limit=5"
			return r
		}, CodeSignatureFailure},
		{"content type with a charset", func() *http.Request {
			return f.tc3Post(`{}`, probeKey, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		}, ""},
		{"unsigned payload", func() *http.Request {
			return f.tc3Post(`{"Limit":5}`, probeKey, map[string]string{"X-TC-Content-SHA256": unsignedPayload})
		}, ""},
		{"another key", func() *http.Request { return f.tc3Post(`{}`, probeKey+"x", nil) }, CodeSignatureFailure},
		{"more signed headers", func() *http.Request {
			r := f.tc3Post(`{}`, probeKey, nil)
			signed := []string{"content-type", "host", "x-tc-action"}
			sig := tc3Signature(probeKey, probeTimestamp, Service, canonicalRequest(r, signed, payloadHash(r, []byte(`{}`))))
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+probeID+"/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature="+sig)
			return r
		}, ""},
		{"a signed header changed", func() *http.Request {
			r := f.tc3Post(`{}`, probeKey, nil)
			signed := []string{"content-type", "host", "x-tc-region"}
			sig := tc3Signature(probeKey, probeTimestamp, Service, canonicalRequest(r, signed, payloadHash(r, []byte(`{}`))))
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+probeID+"/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host;x-tc-region, Signature="+sig)
			r.Header.Set("X-TC-Region", "ap-beijing")
			return r
		}, CodeSignatureFailure},
		{"scope of another day", func() *http.Request {
			r := f.tc3Post(`{}`, probeKey, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/2026-11-23/", "/2026-11-24/", 1))
			return r
		}, CodeSignatureFailure},
		{"scope of another service", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://"+probeHost+"/", strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", "DescribeTasks")
			r.Header.Set("X-TC-Version", Version)
			SignTC3(r, []byte(`{}`), "cvm", probeID, probeKey, f.now)
			return r
		}, CodeSignatureFailure},
		{"a token", func() *http.Request { return f.tc3Post(`{}`, probeKey, map[string]string{"X-TC-Token": "tmp"}) }, CodeTokenFailure},
	}
	for _, c := range cases {
		require.Equal(t, c.code, f.errorCode(t, c.req()), c.name)
	}
}

// TestTC3Authorization refuses Authorization headers not of the TC3 form.
func TestTC3Authorization(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	good := f.tc3Post(`{}`, probeKey, nil).Header.Get("Authorization")
	sig := good[strings.LastIndex(good, "=")+1:]
	for _, h := range []string{
		"Basic dXNlcjpwYXNz",
		"TC3-HMAC-SHA1 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host, Signature=" + sig,
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb, SignedHeaders=content-type;host, Signature=" + sig,
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc4_request, SignedHeaders=content-type;host, Signature=" + sig,
		"TC3-HMAC-SHA256 Credential=/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host, Signature=" + sig,
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc3_request, SignedHeaders=host, Signature=" + sig,
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.ToUpper(sig),
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc3_request, SignedHeaders=content-type;host",
		"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-23/cdb/tc3_request SignedHeaders=content-type;host Signature=" + sig,
	} {
		r := f.tc3Post(`{}`, probeKey, nil)
		r.Header.Set("Authorization", h)
		require.Equal(t, CodeInvalidAuthorization, f.errorCode(t, r), h)
	}
}

// TestClockSkew accepts timestamps up to five minutes either way, for both
// signature versions.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		skew time.Duration
		code string
	}{
		{0, ""},
		{5 * time.Minute, ""},
		{-5 * time.Minute, ""},
		{5*time.Minute + time.Second, CodeSignatureExpire},
		{-5*time.Minute - time.Second, CodeSignatureExpire},
		{-24 * time.Hour, CodeSignatureExpire},
	} {
		f := setup(t, time.UTC)
		requests := []*http.Request{
			f.tc3Post(`{}`, probeKey, nil),
			f.tc3Get("", probeKey, nil),
			f.v1(http.MethodGet, HmacSHA1, probeKey, nil),
			f.v1(http.MethodPost, HmacSHA256, probeKey, nil),
		}
		f.now = f.now.Add(c.skew) // the server's clock moves, the signed timestamp stays
		for _, r := range requests {
			require.Equal(t, c.code, f.errorCode(t, r), "skew %s, %s", c.skew, r.Method)
		}
	}
}
