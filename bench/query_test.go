package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestJSONTotal: each dialect's total is read at its place in the answer,
// and an answer without an integer there is an error, not a total of 0.
func TestJSONTotal(t *testing.T) {
	n, err := tencentTotal([]byte(`{"Response":{"TotalCount":42,"Items":[{"TotalCount":7}]}}`))
	require.NoError(t, err)
	require.Equal(t, 42, n)
	n, err = tencentTotal([]byte(`{"Response":{"Items":[{"TotalCount":7}],"Error":{"TotalCount":8},"TotalCount":9}}`))
	require.NoError(t, err)
	require.Equal(t, 9, n)
	n, err = nativeTotal([]byte(`{"tasks":[{"total":7}],"total": 0}`))
	require.NoError(t, err)
	require.Equal(t, 0, n)
	n, err = huaweiTotal([]byte(`{"jobs":[],"total_count":3}`))
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for _, body := range []string{
		`{"Response":{"Error":{"Code":"AuthFailure"}}}`,
		`{"Response":{"TotalCount":null}}`,
		`{"Response":{"TotalCount":"3"}}`,
		`{"Response":{"TotalCount":2.5}}`,
		`{"Response":[1]}`,
		`{"TotalCount":3}`,
		`{"Response":{"Items":[{"TotalCount":7}`,
		`{"Response":{"Items":[}],"TotalCount":3}}`,
		`null`,
		`not json`,
	} {
		_, err := tencentTotal([]byte(body))
		require.Error(t, err, body)
	}
	for _, body := range []string{`{"error":{"code":"unauthorized"}}`, `{"total":null}`, `{"total":"1"}`} {
		_, err := nativeTotal([]byte(body))
		require.Error(t, err, body)
	}
	_, err = huaweiTotal([]byte(`{"error_code":"DBS.280001","error_msg":"x"}`))
	require.Error(t, err)
}

// TestLastMember: a total that ends the answer is read from its end, and
// only when it is the outermost object's last member and a non-negative
// integer; totalAt then reads anything else token by token.
func TestLastMember(t *testing.T) {
	for body, want := range map[string]int{
		`{"tasks":[{"total":7}],"next_cursor":"","total":105}` + "\n": 105,
		`{"total": 0 }`:                 0,
		`{"jobs":[] ,"total_count" :3}`: 3,
	} {
		key := "total"
		if strings.Contains(body, "total_count") {
			key = "total_count"
		}
		n, ok := lastMember([]byte(body), key)
		require.True(t, ok, body)
		require.Equal(t, want, n, body)
	}
	for _, body := range []string{
		`{"total":3,"tasks":[]}`,  // not the last member
		`{"tasks":[{"total":7}]}`, // a task's member
		`{"a":{"total":5}}`,       // an inner object's
		`{"m":"x\",\"total\":4}`,  // inside a string
		`{"m":"x\"total":4}`,      // after an escaped quote
		`{"m":"x","subtotal":4}`,  // another name
		`{"total":-2}`, `{"total":2.5}`, `{"total":1e3}`, `{"total":"1"}`, `{"total":null}`,
		`{"total":12345678901234567890}`, `"total":3}`, `{"total":3`, ``,
	} {
		_, ok := lastMember([]byte(body), "total")
		require.False(t, ok, body)
	}
	n, err := nativeTotal([]byte(`{"total":3,"tasks":[{"total":7}]}`))
	require.NoError(t, err)
	require.Equal(t, 3, n, "found token by token when not last")
	_, err = nativeTotal([]byte(`{"tasks":[{"total":7}]}`))
	require.Error(t, err)
}

// TestRequester: requests go over one kept-alive connection; a POST's body
// arrives whole; a connection the server closed while idle, or closed by
// its answer, is replaced and the request sent again; an answer other than
// 200 is an error with its body.
func TestRequester(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/fail":
			http.Error(w, "no such shape", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"total": %d}`, len(body))
	}))
	t.Cleanup(srv.Close)
	shapeOf := func(path, body string) shape {
		return shape{req: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, strings.NewReader(body))
		}, total: nativeTotal}
	}
	r := &requester{client: srv.Client()}
	defer r.close()
	ctx := context.Background()
	for range 3 {
		n, err := r.do(ctx, shapeOf("/", "abcd"))
		require.NoError(t, err)
		require.Equal(t, 4, n)
	}
	require.Len(t, conns, 1, "one kept-alive connection")
	srv.CloseClientConnections()
	n, err := r.do(ctx, shapeOf("/", "ab"))
	require.NoError(t, err, "sent again over a new connection")
	require.Equal(t, 2, n)
	require.Len(t, conns, 2)
	_, err = r.do(ctx, shapeOf("/close", ""))
	require.NoError(t, err)
	require.Nil(t, r.conn, "closed with the answer that said so")
	_, err = r.do(ctx, shapeOf("/fail", ""))
	require.ErrorContains(t, err, "HTTP 400: no such shape")
	require.Len(t, conns, 3, "a new connection after the closed one")
}
