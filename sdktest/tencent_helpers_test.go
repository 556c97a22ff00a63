package sdktest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	cdb "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cdb/v20170320"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/taskcenter/taskcenter/dialect/tencent"
)

// tencentProfile is the SDK's default profile pointed at the server over HTTP.
func tencentProfile(s *Server) *profile.ClientProfile {
	cp := profile.NewClientProfile()
	cp.HttpProfile.Scheme = "HTTP"
	cp.HttpProfile.Endpoint = s.Addr
	cp.HttpProfile.ReqTimeout = 30
	return cp
}

// tencentClient is a cdb client of the server signing with a credential;
// mod changes the profile (sign method, request method, retries, language).
func tencentClient(t *testing.T, s *Server, cred common.CredentialIface, mod func(*profile.ClientProfile)) (*cdb.Client, *wire) {
	t.Helper()
	cp := tencentProfile(s)
	if mod != nil {
		mod(cp)
	}
	c, err := cdb.NewClient(cred, "ap-guangzhou", cp)
	require.NoError(t, err)
	w := &wire{base: http.DefaultTransport}
	c.WithHttpTransport(w)
	return c, w
}

// sdkError asserts that err is the SDK's API error with the given code.
func sdkError(t *testing.T, err error, code string) *tcerr.TencentCloudSDKError {
	t.Helper()
	require.Error(t, err)
	var e *tcerr.TencentCloudSDKError
	require.True(t, errors.As(err, &e), "not an SDK error: %v", err)
	require.Equal(t, code, e.Code, e.Message)
	require.NotEmpty(t, e.Message)
	return e
}

// wire is the client's transport: it counts HTTP requests, keeps the last
// answer's X-Request-Id, and may sign each request again before it leaves.
type wire struct {
	base     http.RoundTripper
	requests atomic.Int64

	mu            sync.Mutex
	lastRequestID string
	resign        func(r *http.Request, body []byte)
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	w.requests.Add(1)
	w.mu.Lock()
	resign := w.resign
	w.mu.Unlock()
	if resign != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		resign(r, body)
	}
	resp, err := w.base.RoundTrip(r)
	if err == nil {
		w.mu.Lock()
		w.lastRequestID = resp.Header.Get("X-Request-Id")
		w.mu.Unlock()
	}
	return resp, err
}

// signAt makes the transport sign every request again with TC3, as if
// taken at time at: a valid signature with another timestamp.
func (w *wire) signAt(id, key string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resign = func(r *http.Request, body []byte) { tencent.SignTC3(r, body, tencent.Service, id, key, at) }
}

// requestID is the X-Request-Id of the last answer.
func (w *wire) requestID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastRequestID
}

func ptr[T any](v T) *T { return &v }

func ptrs[T any](vs ...T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}
