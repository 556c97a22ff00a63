package strictjson

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDuplicateKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":1,"b":2}`:                        "",
		`{"a":1,"a":2}`:                        "a",
		`{"a":{"b":1},"b":{"b":2}}`:            "",
		`{"a":{"b":1,"b":2}}`:                  "b",
		`{"a":[{"x":1},{"x":2}],"b":"a"}`:      "",
		`{"a":[{"x":1,"x":2}]}`:                "x",
		`{"a":"b","b":"a"}`:                    "",
		`{"a":[],"a":[]}`:                      "a",
		`[{"k":1},{"k":1}]`:                    "",
		`{"s":"a","t":{"u":["a","a"]},"s2":1}`: "",
		`{"a":1,`:                              "",
		`{"a":{},"a":1}`:                       "a",
	} {
		got, ok := DuplicateKey([]byte(in))
		require.Equal(t, want, got, in)
		require.Equal(t, want != "", ok, in)
	}
}
