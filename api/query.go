package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tc "github.com/taskcenter/taskcenter"
)

// List limits of the native API.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// query reads URL parameters, refusing unknown ones and repeats of
// single-valued ones, so a typo never silently widens a filter.
type query struct{ v url.Values }

// newQuery parses the request's parameters; allowed names them, and a name
// ending in "*" may repeat.
func newQuery(r *http.Request, allowed ...string) (*query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, tc.Invalidf("query", "malformed query string")
	}
	for k, vals := range v {
		switch {
		case slices.Contains(allowed, k+"*"):
		case !slices.Contains(allowed, k):
			return nil, tc.Invalidf(k, "unknown parameter %q", k)
		case len(vals) > 1:
			return nil, tc.Invalidf(k, "%s may be given once", k)
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return nil, tc.Invalidf(k, "%s must be valid UTF-8", k)
			}
		}
	}
	return &query{v}, nil
}

// get returns a single-valued parameter.
func (q *query) get(name string) string { return q.v.Get(name) }

// list returns a repeatable parameter; each value may also be comma-separated.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func (q *query) limit() (int, error) {
	s := q.get("limit")
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, tc.Invalidf("limit", "limit must be an integer from 1 to %d", MaxLimit)
	}
	return n, nil
}

func (q *query) time(name string) (time.Time, error) {
	s := q.get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, tc.Invalidf(name, "%s must be an RFC 3339 time, like 2026-01-02T15:04:05Z", name)
	}
	return t.UTC(), nil
}
