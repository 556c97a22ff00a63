package sqlite

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeIDs: the split of plain arrays agrees with json.Unmarshal on
// what json.Marshal writes and on what it does not.
func TestDecodeIDs(t *testing.T) {
	t.Parallel()
	lists := [][]string{{}, {"cdb-1"}, {"a", "b", "c"}, {""}, {"", ""}, {`a"b`, `c\d`}, {"<&>"},
		{"云数据库", "é"}, {`","`}, {"a\x00b"}, {"\xff"}}
	var texts []string
	for _, ids := range lists {
		b, err := json.Marshal(ids)
		require.NoError(t, err)
		texts = append(texts, string(b))
	}
	texts = append(texts, `["a", "b"]`, `[ "a"]`, `["a" ,"b"]`, `["a\u0041"]`, `null`)
	for _, text := range texts {
		var want []string
		wantErr := json.Unmarshal([]byte(text), &want)
		got, err := decodeIDs(text)
		require.Equal(t, wantErr, err, text)
		require.Equal(t, want, got, text)
	}
	_, err := decodeIDs(`["a"`)
	require.Error(t, err)
}
