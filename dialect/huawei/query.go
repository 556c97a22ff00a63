package huawei

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// query is a request's query string decoded from its raw form with path
// unescaping, so that a literal '+' stays a plus. People write
// start_time=2026-01-01T00:00:00+0800 by hand, where form decoding would
// turn the offset into " 0800"; the SDK sends '+' as %2B and ' ' as %20,
// which both decodings agree on. The signature check decodes the same way.
type query map[string][]string

// parseQuery decodes a raw query. A key without '=' has the value "", as the
// SDK sends parameters left empty (?end_time&start_time).
func parseQuery(raw string) (query, error) {
	q := query{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.PathUnescape(k)
		if err != nil {
			return nil, tc.Invalidf("query", "Parameter error: the query string has a malformed escape in %q.", clip(part))
		}
		value, err := url.PathUnescape(v)
		if err != nil {
			return nil, tc.Invalidf("query", "Parameter error: the query string has a malformed escape in %q.", clip(part))
		}
		q[key] = append(q[key], value)
	}
	return q, nil
}

// parameters are the query parameters each action reads. The handlers read
// through query.get, which refuses a name not declared here, so this list
// is what the code reads: the bad-input catalogue checks it has a row for
// each.
var parameters = map[string][]string{
	ActionListTasks:     {"start_time", "end_time", "status", "name", "id", "offset", "limit", "instance_id"},
	ActionShowJobDetail: {"id"},
}

// Parameters returns the query parameters an action reads.
func Parameters(action string) []string { return slices.Clone(parameters[action]) }

// declared reports whether some action declares the parameter.
func declared(name string) bool {
	for _, names := range parameters {
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}

// get returns the value of a parameter, "" when it is absent, and an error
// naming field when it is given more than once.
func (q query) get(name, field string) (string, error) {
	if !declared(name) {
		return "", tc.Errorf(tc.EINTERNAL, "huawei: parameter %q is read but not declared", name)
	}
	switch vs := q[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", tc.Invalidf(field, "Parameter error: %s is given more than once.", name)
}

// has reports whether a declared parameter is present, even without a value.
func (q query) has(name string) bool {
	_, ok := q[name]
	ok = ok && declared(name)
	return ok
}

// TimeLayout is the layout of the times in answers: yyyy-MM-ddTHH:mm:ssZ
// with Z a numeric offset, like 2024-05-02T10:41:14+0800.
const TimeLayout = "2006-01-02T15:04:05-0700"

// timeRE is the accepted form of start_time and end_time: the documented
// yyyy-mm-ddThh:mm:ssZ with an offset written +0800, +08:00 or Z.
var timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:?\d{2})$`)

// ParseTime parses a start_time or end_time value.
func ParseTime(s string) (time.Time, bool) {
	if !timeRE.MatchString(s) {
		return time.Time{}, false
	}
	// time.Parse alone would also take fractional seconds; the regexp does not.
	layout := "2006-01-02T15:04:05Z0700"
	if strings.Contains(s[len("2006-01-02T15:04:05"):], ":") {
		layout = "2006-01-02T15:04:05Z07:00"
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

// formatTime writes t in loc as answers show it; the zero time is "".
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(TimeLayout)
}

// clip shortens user input quoted back in messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
