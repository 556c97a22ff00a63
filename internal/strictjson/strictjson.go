// Package strictjson finds what encoding/json lets through silently but a
// request must not carry: an object naming the same member twice, where
// encoding/json keeps the last one and the caller may have meant the first.
package strictjson

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// mapFrom is the number of names an object holds before its names are looked
// up in a map rather than by a walk over them: requests name a few members,
// and a walk over a few names costs less than a map; a body naming thousands
// must not cost their square.
const mapFrom = 16

// maxDepth is encoding/json's limit on nesting, which its decoder refuses
// past; the scan stops there too rather than grow its stack.
const maxDepth = 10000

// frame is an open object or array of the scan. An object's names are
// names[start:].
type frame struct {
	array bool
	start int
	set   map[string]struct{} // from mapFrom names on
}

// DuplicateKey returns the first member name that appears twice in one
// object of data, at any depth, and true; or "" and false. Names are compared
// as encoding/json decodes them, escapes resolved.
//
// Malformed JSON is not its concern: the caller's decoder reports it. The
// scan only follows the structure (strings, objects, arrays, commas) and
// skips everything else, so on malformed input it reports a duplicate or
// not, but it always returns.
func DuplicateKey(data []byte) (string, bool) {
	var (
		stackBuf [8]frame
		namesBuf [16][]byte
		stack    = stackBuf[:0] // on the goroutine's stack while requests are small
		names    = namesBuf[:0]
		wantKey  bool // the next string of the innermost object is a name
	)
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) == maxDepth {
				return "", false
			}
			stack = append(stack, frame{array: c == '[', start: len(names)})
			wantKey = c == '{'
		case '}', ']':
			if len(stack) == 0 {
				return "", false
			}
			if f := stack[len(stack)-1]; !f.array {
				names = names[:f.start]
			}
			stack = stack[:len(stack)-1]
			wantKey = false
		case ',':
			wantKey = len(stack) > 0 && !stack[len(stack)-1].array
		case '"':
			end := stringEnd(data, i)
			if end < 0 {
				return "", false
			}
			if wantKey {
				name := unquote(data[i:end])
				f := &stack[len(stack)-1]
				if f.has(names, name) {
					return string(name), true
				}
				names = f.add(names, name)
				wantKey = false
			}
			i = end
			continue
		}
		i++
	}
	return "", false
}

// has reports whether the object already holds name.
func (f *frame) has(names [][]byte, name []byte) bool {
	if f.set != nil {
		_, ok := f.set[string(name)]
		return ok
	}
	for _, n := range names[f.start:] {
		if bytes.Equal(n, name) {
			return true
		}
	}
	return false
}

// add records name in the object, moving its names to a map once they are
// mapFrom.
func (f *frame) add(names [][]byte, name []byte) [][]byte {
	names = append(names, name)
	switch n := len(names) - f.start; {
	case n > mapFrom:
		f.set[string(name)] = struct{}{}
	case n == mapFrom:
		f.set = make(map[string]struct{}, 2*mapFrom)
		for _, n := range names[f.start:] {
			f.set[string(n)] = struct{}{}
		}
	}
	return names
}

// stringEnd returns the index just past the closing quote of the string
// starting at data[i], or -1 when it does not close.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++ // the escaped byte cannot close the string
		case '"':
			return j + 1
		}
	}
	return -1
}

// unquote returns what the quoted JSON string q decodes to: q's own bytes
// unless it holds an escape or invalid UTF-8, which encoding/json turns into
// U+FFFD.
func unquote(q []byte) []byte {
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return body
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return body // malformed: any name will do, the decoder refuses it
	}
	return []byte(s)
}
