package qcloud

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The values of the SignatureMethod parameter. Anything but HmacSHA256,
// absence included, means HmacSHA1, as in Tencent's SDKs.
const (
	HmacSHA1   = "HmacSHA1"
	HmacSHA256 = "HmacSHA256"
)

// Path is where API 2.0 is served; it is part of the string to sign.
const Path = "/v2/index.php"

// StringToSign returns the legacy string to sign of a request: the HTTP
// method in upper case, the host (with its port when the URL has one), the
// path, "?", and every parameter but Signature as key=value, values raw
// (not URL-encoded), joined by "&" and sorted by key in byte order.
// Underscores in keys become dots first, as the official SDKs sign them.
func StringToSign(httpMethod, host, path string, params url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	for k, vs := range params {
		if k == "Signature" || len(vs) == 0 {
			continue
		}
		pairs = append(pairs, pair{strings.ReplaceAll(k, "_", "."), vs[0]})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	b.WriteString(strings.ToUpper(httpMethod))
	b.WriteString(host)
	b.WriteString(path)
	b.WriteByte('?')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// Sign returns the Signature of a string to sign: the base64 of its HMAC
// under the secret key, with SHA-256 for HmacSHA256 and SHA-1 otherwise.
func Sign(secretKey, signatureMethod, stringToSign string) string {
	return base64.StdEncoding.EncodeToString(mac(secretKey, signatureMethod, stringToSign))
}

func mac(secretKey, signatureMethod, stringToSign string) []byte {
	h := hmac.New(hashOf(signatureMethod), []byte(secretKey))
	h.Write([]byte(stringToSign))
	return h.Sum(nil)
}

func hashOf(signatureMethod string) func() hash.Hash {
	if signatureMethod == HmacSHA256 {
		return sha256.New
	}
	return sha1.New
}

// validSignature reports, in constant time, whether sig is the signature of
// stringToSign. An unencoded "+" in a query arrives as a space; base64 has no
// spaces, so turning them back costs nothing and forgives that slip.
func validSignature(secretKey, signatureMethod, stringToSign, sig string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(sig, " ", "+"))
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(secretKey, signatureMethod, stringToSign))
}

// Signer makes signed API 2.0 requests, as the legacy SDKs do: the common
// parameters Action, Timestamp, Nonce, SecretId and SignatureMethod are
// added to the caller's, then Signature.
type Signer struct {
	SecretID  string
	SecretKey string
	// SignatureMethod is HmacSHA1 (when empty) or HmacSHA256.
	SignatureMethod string
	// Now is the clock of the Timestamp; nil means time.Now.
	Now func() time.Time
}

// NewRequest returns a signed request of action to endpoint, a URL whose
// path defaults to /v2/index.php. With GET the parameters go in the query,
// with POST in an application/x-www-form-urlencoded body. params is not
// changed; it should not hold common parameters other than Region or Token.
func (s *Signer) NewRequest(ctx context.Context, httpMethod, endpoint, action string, params url.Values) (*http.Request, error) {
	httpMethod = strings.ToUpper(httpMethod)
	if httpMethod != http.MethodGet && httpMethod != http.MethodPost {
		return nil, fmt.Errorf("method %q: API 2.0 takes GET or POST", httpMethod)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = Path
	}
	q, err := s.sign(httpMethod, u.Host, u.Path, action, params)
	if err != nil {
		return nil, err
	}
	u.RawQuery = ""
	if httpMethod == http.MethodGet {
		u.RawQuery = q.Encode()
		return http.NewRequestWithContext(ctx, httpMethod, u.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, httpMethod, u.String(), strings.NewReader(q.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// sign returns params with the common parameters and the Signature added.
func (s *Signer) sign(httpMethod, host, path, action string, params url.Values) (url.Values, error) {
	if s.SecretID == "" || s.SecretKey == "" {
		return nil, errors.New("a SecretId and a SecretKey are required")
	}
	method := s.SignatureMethod
	if method == "" {
		method = HmacSHA1
	}
	if method != HmacSHA1 && method != HmacSHA256 {
		return nil, fmt.Errorf("signature method %q: use %s or %s", method, HmacSHA1, HmacSHA256)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	nonce, err := rand.Int(rand.Reader, big.NewInt(1<<31-1))
	if err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	q := url.Values{}
	for k, vs := range params {
		q[k] = append([]string(nil), vs...)
	}
	q.Set("Action", action)
	q.Set("Timestamp", strconv.FormatInt(now().Unix(), 10))
	q.Set("Nonce", strconv.FormatInt(nonce.Int64()+1, 10))
	q.Set("SecretId", s.SecretID)
	q.Set("SignatureMethod", method)
	q.Set("Signature", Sign(s.SecretKey, method, StringToSign(httpMethod, host, path, q)))
	return q, nil
}
