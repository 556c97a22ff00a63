// Package strictjson finds what encoding/json lets through silently but a
// request must not carry: an object naming the same member twice, where
// encoding/json keeps the last one and the caller may have meant the first.
package strictjson

import (
	"bytes"
	"encoding/json"
)

// DuplicateKey returns the first member name that appears twice in one
// object of data, at any depth, and true; or "" and false. Malformed JSON
// is not its concern: it reports no duplicate and leaves the error to the
// decoder.
func DuplicateKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// Each open object keeps the names seen so far; arrays push nil.
	var stack []map[string]bool
	expectKey := func() bool { return len(stack) > 0 && stack[len(stack)-1] != nil }
	afterValue := true // in an object, the next string token is a name
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
			if expectKey() && afterValue {
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
