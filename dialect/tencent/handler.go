// Package tencent serves Tencent Cloud API 3.0 on "/": the CDB action
// DescribeTasks (service cdb, version 2017-03-20), signed with
// TC3-HMAC-SHA256 (POST JSON or GET) or with HmacSHA1/HmacSHA256 (v1: GET or
// POST form), answered in the {"Response": {...}} envelope that
// tencentcloud-sdk-go decodes. It decodes, authenticates, calls the
// taskcenter.Service and encodes; nothing else.
package tencent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/nonce"
)

// The product served.
const (
	Service = "cdb"        // the product name: the host prefix and the TC3 credential scope's service
	Version = "2017-03-20" // the one API version served
)

// MaxClockSkew is how far a request's timestamp may be from the server's
// clock, either way, for both signature versions.
const MaxClockSkew = 5 * time.Minute

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// handler serves API 3.0.
type handler struct {
	svc     tc.Service
	opts    Options
	actions map[string]action
	nonces  *nonce.Cache // the Nonces of v1 requests served
}

// action runs one API action for an authenticated caller and returns the
// contents of the Response object, RequestId included.
type action func(ctx context.Context, cred *tc.Credential, c *call) (any, error)

// NewHandler returns the API 3.0 endpoint over svc. Mount it on "/" only.
func NewHandler(svc tc.Service, opts Options) http.Handler {
	h := &handler{svc: svc, opts: opts.WithDefaults(), nonces: nonce.New(MaxClockSkew, nonce.Capacity, nonce.PerKey, nonce.PerTenant)}
	if opts.Nonces != nil {
		h.nonces.Share(opts.Nonces)
	}
	h.actions = map[string]action{"DescribeTasks": h.describeTasks}
	return h
}

// call is what a request asks, whichever its signature version.
type call struct {
	action, version            string
	actionName, versionName    string // how the request names them, for messages
	lang                       lang
	secretID, token, signature string
	timestamp                  int64
	nonce                      uint64                        // of a v1 request; TC3 has none
	sign                       func(secretKey string) string // the signature the request should carry
	scopeErr                   *apiError                     // a TC3 scope that cannot match
	body                       []byte                        // the JSON parameters of a TC3 POST
	params                     url.Values                    // the query or form parameters otherwise
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := h.read(r)
	var resp any
	if err == nil {
		resp, err = h.serve(r.Context(), c)
	}
	if err != nil {
		h.writeError(w, r, c, err)
		return
	}
	writeJSON(w, resp)
}

// read works out the signature version and reads the request. The call it
// returns is never nil, so that an error can be answered in its language.
func (h *handler) read(r *http.Request) (*call, error) {
	c := &call{lang: parseLang(r.Header.Get("X-TC-Language"))}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return c, newError(CodeUnsupportedProtocol, "The method "+clip(r.Method)+" is not supported.", "不支持 "+clip(r.Method)+" 方法。")
	}
	if r.Method == http.MethodPost && r.URL.RawQuery != "" {
		return c, newError(CodeInvalidParameter, "A POST request carries its parameters in the body, not in the query string.",
			"POST 请求的参数应放在请求体中，而不是查询字符串中。")
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-TC-Action") != "" ||
		(r.Method == http.MethodPost && mediaType == "application/json") {
		return c, h.readTC3(r, c, mediaType)
	}
	return c, h.readV1(r, c, mediaType)
}

// readBody reads at most MaxBodyBytes of the body.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, newError(CodeInvalidParameter, "The body could not be read.", "无法读取请求体。")
	}
	if len(body) > MaxBodyBytes {
		return nil, newError(CodeInvalidParameter, "The body must be at most 1 MiB.", "请求体不得超过 1 MiB。")
	}
	return body, nil
}

// serve checks the action and version, authenticates the caller, applies
// the rate limit and runs the action.
func (h *handler) serve(ctx context.Context, c *call) (any, error) {
	if c.action == "" {
		return nil, missing(c.actionName)
	}
	act, ok := h.actions[c.action]
	if !ok {
		return nil, newError(CodeInvalidAction, "The action `"+clip(c.action)+"` does not exist; this endpoint serves DescribeTasks.",
			"接口 `"+clip(c.action)+"` 不存在；本服务提供 DescribeTasks。")
	}
	if c.version == "" {
		return nil, missing(c.versionName)
	}
	if c.version != Version {
		return nil, newError(CodeNoSuchVersion, "The version `"+clip(c.version)+"` does not exist; use "+Version+".",
			"版本 `"+clip(c.version)+"` 不存在；请使用 "+Version+"。")
	}
	cred, err := h.authenticate(ctx, c)
	if err != nil {
		return nil, err
	}
	if h.opts.Limiter != nil && !h.opts.Limiter.Allow("tencent:"+cred.ID+":"+c.action) {
		return nil, newError(CodeRequestLimitExceeded, "", "")
	}
	if err := h.useNonce(ctx, cred, c); err != nil {
		return nil, err
	}
	return act(ctx, cred, c)
}

// authenticate checks, in order, the timestamp, the credential scope, the
// SecretId, the signature (in constant time) and the token, and returns the
// caller's credential.
func (h *handler) authenticate(ctx context.Context, c *call) (*tc.Credential, error) {
	now := h.opts.Now().Unix()
	if skew := now - c.timestamp; skew > int64(MaxClockSkew/time.Second) || skew < -int64(MaxClockSkew/time.Second) {
		return nil, newError(CodeSignatureExpire,
			fmt.Sprintf("The timestamp %d is %d seconds away from the server time %d.", c.timestamp, skew, now),
			fmt.Sprintf("时间戳 %d 与服务器时间 %d 相差 %d 秒。", c.timestamp, now, skew))
	}
	if c.scopeErr != nil {
		return nil, c.scopeErr
	}
	cred, err := h.svc.Credential(ctx, c.secretID)
	if tc.ErrorCode(err) == tc.ENOTFOUND || (err == nil && cred.Kind != tc.KindTencent) {
		return nil, newError(CodeSecretIDNotFound, "", "")
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(c.sign(cred.Secret)), []byte(c.signature)) {
		return nil, newError(CodeSignatureFailure, "", "")
	}
	if c.token != "" {
		return nil, newError(CodeTokenFailure, "", "")
	}
	if cred.Tenant == "" || !cred.Role.Can(tc.RoleReader) {
		return nil, newError(CodeUnauthorizedOperation, "", "")
	}
	return cred, nil
}

// useNonce refuses a v1 request whose (SecretId, Nonce, Timestamp) was
// served already while that Timestamp is inside the window. It runs after
// the rate limit on purpose: the SDK's own retry of RequestLimitExceeded
// resends the very same request, Nonce included, and must get through once
// the rate allows; a refused request therefore never burns its Nonce.
func (h *handler) useNonce(ctx context.Context, cred *tc.Credential, c *call) error {
	if c.nonce == 0 {
		return nil
	}
	switch err := h.nonces.Use(ctx, cred.Tenant, cred.ID, c.nonce, c.timestamp, time.Unix(c.timestamp, 0), h.opts.Now()); {
	case errors.Is(err, nonce.ErrReplay):
		n := strconv.FormatUint(c.nonce, 10)
		return newError(CodeSignatureFailure, "The Nonce "+n+" was used already with this SecretId and Timestamp: a request is accepted once.",
			"该 SecretId 与 Timestamp 已使用过 Nonce "+n+"：同一请求只受理一次。")
	case errors.Is(err, nonce.ErrFull):
		return newError(CodeRequestLimitExceeded, "Too many requests within the replay window; retry later.", "重放窗口内的请求过多，请稍后重试。")
	case err != nil:
		return err // the shared store's fault: InternalError, the cause in the log
	}
	return nil
}

// errorResponse is the contents of Response for a failure.
type errorResponse struct {
	Error     errorBody `json:"Error"`
	RequestID string    `json:"RequestId"`
}

type errorBody struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// writeError answers err in the Response.Error envelope, with HTTP 200 as
// API 3.0 does for every error.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	e := asAPIError(err)
	if e.code == CodeInternalError {
		h.opts.Logger.ErrorContext(r.Context(), "tencent: request failed", "action", c.action, "err", e.cause)
	} else {
		h.opts.Logger.DebugContext(r.Context(), "tencent: request refused", "code", e.code, "action", clip(c.action), "secret_id", clip(c.secretID))
	}
	writeJSON(w, errorResponse{Error: errorBody{Code: e.code, Message: e.message(c.lang)}, RequestID: requestID(r.Context())})
}

// writeJSON writes {"Response": resp} with status 200.
func writeJSON(w http.ResponseWriter, resp any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Response any `json:"Response"`
	}{resp})
}

// requestID is the id the server gave the request (its X-Request-Id), or a
// new one when the handler runs without the server around it.
func requestID(ctx context.Context) string {
	if id := tc.RequestID(ctx); id != "" {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
