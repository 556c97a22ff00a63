package tencent

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/taskcenter/taskcenter/internal/strictjson"
)

// decodeParams decodes an action's parameters into dst, a pointer to a
// struct of *string, *int64 and []*int64 fields named by json tags: from the
// JSON body of a TC3 POST, or from the flattened query or form otherwise.
// Names are matched exactly; any other is an UnknownParameter.
func decodeParams(c *call, dst any) error {
	if c.params != nil {
		if err := unflatten(c.params, dst); err != nil {
			return err
		}
		return nil
	}
	return decodeJSON(c.body, dst)
}

// decodeJSON decodes a JSON object strictly: names must match exactly
// (encoding/json alone would match them in any case), types must fit, and
// list items must not be null.
func decodeJSON(body []byte, dst any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	notObject := newError(CodeInvalidParameter, "The body must be one JSON object.", "请求体必须为一个 JSON 对象。")
	if !utf8.Valid(body) {
		return newError(CodeInvalidParameter, "The body must be valid UTF-8.", "请求体必须为合法的 UTF-8 编码。")
	}
	// encoding/json would keep the last of two members of one name.
	if name, dup := strictjson.DuplicateKey(body); dup {
		return invalidParam(clip(name), "given more than once.", "重复出现。")
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return notObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return notObject
	}
	v := reflect.ValueOf(dst).Elem()
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fields[name] = v.Field(i)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad parameter is the same on every try
	for _, name := range names {
		f, ok := fields[name]
		if !ok {
			return newError(CodeUnknownParameter, "The parameter `"+clip(name)+"` is not recognized.", "无法识别参数 `"+clip(name)+"`。")
		}
		if err := json.Unmarshal(raw[name], f.Addr().Interface()); err != nil || hasNil(f) {
			en, zh := jsonKind(f)
			return invalidParam(name, "must be "+en+".", "必须为"+zh+"。")
		}
	}
	return nil
}

// hasNil reports whether a list holds a null item.
func hasNil(f reflect.Value) bool {
	if f.Kind() != reflect.Slice {
		return false
	}
	for i := range f.Len() {
		if f.Index(i).IsNil() {
			return true
		}
	}
	return false
}

// jsonKind names the JSON type a field takes, in English and Chinese.
func jsonKind(f reflect.Value) (en, zh string) {
	switch t := f.Type(); {
	case t.Kind() == reflect.Slice && t.Elem().Elem().Kind() == reflect.Int64:
		return "an array of integers", "整数数组"
	case t.Kind() == reflect.Slice:
		return "an array of strings", "字符串数组"
	case t.Elem().Kind() == reflect.Int64:
		return "an integer", "整数"
	}
	return "a string", "字符串"
}
