package bench

import (
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
