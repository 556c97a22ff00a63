package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDuplicateKey(t *testing.T) {
	t.Parallel()
	many := func(names ...string) string { // an object of mapFrom+ names, then names
		var b strings.Builder
		b.WriteString(`{`)
		for i := range mapFrom + 4 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		for _, n := range names {
			fmt.Fprintf(&b, `%q:0,`, n)
		}
		b.WriteString(`"end":0}`)
		return b.String()
	}
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
		// Names are compared decoded, and strings may hold what looks like structure.
		`{"a":1,"\u0061":2}`:                    "a",
		`{"a\"b":1,"a\u0022b":2}`:               `a"b`,
		`{"x":"}{\"x\":","x2":"\\","y":1}`:      "",
		`{"x":"\\\"","x":1}`:                    "x",
		`{ "a" : [ 1 , { "a" : 2 } ] , "b" :3}`: "",
		// Past mapFrom names, the map finds them, the early ones too.
		many():           "",
		many("k3"):       "k3",
		many("x", "x"):   "x",
		many("end"):      "end",
		`{"a":1}{"a":2}`: "",
		`}{"a":1,"a":2}`: "",
		`"unclosed`:      "",
	} {
		got, ok := DuplicateKey([]byte(in))
		require.Equal(t, want, got, in)
		require.Equal(t, want != "", ok, in)
	}
}

// tokenDuplicateKey is the same check through encoding/json's tokenizer,
// slower and the reference for valid JSON.
func tokenDuplicateKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []map[string]bool // nil for an array
	afterValue := true          // in an object, the next string token is a name
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, map[string]bool{})
				afterValue = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1] != nil && afterValue {
				seen := stack[len(stack)-1]
				if seen[t] {
					return t, true
				}
				seen[t] = true
				afterValue = false
				continue
			}
		}
		afterValue = true
	}
}

// FuzzDuplicateKey checks the scan against encoding/json's tokenizer on
// valid JSON, and that it returns on anything.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[1,{"b":2,"b":3}]}}`, `{"\u0061":1,"a":2}`,
		`[{"x":"\"","x":1}]`, `{"a":"\\","b":{}}`, `{"Limit":10,"Offset":0,"InstanceId":"cdb-1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := DuplicateKey(data)
		if !json.Valid(data) {
			return
		}
		want, wantOK := tokenDuplicateKey(data)
		if got != want || ok != wantOK {
			t.Fatalf("%q: got %q %v, want %q %v", data, got, ok, want, wantOK)
		}
	})
}

func BenchmarkDuplicateKey(b *testing.B) {
	body := []byte(`{"InstanceId":"cdb-0012015","Limit":20,"Offset":0,"TaskStatus":[1,2],"TaskTypes":[5,6]}`)
	for b.Loop() {
		if _, dup := DuplicateKey(body); dup {
			b.Fatal("duplicate")
		}
	}
}

func BenchmarkTokenDuplicateKey(b *testing.B) {
	body := []byte(`{"InstanceId":"cdb-0012015","Limit":20,"Offset":0,"TaskStatus":[1,2],"TaskTypes":[5,6]}`)
	for b.Loop() {
		if _, dup := tokenDuplicateKey(body); dup {
			b.Fatal("duplicate")
		}
	}
}

// TestDuplicateKeyDepth checks that the scan stops where encoding/json's
// decoder refuses the nesting.
func TestDuplicateKeyDepth(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", maxDepth) + `{"a":1,"a":2}` + strings.Repeat("]", maxDepth)
	_, dup := DuplicateKey([]byte(deep))
	require.False(t, dup)
	var v any
	require.ErrorContains(t, json.Unmarshal([]byte(deep), &v), "exceeded max depth")
	shallow := deep[1 : len(deep)-1]
	name, dup := DuplicateKey([]byte(shallow))
	require.True(t, dup)
	require.Equal(t, "a", name)
}
