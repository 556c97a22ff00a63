package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestJSONTotal: the total is read at its path of keys, and an answer
// without an integer there is an error, not a total of 0.
func TestJSONTotal(t *testing.T) {
	n, err := jsonTotal([]byte(`{"Response":{"TotalCount":42,"Items":[{"TotalCount":7}]}}`), "Response", "TotalCount")
	require.NoError(t, err)
	require.Equal(t, 42, n)
	n, err = jsonTotal([]byte(`{"total": 0}`), "total")
	require.NoError(t, err)
	require.Equal(t, 0, n)
	for _, body := range []string{
		`{"Response":{"Error":{"Code":"AuthFailure"}}}`,
		`{"Response":{"TotalCount":null}}`,
		`{"Response":{"TotalCount":"3"}}`,
		`{"Response":{"TotalCount":2.5}}`,
		`{"Response":[1]}`,
		`null`,
		`not json`,
	} {
		_, err := jsonTotal([]byte(body), "Response", "TotalCount")
		require.Error(t, err, body)
	}
}
