package qcloud_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/dialect/qcloud"
)

// The test vector of spec/tencent.md section 4.1, from the legacy signing
// document: its string to sign, key and HmacSHA256 signature.
const (
	vectorKey    = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"
	vectorString = "GETcdb.api.qcloud.com/v2/index.php?Action=DescribeCdbInstances&cdbInstanceIds.0=cdb-09dx96dg" +
		"&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768"
	vectorSignature = "ngb/op13o8wff5ZpBsK7ZSvH+gKmChu95PgXPG2P5oQ="
)

func vectorParams() url.Values {
	return url.Values{
		"Action": {"DescribeCdbInstances"}, "cdbInstanceIds.0": {"cdb-09dx96dg"}, "Nonce": {"11886"},
		"Region": {"ap-guangzhou"}, "SecretId": {"AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"},
		"SignatureMethod": {"HmacSHA256"}, "Timestamp": {"1465185768"},
	}
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	require.Equal(t, vectorSignature, qcloud.Sign(vectorKey, qcloud.HmacSHA256, vectorString))
}

// TestStringToSignByteOrder: the document prints its vector in a
// case-insensitive order; the rule, and every SDK, sorts by bytes, which
// puts the lower-case cdbInstanceIds.0 last.
func TestStringToSignByteOrder(t *testing.T) {
	t.Parallel()
	p := vectorParams()
	p.Set("Signature", "ignored")
	got := qcloud.StringToSign("get", "cdb.api.qcloud.com", "/v2/index.php", p)
	require.Equal(t, "GETcdb.api.qcloud.com/v2/index.php?Action=DescribeCdbInstances&Nonce=11886&Region=ap-guangzhou"+
		"&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768&cdbInstanceIds.0=cdb-09dx96dg", got)
	// Computed with Python's hmac over the byte-ordered string.
	require.Equal(t, "Inu4VcYJ+7aUMbrUzfYKJeT/0V86cv77NHGtKIAkveM=", qcloud.Sign(vectorKey, qcloud.HmacSHA256, got))

	p.Del("SignatureMethod")
	p.Set("cdbInstanceIds.0", "ins-09dx96dg")
	sha1String := qcloud.StringToSign("GET", "cdb.api.qcloud.com", "/v2/index.php", p)
	require.Equal(t, "0EZa0xqlGSsU2zzfNJEaY2IpQeM=", qcloud.Sign(vectorKey, "", sha1String), "HmacSHA1 is the default")
}

func TestStringToSignUnderscores(t *testing.T) {
	t.Parallel()
	got := qcloud.StringToSign("POST", "h", "/v2/index.php", url.Values{"Placement_Zone": {"gz-1"}, "A": {"x y"}})
	require.Equal(t, "POSTh/v2/index.php?A=x y&Placement.Zone=gz-1", got, "values raw, '_' in keys signed as '.'")
}

// TestSignerRequests checks the exported Signer, which the CLI uses,
// against the spec client's own computation of the same request.
func TestSignerRequests(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1700000000, 0) }
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, sm := range []string{"", qcloud.HmacSHA256} {
			s := &qcloud.Signer{SecretID: "AKIDtest", SecretKey: "key", SignatureMethod: sm, Now: now}
			req, err := s.NewRequest(context.Background(), method, "http://127.0.0.1:9/", "GetCdbRollbackJob",
				url.Values{"cdbInstanceId": {"cdb-1"}, "Region": {"ap-guangzhou"}})
			require.NoError(t, err)
			require.Equal(t, "/v2/index.php", req.URL.Path)
			var got url.Values
			if method == http.MethodGet {
				got = req.URL.Query()
				require.Nil(t, req.Body)
			} else {
				require.Empty(t, req.URL.RawQuery)
				require.Equal(t, "application/x-www-form-urlencoded", req.Header.Get("Content-Type"))
				b, err := io.ReadAll(req.Body)
				require.NoError(t, err)
				got, err = url.ParseQuery(string(b))
				require.NoError(t, err)
			}
			wantMethod := sm
			if wantMethod == "" {
				wantMethod = qcloud.HmacSHA1
			}
			sc := &specClient{endpoint: "http://" + req.URL.Host, secretID: "AKIDtest", secretKey: "key"}
			want := sc.values(call{method: method, sigMethod: wantMethod, timestamp: 1700000000, nonce: got.Get("Nonce"),
				params: map[string]string{"cdbInstanceId": "cdb-1"}})
			require.Equal(t, want, got, "%s %s", method, wantMethod)
		}
	}
}

func TestSignerRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &qcloud.Signer{SecretID: "id", SecretKey: "key"}
	_, err := s.NewRequest(ctx, http.MethodPut, "http://127.0.0.1:9", "A", nil)
	require.Error(t, err)
	_, err = s.NewRequest(ctx, http.MethodGet, "127.0.0.1:9", "A", nil)
	require.Error(t, err)
	_, err = (&qcloud.Signer{SecretID: "id"}).NewRequest(ctx, http.MethodGet, "http://127.0.0.1:9", "A", nil)
	require.Error(t, err)
	_, err = (&qcloud.Signer{SecretID: "id", SecretKey: "k", SignatureMethod: "HmacMD5"}).NewRequest(ctx, http.MethodGet, "http://127.0.0.1:9", "A", nil)
	require.Error(t, err)
}
