package huawei

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The SDK-HMAC-SHA256 signature, as huaweicloud-sdk-go-v3 computes it
// (core/auth/signer/signer.go) and spec/huawei.md section 3.2 describes it.
const (
	// Algorithm is the one signing algorithm served: the SDK's default.
	Algorithm = "SDK-HMAC-SHA256"
	// DateFormat is the layout of the X-Sdk-Date header, always UTC.
	DateFormat = "20060102T150405Z"
	// MaxSkew is how far X-Sdk-Date may be from the server's clock, either
	// way, as API Gateway allows; older signatures cannot be replayed.
	MaxSkew = 15 * time.Minute
	// MaxBodyBytes bounds the body hashed for a signature.
	MaxBodyBytes = 1 << 20

	headerDate          = "X-Sdk-Date"
	headerContentSHA256 = "X-Sdk-Content-Sha256"
	unsignedPayload     = "UNSIGNED-PAYLOAD"
	authPrefix          = "Incorrect IAM authentication information: "
)

// Sign signs r as the SDK does: it sets X-Sdk-Date to now and an
// Authorization header whose SignedHeaders are every header r carries except
// Content-Type and names with '_' (so set User-Agent and X-Project-Id before
// signing). A body is hashed and put back; a Content-Type other than JSON or
// BSON sends X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD instead, like the SDK.
// The query must be escaped the way the server decodes it: %2B for '+',
// %20 for ' '.
func Sign(r *http.Request, ak, sk string, now time.Time) error {
	if ak == "" || sk == "" {
		return errors.New("huawei: an access key and a secret key are required")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	date := now.UTC().Format(DateFormat)
	r.Header.Set(headerDate, date)
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "application/json") && !strings.Contains(ct, "application/bson") {
		r.Header.Set(headerContentSHA256, unsignedPayload)
	}
	var signed []string
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "content-type") || strings.Contains(name, "_") || lower == "authorization" {
			continue
		}
		signed = append(signed, lower)
	}
	sort.Strings(signed)
	hash, err := payloadHash(r)
	if err != nil {
		return err
	}
	cr, err := canonicalRequest(r, clientHost(r), signed, hash)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		Algorithm, ak, strings.Join(signed, ";"), signature(sk, date, cr)))
	return nil
}

// canonicalRequest is METHOD, URI, query, headers, signed header names and
// payload hash, one a line; the header block ends with its own newline.
func canonicalRequest(r *http.Request, host string, signed []string, payloadHash string) (string, error) {
	q, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n" + canonicalURI(r.URL.Path) + "\n" + q + "\n")
	for _, name := range signed {
		values := headerValues(r.Header, name)
		if name == "host" {
			values = []string{host}
		}
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String(), nil
}

// headerValues returns a copy of the values of a header, whatever the case
// of its name in the map.
func headerValues(h http.Header, name string) []string {
	var values []string
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			values = append(values, vs...)
		}
	}
	return values
}

// canonicalURI escapes each segment of the path and ends it with '/'.
func canonicalURI(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		segments[i] = escape(s)
	}
	uri := strings.Join(segments, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri
}

// canonicalQuery sorts the decoded parameters by key, then by value, and
// escapes both; a key without a value becomes "key=".
func canonicalQuery(raw string) (string, error) {
	q, err := parseQuery(raw)
	if err != nil {
		return "", err
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		values := append([]string(nil), q[k]...)
		sort.Strings(values)
		for _, v := range values {
			pairs = append(pairs, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(pairs, "&"), nil
}

// payloadHash is X-Sdk-Content-Sha256 when sent, else the hex SHA-256 of the
// body, which is read and put back.
func payloadHash(r *http.Request) (string, error) {
	if v := r.Header.Get(headerContentSHA256); v != "" {
		return v, nil
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		_ = r.Body.Close()
		if err != nil {
			return "", fmt.Errorf("read body: %w", err)
		}
		if len(body) > MaxBodyBytes {
			return "", tc.Invalidf("body", "Parameter error: the body must be at most %d bytes.", MaxBodyBytes)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// signature is hex(HMAC-SHA256(sk, string to sign)): the secret key is the
// HMAC key itself, with no derivation.
func signature(sk, date, canonical string) string {
	crHash := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(Algorithm + "\n" + date + "\n" + hex.EncodeToString(crHash[:])))
	return hex.EncodeToString(mac.Sum(nil))
}

// clientHost is the host a client sends, for a signed "host" header.
func clientHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// escape keeps A-Z, a-z, 0-9, '-', '_', '.', '~' and writes every other
// byte as %XX with upper-case hex, as the SDK does.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
