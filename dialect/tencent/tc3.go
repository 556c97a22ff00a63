package tencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TC3Algorithm is the name of signature version 3.
const TC3Algorithm = "TC3-HMAC-SHA256"

// unsignedPayload is the X-TC-Content-SHA256 value of a request whose body
// is left out of the signature.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// readTC3 reads a request signed with TC3-HMAC-SHA256: common parameters in
// X-TC-* headers, action parameters in a JSON body (POST) or the query (GET).
func (h *handler) readTC3(r *http.Request, c *call, mediaType string) error {
	c.actionName, c.versionName = "X-TC-Action", "X-TC-Version"
	c.action, c.version = r.Header.Get("X-TC-Action"), r.Header.Get("X-TC-Version")
	c.token = r.Header.Get("X-TC-Token")
	if r.Method == http.MethodPost && mediaType != "application/json" {
		return newError(CodeUnsupportedProtocol, "A request signed with TC3-HMAC-SHA256 is POSTed as application/json.",
			"使用 TC3-HMAC-SHA256 签名的 POST 请求的 Content-Type 必须为 application/json。")
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return missing("Authorization")
	}
	auth, aerr := parseTC3Authorization(header)
	if aerr != nil {
		return aerr
	}
	c.secretID, c.signature = auth.secretID, auth.signature
	ts := r.Header.Get("X-TC-Timestamp")
	if ts == "" {
		return missing("X-TC-Timestamp")
	}
	var err error
	if c.timestamp, err = strconv.ParseInt(ts, 10, 64); err != nil {
		return invalidParam("X-TC-Timestamp", "must be a Unix time in seconds.", "必须为以秒为单位的 Unix 时间戳。")
	}
	if date, _ := tc3Scope(c.timestamp, Service); auth.date != date || auth.service != Service {
		c.scopeErr = newError(CodeSignatureFailure,
			fmt.Sprintf("The credential scope must be %s/%s/tc3_request, the UTC date of X-TC-Timestamp and the service.", date, Service),
			fmt.Sprintf("凭证范围必须为 %s/%s/tc3_request，即 X-TC-Timestamp 的 UTC 日期和服务名。", date, Service))
	}
	if r.Method == http.MethodGet {
		if c.params, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return newError(CodeInvalidParameter, "The query string is malformed.", "查询字符串格式错误。")
		}
	} else if c.body, err = readBody(r); err != nil {
		return err
	}
	hash := payloadHash(r, c.body)
	c.sign = func(secretKey string) string {
		return tc3Signature(secretKey, c.timestamp, Service, canonicalRequest(r, auth.signedHeaders, hash))
	}
	return nil
}

// tc3Auth is a parsed TC3 Authorization header.
type tc3Auth struct {
	secretID      string
	date, service string // of the credential scope
	signedHeaders []string
	signature     string
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseTC3Authorization reads
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX".
func parseTC3Authorization(h string) (*tc3Auth, *apiError) {
	bad := func(en, zh string) (*tc3Auth, *apiError) {
		return nil, newError(CodeInvalidAuthorization, en, zh)
	}
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != TC3Algorithm {
		return bad("The algorithm must be "+TC3Algorithm+".", "签名算法必须为 "+TC3Algorithm+"。")
	}
	parts := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return bad("Expected Credential=..., SignedHeaders=..., Signature=....", "应为 Credential=..., SignedHeaders=..., Signature=...。")
		}
		parts[k] = v
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 4 || scope[0] == "" || scope[3] != "tc3_request" {
		return bad("Credential must be SecretId/Date/Service/tc3_request.", "Credential 必须为 SecretId/Date/Service/tc3_request。")
	}
	a := &tc3Auth{secretID: scope[0], date: scope[1], service: scope[2], signature: parts["Signature"]}
	if !hex64.MatchString(a.signature) {
		return bad("Signature must be 64 lowercase hexadecimal digits.", "Signature 必须为 64 位小写十六进制数。")
	}
	a.signedHeaders = strings.Split(parts["SignedHeaders"], ";")
	if !contains(a.signedHeaders, "content-type") || !contains(a.signedHeaders, "host") {
		return bad("SignedHeaders must include content-type and host.", "SignedHeaders 必须包含 content-type 和 host。")
	}
	return a, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canonicalRequest is step 1 of TC3 for r: the method, the URI "/", the raw
// query of a GET as sent (a POST's is empty), the signed headers' lowercased,
// trimmed "name:value" lines, their names, and the payload's hash. The server's
// verifier and the client's signer both build it here.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	query := ""
	if r.Method == http.MethodGet {
		query = r.URL.RawQuery
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n/\n" + query + "\n")
	for _, name := range signedHeaders {
		value := strings.Join(r.Header.Values(name), ",")
		if name == "host" {
			value = r.Host
			if value == "" {
				value = r.URL.Host
			}
		}
		b.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(value)) + "\n")
	}
	b.WriteString("\n" + strings.Join(signedHeaders, ";") + "\n" + payloadHash)
	return b.String()
}

// payloadHash is the hex SHA-256 of the body, or of "UNSIGNED-PAYLOAD" when
// the request says its body is not signed.
func payloadHash(r *http.Request, body []byte) string {
	if r.Header.Get("X-TC-Content-SHA256") == unsignedPayload {
		body = []byte(unsignedPayload)
	}
	return sha256Hex(body)
}

// tc3Scope is the credential scope of a timestamp: its UTC date and the service.
func tc3Scope(timestamp int64, service string) (date, scope string) {
	date = time.Unix(timestamp, 0).UTC().Format(time.DateOnly)
	return date, date + "/" + service + "/tc3_request"
}

// tc3Signature is steps 2 and 3 of TC3: the lowercase hex HMAC of the string
// to sign under the key derived from the secret key, date and service.
func tc3Signature(secretKey string, timestamp int64, service, canonical string) string {
	date, scope := tc3Scope(timestamp, service)
	stringToSign := TC3Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	return hex.EncodeToString(hmacSHA256(tc3Keys.get(secretKey, date, service), stringToSign))
}

// tc3KeyCache keeps TC3's signing keys. A key depends on the secret key, the
// day and the service alone, and deriving it takes three of a request's four
// HMACs. The cache lives in memory only, as the secret keys do, and starts
// over once it holds maxTC3Keys keys: a day's requests use one per secret key.
type tc3KeyCache struct {
	mu   sync.Mutex
	keys map[tc3KeyID][]byte
}

type tc3KeyID struct{ secretKey, date, service string }

const maxTC3Keys = 4096

var tc3Keys tc3KeyCache

// get returns the signing key of secretKey on date (YYYY-MM-DD) for service.
func (c *tc3KeyCache) get(secretKey, date, service string) []byte {
	id := tc3KeyID{secretKey, date, service}
	c.mu.Lock()
	key, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= maxTC3Keys {
		c.keys = make(map[tc3KeyID][]byte)
	}
	c.keys[id] = key
	return key
}

// SignTC3 signs r, an API 3.0 request for service whose body is body, with
// TC3-HMAC-SHA256 at time now, as the vendor SDK does: it sets X-TC-Timestamp
// and an Authorization header that signs content-type and host. Set
// Content-Type and the other X-TC-* headers first.
func SignTC3(r *http.Request, body []byte, service, secretID, secretKey string, now time.Time) {
	ts := now.Unix()
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	signed := []string{"content-type", "host"}
	sig := tc3Signature(secretKey, ts, service, canonicalRequest(r, signed, payloadHash(r, body)))
	_, scope := tc3Scope(ts, service)
	r.Header.Set("Authorization", TC3Algorithm+" Credential="+secretID+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
