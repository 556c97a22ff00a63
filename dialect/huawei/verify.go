package huawei

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Verify checks the SDK-HMAC-SHA256 signature of a request the server
// received: X-Sdk-Date within MaxSkew of now, then the signature over the
// headers named in SignedHeaders, as sent, with the secret key that secretOf
// returns for the access key. Failures are EUNAUTHORIZED with API Gateway's
// messages; an error of secretOf is returned as it is.
func Verify(r *http.Request, now time.Time, secretOf func(accessKey string) (string, error)) error {
	auth, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	date := r.Header.Get(headerDate)
	at, err := time.Parse(DateFormat, date)
	if err != nil {
		return unauthorized("X-Sdk-Date is missing or not in the form %s", DateFormat)
	}
	if d := now.Sub(at); d > MaxSkew || d < -MaxSkew {
		return unauthorized("signature expired, signature time:%s,server time:%s", date, now.UTC().Format(DateFormat))
	}
	sk, err := secretOf(auth.access)
	if err != nil {
		return err
	}
	hash, err := payloadHash(r)
	if err != nil {
		return err
	}
	cr, err := canonicalRequest(r, r.Host, auth.signed, hash)
	if err != nil {
		return err
	}
	want := signature(sk, date, cr)
	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		// API Gateway shows the canonical request, which holds nothing the
		// caller did not send, so clients can find what they sign differently.
		return unauthorized("verify aksk signature fail, canonical request:%s", strings.ReplaceAll(cr, "\n", "|"))
	}
	return nil
}

// unauthorized is an EUNAUTHORIZED error with API Gateway's message prefix.
func unauthorized(format string, args ...any) *tc.Error {
	return tc.Errorf(tc.EUNAUTHORIZED, authPrefix+format, args...)
}

// authorization is a parsed Authorization header.
type authorization struct {
	access    string
	signed    []string
	signature string
}

// parseAuthorization reads "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b,
// Signature=hex". X-Sdk-Date must be signed, or a captured request could be
// replayed with a fresh date.
func parseAuthorization(v string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(v, Algorithm+" ")
	if !ok {
		return a, unauthorized("the Authorization header must use %s", Algorithm)
	}
	for part := range strings.SplitSeq(rest, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		value = strings.TrimSpace(value)
		switch key {
		case "Access":
			a.access = value
		case "SignedHeaders":
			a.signed = strings.Split(value, ";")
		case "Signature":
			a.signature = strings.ToLower(value)
		default:
			return a, unauthorized("the Authorization header is malformed")
		}
	}
	if a.access == "" || len(a.signed) == 0 || len(a.signature) != sha256.Size*2 {
		return a, unauthorized("the Authorization header needs Access, SignedHeaders and Signature")
	}
	dateSigned := false
	for _, name := range a.signed {
		if name == "" || name != strings.ToLower(name) {
			return a, unauthorized("SignedHeaders must be lower-case names separated by ';'")
		}
		dateSigned = dateSigned || name == strings.ToLower(headerDate)
	}
	if !dateSigned {
		return a, unauthorized("x-sdk-date must be one of the SignedHeaders")
	}
	return a, nil
}
