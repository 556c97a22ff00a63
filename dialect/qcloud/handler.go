// Package qcloud serves Tencent Cloud's legacy API 2.0 on /v2/index.php:
// the GetCdbRollbackJob action of cdb.api.qcloud.com, with the HmacSHA1 and
// HmacSHA256 signatures of that API and its {code, message, codeDesc}
// envelope. It decodes requests, calls the taskcenter.Service with the
// tenant of the signing key, and encodes the answers.
package qcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/nonce"
)

// MaxClockSkew is how far a request's Timestamp may be from the server's
// clock. The legacy documents say 5 minutes on the error-code page and 2
// hours on the signing page; taskcenter takes the stricter one, which is
// also API 3.0's.
const MaxClockSkew = 5 * time.Minute

// MaxBodyBytes bounds the form body of a POST.
const MaxBodyBytes = 64 << 10

// Handler serves API 2.0.
type Handler struct {
	svc     tc.Service
	opts    Options
	nonces  *nonce.Cache
	actions map[string]action
}

// action runs one Action for an authenticated caller and returns the
// fields of its answer beside code, message and codeDesc.
type action func(ctx context.Context, cred *tc.Credential, p url.Values) (any, error)

// NewHandler returns the API 2.0 handler over svc, to mount on /v2/index.php.
func NewHandler(svc tc.Service, opts Options) http.Handler {
	h := &Handler{svc: svc, opts: opts.WithDefaults(), nonces: nonce.New(MaxClockSkew, nonce.Capacity, nonce.PerKey, nonce.PerTenant)}
	if opts.Nonces != nil {
		h.nonces.Share(opts.Nonces)
	}
	h.actions = map[string]action{"GetCdbRollbackJob": h.getCdbRollbackJob}
	return h
}

// ServeHTTP implements http.Handler. Every answer, failures included, is a
// JSON envelope with HTTP status 200, as API 2.0 answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := h.serve(w, r)
	if err != nil {
		body = h.failure(r.Context(), err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "encode API 2.0 answer", "err", err)
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(h.failure(r.Context(), fail(codeInternal, "internal error")))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// envelope is an answer without data: every failure, and the head of a success.
type envelope struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	CodeDesc string `json:"codeDesc"`
}

func (h *Handler) failure(ctx context.Context, err error) envelope {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{code: codeInternal, message: "internal error", cause: err}
	}
	if e.cause != nil {
		h.opts.Logger.ErrorContext(ctx, "API 2.0 request failed", "code", e.code, "err", e.cause)
	}
	return envelope{Code: e.code, Message: e.message, CodeDesc: codeDesc[e.code]}
}

// serve authenticates the request and runs its action.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := readParams(w, r)
	if err != nil {
		return nil, err
	}
	c, err := parseCommon(p)
	if err != nil {
		return nil, err
	}
	run, ok := h.actions[c.action]
	if !ok {
		return nil, fail(codeInvalidParameter, "Action %q is not served here; the only action is GetCdbRollbackJob", clip(c.action))
	}
	cred, err := h.authenticate(r, p, c)
	if err != nil {
		return nil, err
	}
	return run(tc.WithCredential(r.Context(), cred), cred, p)
}

// readParams returns the parameters of a GET from its query only, of a POST
// from its form body only, as the PHP server of API 2.0 read them. A
// parameter given twice is refused: the signature would not say which counts.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	var raw string
	switch r.Method {
	case http.MethodGet:
		raw = r.URL.RawQuery
	case http.MethodPost:
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/x-www-form-urlencoded" {
			return nil, fail(codeInvalidParameter, "a POST must carry its parameters in an application/x-www-form-urlencoded body")
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			return nil, fail(codeInvalidParameter, "the body must be at most %d bytes", MaxBodyBytes)
		}
		raw = string(b)
	default:
		return nil, fail(codeUnsupportedProtocol, "HTTP method %s is not supported; use GET or POST", r.Method)
	}
	p, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fail(codeInvalidParameter, "the parameters are not URL-encoded properly")
	}
	signed := map[string]string{}
	for k, vs := range p {
		if len(vs) > 1 {
			return nil, fail(codeInvalidParameter, "parameter %s is given %d times", clip(k), len(vs))
		}
		// Keys are signed with '_' as '.', so two keys that differ only
		// there would sign alike.
		norm := strings.ReplaceAll(k, "_", ".")
		if other, dup := signed[norm]; dup {
			return nil, fail(codeInvalidParameter, "parameters %s and %s sign alike; send one", clip(other), clip(k))
		}
		signed[norm] = k
	}
	return p, nil
}

// common holds the common parameters of API 2.0.
type common struct {
	action          string
	secretID        string
	signature       string
	signatureMethod string
	timestamp       time.Time
	nonce           uint64
	token           string
}

func parseCommon(p url.Values) (common, error) {
	c := common{
		action: p.Get("Action"), secretID: p.Get("SecretId"), signature: p.Get("Signature"),
		signatureMethod: p.Get("SignatureMethod"), token: p.Get("Token"),
	}
	for _, req := range []struct{ name, val string }{
		{"Action", c.action}, {"SecretId", c.secretID}, {"Signature", c.signature},
		{"Timestamp", p.Get("Timestamp")}, {"Nonce", p.Get("Nonce")},
	} {
		if req.val == "" {
			return c, fail(codeInvalidParameter, "the common parameter %s is required", req.name)
		}
	}
	ts, err := strconv.ParseUint(p.Get("Timestamp"), 10, 63)
	if err != nil {
		return c, fail(codeInvalidParameter, "Timestamp must be Unix seconds, an unsigned integer")
	}
	c.timestamp = time.Unix(int64(ts), 0)
	if c.nonce, err = strconv.ParseUint(p.Get("Nonce"), 10, 64); err != nil || c.nonce == 0 {
		return c, fail(codeInvalidParameter, "Nonce must be a positive integer")
	}
	return c, nil
}

// authenticate checks the key, the signature, the clock, the rate and the
// Nonce, in that order: only a correctly signed request may spend the key's
// rate or burn a Nonce.
func (h *Handler) authenticate(r *http.Request, p url.Values, c common) (*tc.Credential, error) {
	cred, err := h.svc.Credential(r.Context(), c.secretID)
	if err != nil {
		return nil, fromService(stepCredential, err)
	}
	if cred.Kind != tc.KindTencent {
		return nil, fail(codeSecretIDNotFound, "SecretId %s does not exist", clip(c.secretID))
	}
	if !validSignature(cred.Secret, c.signatureMethod, StringToSign(r.Method, r.Host, r.URL.Path, p), c.signature) {
		return nil, fail(codeAuthFailure, "the signature does not match; sign %s%s%s?<sorted parameters> with the SecretKey", r.Method, r.Host, r.URL.Path)
	}
	now := h.opts.Now()
	if skew := now.Sub(c.timestamp).Abs(); skew > MaxClockSkew {
		return nil, fail(codeReplayAttack, "Timestamp %d is %s away from the server's clock; at most %s is allowed",
			c.timestamp.Unix(), skew.Truncate(time.Second), MaxClockSkew)
	}
	if c.token != "" {
		return nil, fail(codeTokenFailure, "Token is not accepted: taskcenter issues no temporary keys")
	}
	if !cred.Role.Can(tc.RoleReader) {
		return nil, fail(codeUnauthorizedAPI, "this key may not call %s", c.action)
	}
	if h.opts.Limiter != nil && !h.opts.Limiter.Allow("qcloud:"+cred.ID+":"+c.action) {
		return nil, fail(codeQuotaExceeded, "request limit exceeded for %s with this SecretId", c.action)
	}
	// API 2.0 refuses a Nonce reused at all within the window, whatever
	// the Timestamp: the stamp is left out of the key.
	switch err := h.nonces.Use(r.Context(), cred.Tenant, cred.ID, c.nonce, 0, c.timestamp, now); {
	case errors.Is(err, nonce.ErrReplay):
		return nil, fail(codeReplayAttack, "Nonce %d was used already by this SecretId", c.nonce)
	case errors.Is(err, nonce.ErrFull):
		return nil, fail(codeQuotaExceeded, "%v; retry later", err)
	case err != nil: // the shared store's fault
		return nil, &apiError{code: codeInternal, message: internalMessages[codeInternal], cause: err}
	}
	return cred, nil
}

// clip shortens user input quoted back in messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
