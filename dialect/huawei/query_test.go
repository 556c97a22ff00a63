package huawei

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))
	for _, s := range []string{"2026-01-01T00:00:00+0800", "2026-01-01T00:00:00+08:00", "2025-12-31T16:00:00Z", "2025-12-31T16:00:00+0000", "2025-12-31T10:30:00-0530"} {
		got, ok := ParseTime(s)
		require.True(t, ok, s)
		require.True(t, want.Equal(got), "%s: %s", s, got)
	}
	for _, s := range []string{
		"", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00+0800",
		"2026-01-01T00:00:00 0800", // a '+' turned into a space by form decoding
		"2026-01-01T00:00:00.5+0800", "2026-01-01T00:00:00z", "2026-02-30T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T00:00:00+8", "1767196800",
	} {
		_, ok := ParseTime(s)
		require.False(t, ok, s)
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 2, 2, 41, 14, 500e6, time.UTC)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	require.Equal(t, "2024-05-02T10:41:14+0800", formatTime(at, shanghai))
	require.Equal(t, "2024-05-02T02:41:14+0000", formatTime(at, time.UTC))
	require.Equal(t, "", formatTime(time.Time{}, shanghai))
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	q, err := parseQuery("start_time=2026-01-01T00:00:00+0800&end_time=2026-01-02T00%3A00%3A00%2B08%3A00&name=SQL%20OPERATION&id&status=a&status=b&x=1")
	require.NoError(t, err)
	v, err := q.get("start_time", fieldStartTime)
	require.NoError(t, err)
	require.Equal(t, "2026-01-01T00:00:00+0800", v, "a raw '+' is not a space")
	v, _ = q.get("end_time", fieldEndTime)
	require.Equal(t, "2026-01-02T00:00:00+08:00", v)
	v, _ = q.get("name", "name")
	require.Equal(t, "SQL OPERATION", v)
	require.True(t, q.has("id"))
	v, _ = q.get("id", "id")
	require.Equal(t, "", v)
	require.False(t, q.has("limit"))
	_, err = q.get("status", "status")
	require.ErrorContains(t, err, "status is given more than once")
	_, err = q.get("x", "x")
	require.ErrorContains(t, err, "not declared", "every parameter read is declared in parameters")
	require.False(t, q.has("x"))

	_, err = parseQuery("a=%G0")
	require.ErrorContains(t, err, "malformed escape")
}
