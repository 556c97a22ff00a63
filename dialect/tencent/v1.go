package tencent

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The v1 signature methods. Anything but HmacSHA256, or nothing, means HmacSHA1.
const (
	HmacSHA1   = "HmacSHA1"
	HmacSHA256 = "HmacSHA256"
)

// commonParams are the v1 common parameters: they travel beside an action's
// own parameters in the query or form and are not decoded as those.
var commonParams = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true, "Nonce": true,
	"SecretId": true, "Signature": true, "SignatureMethod": true, "Token": true,
	"Language": true, "RequestClient": true,
}

// readV1 reads a request signed with HmacSHA1 or HmacSHA256: every
// parameter in the query (GET) or in a form body (POST).
func (h *handler) readV1(r *http.Request, c *call, mediaType string) error {
	c.actionName, c.versionName = "Action", "Version"
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		if mediaType != "application/x-www-form-urlencoded" {
			return newError(CodeUnsupportedProtocol, "POST application/json with TC3-HMAC-SHA256, or application/x-www-form-urlencoded with HmacSHA1 or HmacSHA256.",
				"POST 请求须为 application/json（TC3-HMAC-SHA256 签名）或 application/x-www-form-urlencoded（HmacSHA1、HmacSHA256 签名）。")
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		raw = string(body)
	}
	params, err := url.ParseQuery(raw)
	if err != nil {
		return newError(CodeInvalidParameter, "The parameters are not properly URL-encoded.", "参数的 URL 编码格式错误。")
	}
	c.params = params
	c.lang = parseLang(params.Get("Language"))
	for name, values := range params {
		if commonParams[name] && len(values) > 1 {
			return invalidParam(name, "given more than once.", "重复出现。")
		}
	}
	c.action, c.version = params.Get("Action"), params.Get("Version")
	c.secretID, c.signature, c.token = params.Get("SecretId"), params.Get("Signature"), params.Get("Token")
	for _, name := range []string{"SecretId", "Signature", "Timestamp", "Nonce"} {
		if params.Get(name) == "" {
			return missing(name)
		}
	}
	if c.timestamp, err = strconv.ParseInt(params.Get("Timestamp"), 10, 64); err != nil {
		return invalidParam("Timestamp", "must be a Unix time in seconds.", "必须为以秒为单位的 Unix 时间戳。")
	}
	if c.nonce, err = strconv.ParseUint(params.Get("Nonce"), 10, 64); err != nil || c.nonce == 0 {
		return invalidParam("Nonce", "must be a positive integer.", "必须为正整数。")
	}
	method := params.Get("SignatureMethod")
	stringToSign := v1StringToSign(r.Method, r.Host, r.URL.Path, params)
	c.sign = func(secretKey string) string { return v1Signature(method, secretKey, stringToSign) }
	return nil
}

// v1StringToSign is METHOD + host + path + "?" + the parameters but
// Signature as key=value with raw values, sorted by key in byte order and
// joined with "&".
func v1StringToSign(method, host, path string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(method + host + path + "?")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params.Get(k))
	}
	return b.String()
}

// v1Signature is Base64(HMAC(secretKey, stringToSign)) with SHA-256 for
// HmacSHA256 and SHA-1 otherwise.
func v1Signature(signatureMethod, secretKey, stringToSign string) string {
	var h func() hash.Hash = sha1.New
	if signatureMethod == HmacSHA256 {
		h = sha256.New
	}
	m := hmac.New(h, []byte(secretKey))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// unflatten decodes query or form parameters into dst, a pointer to a struct
// whose fields are *string, *int64 or []*int64 named by their json tags:
// scalars as Name=value, lists as Name.0=v&Name.1=v (ordered by the index,
// as the SDK flattens them). Common parameters are skipped; any other name
// is an UnknownParameter.
func unflatten(params url.Values, dst any) *apiError {
	v := reflect.ValueOf(dst).Elem()
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fields[name] = v.Field(i)
	}
	type item struct {
		index int
		value string
	}
	lists := map[string][]item{}
	for key, values := range params {
		if commonParams[key] {
			continue
		}
		if len(values) > 1 {
			return invalidParam(clip(key), "given more than once.", "重复出现。")
		}
		// A JSON body must be UTF-8; so must the same parameters in a form.
		if !utf8.ValidString(key) || !utf8.ValidString(values[0]) {
			return invalidParam(clip(strings.ToValidUTF8(key, "?")), "must be valid UTF-8.", "必须为合法的 UTF-8 编码。")
		}
		name, index, isItem := strings.Cut(key, ".")
		f, ok := fields[name]
		if !ok {
			return newError(CodeUnknownParameter, "The parameter `"+clip(key)+"` is not recognized.", "无法识别参数 `"+clip(key)+"`。")
		}
		isList := f.Kind() == reflect.Slice
		switch {
		case isList && !isItem:
			return invalidParam(name, "a list is sent as "+name+".0, "+name+".1, ...", "列表参数应以 "+name+".0、"+name+".1 …… 的形式传入。")
		case !isList && isItem:
			return invalidParam(name, "not a list.", "不是列表参数。")
		case isList:
			n, err := strconv.Atoi(index)
			if err != nil || n < 0 || strconv.Itoa(n) != index {
				return invalidParam(clip(key), "the index must be a non-negative integer.", "下标必须为非负整数。")
			}
			lists[name] = append(lists[name], item{n, values[0]})
		default:
			if err := setScalar(f, name, values[0]); err != nil {
				return err
			}
		}
	}
	for name, items := range lists {
		sort.Slice(items, func(i, j int) bool { return items[i].index < items[j].index })
		list := reflect.MakeSlice(fields[name].Type(), len(items), len(items))
		for i, it := range items {
			if err := setScalar(list.Index(i), name, it.value); err != nil {
				return err
			}
		}
		fields[name].Set(list)
	}
	return nil
}

// setScalar sets f, a *string or *int64, from a parameter's text.
func setScalar(f reflect.Value, name, s string) *apiError {
	switch f.Type().Elem().Kind() {
	case reflect.String:
		f.Set(reflect.ValueOf(&s))
	case reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return invalidParam(name, "must be an integer.", "必须为整数。")
		}
		f.Set(reflect.ValueOf(&n))
	default:
		panic("tencent: unflatten: unsupported field type " + f.Type().String())
	}
	return nil
}
