package sqlite

import (
	"encoding/json"
	"slices"
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

// valuesRow is a scanner over values as the driver returns them.
type valuesRow []any

func (r valuesRow) Scan(dest ...any) error {
	for i, d := range dest {
		*d.(*any) = r[i]
	}
	return nil
}

// TestScanColumnTypes: a value that is not of its column's type is an error
// naming the column, not a zero.
func TestScanColumnTypes(t *testing.T) {
	t.Parallel()
	summary := valuesRow{int64(7), "t1", "REBOOT", "RUNNING", int64(40), int64(0), "msg", `["cdb-1"]`, "req",
		int64(1000), int64(2000), int64(0), int64(3000), "[]"}
	task, err := newTaskReader(false, nil).read(summary)
	require.NoError(t, err)
	require.Equal(t, int64(7), task.ID)
	require.Equal(t, 40, task.Progress)
	require.Equal(t, []string{"cdb-1"}, task.InstanceIDs)
	require.Equal(t, int64(3000), task.UpdatedAt.UnixMilli())

	bad := slices.Clone(summary)
	bad[4] = "40"
	_, err = newTaskReader(false, nil).read(bad)
	require.ErrorContains(t, err, "column progress: string is not an integer")
	bad = slices.Clone(summary)
	bad[6] = nil
	_, err = newTaskReader(false, nil).read(bad)
	require.ErrorContains(t, err, "column message: <nil> is not text")

	var total int
	tr := newTaskReader(false, &total)
	task, err = tr.read(append(valuesRow{int64(105)}, summary...))
	require.NoError(t, err)
	require.Equal(t, 105, total)
	require.Equal(t, "req", task.AsyncRequestID)
	next := slices.Clone(summary)
	next[0], next[1], next[7] = int64(8), "t2", `["cdb-2"]`
	second, err := tr.read(append(valuesRow{int64(104)}, next...))
	require.NoError(t, err)
	require.Equal(t, 104, total)
	require.Equal(t, []any{int64(8), "t2", []string{"cdb-2"}}, []any{second.ID, second.Tenant, second.InstanceIDs})
	require.Equal(t, []any{int64(7), "t1", []string{"cdb-1"}}, []any{task.ID, task.Tenant, task.InstanceIDs},
		"a reader's next row leaves the tasks it read alone")
	_, err = tr.read(append(valuesRow{nil}, summary...))
	require.ErrorContains(t, err, "total: <nil> is not an integer")

	all := append(slices.Clone(summary), "{}", int64(1), int64(3), int64(0), int64(0), "w1", int64(5000),
		int64(0), int64(1), int64(1), int64(4000), int64(2))
	task, err = scanTask(all)
	require.NoError(t, err)
	require.Equal(t, "w1", task.LeaseOwner)
	require.True(t, task.PauseRequested && task.Exclusive && !task.CancelRequested)
	require.Equal(t, int64(2), task.Claims)
	all[len(all)-1] = 2.0
	_, err = scanTask(all)
	require.ErrorContains(t, err, "column claims: float64 is not an integer")
}
