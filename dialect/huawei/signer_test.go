package huawei

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

var sdkTestDate = time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)

// TestSignSDKVectors signs the requests of huaweicloud-sdk-go-v3's own
// signer test (core/auth/signer/signer_test.go, TestSigner_Sign) and expects
// its Authorization headers.
func TestSignSDKVectors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, method, url, body, contentType, want string
	}{
		{"get", "GET", "https://example.huaweicloud.com/path?limit=1", "", "",
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"},
		{"post", "POST", "https://example.huaweicloud.com/path?key=value", `{"Name":"test","Id":1}` + "\n", "application/json",
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
			require.NoError(t, err)
			if c.body == "" {
				r.Body = nil
			}
			r.Header["TEST_UNDERSCORE"] = []string{"TEST_VALUE"} // names with '_' are never signed
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			require.NoError(t, Sign(r, "AccessKey", "SecretKey", sdkTestDate))
			require.Equal(t, c.want, r.Header.Get("Authorization"))
			require.Equal(t, "20060102T150405Z", r.Header.Get("X-Sdk-Date"))
		})
	}
}

// TestCanonicalRequestSpec rebuilds the canonical request that spec/huawei.md
// section 3.2 recorded from the SDK, byte for byte.
func TestCanonicalRequestSpec(t *testing.T) {
	t.Parallel()
	const want = "GET\n" +
		"/v3.1/0549b4a43100d4f32f51c01c2fe4acdb/jobs/\n" +
		"end_time=2024-05-30T23%3A59%3A59%2B0800&limit=10&name=RestartReplicaSetInstance&offset=0&start_time=2024-05-01T00%3A00%3A00%2B0800&status=Completed\n" +
		"user-agent:huaweicloud-usdk-go/3.0; os/Debian_GNU/Linux#12_(bookworm)#amd64 go/go1.26.8; app/639b68de-1656-41cb-b6d2-df22820b83e5\n" +
		"x-project-id:0549b4a43100d4f32f51c01c2fe4acdb\n" +
		"x-sdk-date:20261123T024435Z\n" +
		"\n" +
		"user-agent;x-project-id;x-sdk-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	r := httptest.NewRequest("GET", "/v3.1/0549b4a43100d4f32f51c01c2fe4acdb/jobs?end_time=2024-05-30T23%3A59%3A59%2B0800&limit=10&name=RestartReplicaSetInstance&offset=0&start_time=2024-05-01T00%3A00%3A00%2B0800&status=Completed", nil)
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0; os/Debian_GNU/Linux#12_(bookworm)#amd64 go/go1.26.8; app/639b68de-1656-41cb-b6d2-df22820b83e5")
	r.Header.Set("X-Project-Id", "0549b4a43100d4f32f51c01c2fe4acdb")
	r.Header.Set("X-Sdk-Date", "20261123T024435Z")
	r.Header.Set("Content-Type", "application/json")
	hash, err := payloadHash(r)
	require.NoError(t, err)
	got, err := canonicalRequest(r, r.Host, []string{"user-agent", "x-project-id", "x-sdk-date"}, hash)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"":                                    "",
		"b=2&a=1":                             "a=1&b=2",
		"a=2&a=1":                             "a=1&a=2",
		"end_time&start_time":                 "end_time=&start_time=",
		"start_time=2026-01-01T00:00:00+0800": "start_time=2026-01-01T00%3A00%3A00%2B0800", // a raw '+' stays a plus
		"t=2026-01-01T00%3A00%3A00%2B0800":    "t=2026-01-01T00%3A00%3A00%2B0800",
		"name=SQL%20OPERATION":                "name=SQL%20OPERATION",
		"x=a~b_c.d-e&&":                       "x=a~b_c.d-e",
	} {
		got, err := canonicalQuery(raw)
		require.NoError(t, err, raw)
		require.Equal(t, want, got, raw)
	}
	_, err := canonicalQuery("a=%zz")
	require.Equal(t, tc.EINVALID, tc.ErrorCode(err))
}

func TestCanonicalURI(t *testing.T) {
	t.Parallel()
	require.Equal(t, "/v3.1/p/jobs/", canonicalURI("/v3.1/p/jobs"))
	require.Equal(t, "/v3.1/p/jobs/", canonicalURI("/v3.1/p/jobs/"))
	require.Equal(t, "/", canonicalURI(""))
	require.Equal(t, "/a%20b/c%3Ad/", canonicalURI("/a b/c:d"))
}

// signed returns a request as a server receives it, signed at now.
func signed(t *testing.T, now time.Time, mod func(r *http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/v3.1/p1/jobs?start_time=2026-01-01T00%3A00%3A00%2B0800&limit=5", nil)
	r.Header.Set("X-Project-Id", "p1")
	r.Header.Set("User-Agent", "test")
	r.Header.Set("Content-Type", "application/json")
	if mod != nil {
		mod(r)
	}
	require.NoError(t, Sign(r, "AK1", "SK1", now))
	return r
}

func secretOf(ak string) (string, error) {
	if ak != "AK1" {
		return "", unauthorized("Get secretKey failed,ak:******,err:ak not exist")
	}
	return "SK1", nil
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 2, 3, 0, 0, 0, time.UTC)
	require.NoError(t, Verify(signed(t, now, nil), now, secretOf))
	require.NoError(t, Verify(signed(t, now.Add(-MaxSkew), nil), now, secretOf), "15 minutes old is still fresh")
	require.NoError(t, Verify(signed(t, now.Add(MaxSkew), nil), now, secretOf), "15 minutes ahead is still fresh")

	// A signature over host, as API Gateway's own signers make.
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/v3.1/p1/jobs", nil)
	r.Header.Set("X-Sdk-Date", now.Format(DateFormat))
	cr, err := canonicalRequest(r, "127.0.0.1:8080", []string{"host", "x-sdk-date"}, emptyHash)
	require.NoError(t, err)
	r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature="+signature("SK1", now.Format(DateFormat), cr))
	require.NoError(t, Verify(r, now, secretOf))

	for name, c := range map[string]struct {
		r    *http.Request
		want string
	}{
		"wrong secret": {func() *http.Request {
			r := httptest.NewRequest("GET", "/v3.1/p1/jobs", nil)
			require.NoError(t, Sign(r, "AK1", "other", now))
			return r
		}(), "verify aksk signature fail, canonical request:GET|/v3.1/p1/jobs/||x-sdk-date:20260502T030000Z||x-sdk-date|" + emptyHash},
		"stale":  {signed(t, now.Add(-MaxSkew-time.Second), nil), "signature expired, signature time:20260502T024459Z,server time:20260502T030000Z"},
		"future": {signed(t, now.Add(MaxSkew+time.Second), nil), "signature expired"},
		"unknown ak": {func() *http.Request {
			r := httptest.NewRequest("GET", "/v3.1/p1/jobs", nil)
			require.NoError(t, Sign(r, "AK2", "SK1", now))
			return r
		}(), "ak not exist"},
		"query changed": {func() *http.Request {
			r := signed(t, now, nil)
			r.URL.RawQuery = "start_time=2026-01-01T00%3A00%3A00%2B0800&limit=6"
			return r
		}(), "verify aksk signature fail"},
		"signed header changed": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Set("X-Project-Id", "p2")
			return r
		}(), "verify aksk signature fail"},
		"date not signed": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-sdk-date", "", 1))
			return r
		}(), "x-sdk-date must be one of the SignedHeaders"},
		"no date": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Del("X-Sdk-Date")
			return r
		}(), "X-Sdk-Date is missing"},
		"other algorithm": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SDK-HMAC-SHA256", "SDK-HMAC-SM3", 1))
			return r
		}(), "must use SDK-HMAC-SHA256"},
		"malformed": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, Signature=abc")
			return r
		}(), "needs Access, SignedHeaders and Signature"},
		"upper-case header name": {func() *http.Request {
			r := signed(t, now, nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "user-agent", "User-Agent", 1))
			return r
		}(), "lower-case"},
	} {
		err := Verify(c.r, now, secretOf)
		require.Equal(t, tc.EUNAUTHORIZED, tc.ErrorCode(err), name)
		require.Contains(t, tc.ErrorMessage(err), c.want, name)
		require.True(t, strings.HasPrefix(tc.ErrorMessage(err), "Incorrect IAM authentication information: "), name)
	}
}

// TestSignSignsWhatIsSent: every header but Content-Type and names with '_'
// is signed, the body is put back, and a non-JSON body is UNSIGNED-PAYLOAD.
func TestSignSignsWhatIsSent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 2, 3, 0, 0, 0, time.UTC)
	r := httptest.NewRequest("POST", "/x", strings.NewReader("a=1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Project-Id", "p1")
	require.NoError(t, Sign(r, "AK1", "SK1", now))
	require.Contains(t, r.Header.Get("Authorization"), "SignedHeaders=x-project-id;x-sdk-content-sha256;x-sdk-date,")
	require.Equal(t, "UNSIGNED-PAYLOAD", r.Header.Get("X-Sdk-Content-Sha256"))
	require.NoError(t, Verify(r, now, secretOf))

	r = httptest.NewRequest("POST", "/x", strings.NewReader(`{"a":1}`))
	r.Header.Set("Content-Type", "application/json")
	require.NoError(t, Sign(r, "AK1", "SK1", now))
	require.NoError(t, Verify(r, now, secretOf))
	r.Body = http.NoBody
	require.ErrorContains(t, Verify(r, now, secretOf), "verify aksk signature fail", "the body is signed")

	require.Error(t, Sign(httptest.NewRequest("GET", "/", nil), "", "SK1", now))
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
