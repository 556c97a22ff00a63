package taskcenter_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func TestTransitions(t *testing.T) {
	t.Parallel()
	allowed := map[tc.Status][]tc.Status{
		tc.StatusWaiting: {tc.StatusInitial, tc.StatusPaused, tc.StatusKilled},
		tc.StatusInitial: {tc.StatusWaiting, tc.StatusRunning, tc.StatusPaused, tc.StatusKilled},
		tc.StatusRunning: {tc.StatusInitial, tc.StatusWaiting, tc.StatusSucceed, tc.StatusFailed, tc.StatusPaused, tc.StatusKilled},
		tc.StatusPaused:  {tc.StatusInitial, tc.StatusWaiting, tc.StatusKilled},
		tc.StatusSucceed: {tc.StatusRemoved},
		tc.StatusFailed:  {tc.StatusRemoved},
		tc.StatusKilled:  {tc.StatusRemoved},
	}
	for _, from := range tc.Statuses {
		for _, to := range append(tc.Statuses, tc.StatusUndefined) {
			want := false
			for _, a := range allowed[from] {
				want = want || a == to
			}
			require.Equal(t, want, from.CanTransition(to), "%s -> %s", from, to)
			task := &tc.Task{ID: 1, Status: from}
			err := task.Transition(to, time.Now())
			if want {
				require.NoError(t, err)
				require.Equal(t, to, task.Status)
			} else {
				require.Equal(t, tc.ECONFLICT, tc.ErrorCode(err), "%s -> %s", from, to)
				require.Equal(t, from, task.Status, "a refused transition changes nothing")
			}
		}
	}
}

func TestTransitionKeepsTimesAndLease(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	task := &tc.Task{ID: 1, Status: tc.StatusInitial}
	require.NoError(t, task.Transition(tc.StatusRunning, t0))
	require.Equal(t, t0, task.StartedAt)
	task.LeaseOwner, task.LeaseExpiresAt, task.Progress = "w1", t0.Add(time.Minute), 40
	require.NoError(t, task.Transition(tc.StatusInitial, t0.Add(time.Second))) // a retry
	require.Empty(t, task.LeaseOwner)
	require.True(t, task.LeaseExpiresAt.IsZero())
	require.NoError(t, task.Transition(tc.StatusRunning, t0.Add(time.Hour)))
	require.Equal(t, t0, task.StartedAt, "started_at is the first start")
	require.NoError(t, task.Transition(tc.StatusSucceed, t0.Add(2*time.Hour)))
	require.Equal(t, 100, task.Progress)
	require.Equal(t, t0.Add(2*time.Hour), task.EndedAt)
	require.NoError(t, task.Transition(tc.StatusRemoved, t0.Add(3*time.Hour)))
	require.Equal(t, t0.Add(2*time.Hour), task.EndedAt, "removal keeps the end")
}

func TestStatusCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]tc.Status{-1: tc.StatusUndefined, 0: tc.StatusInitial, 1: tc.StatusRunning,
		2: tc.StatusSucceed, 3: tc.StatusFailed, 4: tc.StatusKilled, 5: tc.StatusRemoved, 6: tc.StatusPaused} {
		got, ok := tc.StatusFromCode(code)
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	_, ok := tc.StatusFromCode(7)
	require.False(t, ok)
	_, ok = tc.StatusWaiting.Code()
	require.False(t, ok, "WAITING has no integer code")
	s, err := tc.ParseStatus("running")
	require.NoError(t, err)
	require.Equal(t, tc.StatusRunning, s)
	_, err = tc.ParseStatus("UNDEFINED")
	require.Equal(t, "status", tc.ErrorField(err), "UNDEFINED is never stored")
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	types := tc.BuiltinTypes()
	require.Len(t, types, 49)
	codes := map[int]string{}
	for _, typ := range types {
		require.True(t, typ.Exclusive && typ.Builtin, typ.Key)
		if typ.TencentCode != 0 {
			codes[typ.TencentCode] = typ.Key
		}
	}
	require.Equal(t, map[int]string{1: "ROLLBACK", 2: "SQL OPERATION", 3: "IMPORT DATA", 5: "MODIFY PARAM", 6: "INITIAL",
		7: "REBOOT", 8: "OPEN GTID", 9: "UPGRADE RO", 10: "BATCH ROLLBACK", 11: "UPGRADE MASTER", 12: "DROP TABLES",
		13: "SWITCH DR TO MASTER"}, codes)
	got, ok := tc.BuiltinType("MongodbRestoreTable")
	require.True(t, ok)
	require.Zero(t, got.TencentCode)
	_, ok = tc.BuiltinType("mongodbrestoretable")
	require.False(t, ok, "keys are exact")
}

func TestValidateContext(t *testing.T) {
	t.Parallel()
	ok := func(typ, raw string) {
		t.Helper()
		out, err := tc.ValidateContext(typ, json.RawMessage(raw))
		require.NoError(t, err, raw)
		require.True(t, json.Valid(out))
	}
	bad := func(typ, raw, field string) {
		t.Helper()
		_, err := tc.ValidateContext(typ, json.RawMessage(raw))
		require.Equal(t, field, tc.ErrorField(err), raw)
	}
	ok("REBOOT", "")
	ok("REBOOT", "null")
	ok("REBOOT", `{"anything": [1, 2]}`)
	bad("REBOOT", `[1]`, "context")
	bad("REBOOT", `"s"`, "context")
	bad("REBOOT", `{"a":`, "context")
	ok("ROLLBACK", `{"operator":"231323","rollbackTime":"2016-01-25 17:32:39","dbs":[{"dbname":"test","newname":"test_bakee"}]}`)
	ok("BATCH ROLLBACK", `{"tables":[{"db":"d","table":[{"tablename":"t","newname":"t_bak"}]}]}`)
	bad("ROLLBACK", `{}`, "context.dbs")
	bad("ROLLBACK", `{"dbs":[]}`, "context.dbs")
	bad("ROLLBACK", `{"dbs":[{"dbname":"d","newname":""}]}`, "context.dbs")
	bad("BATCH ROLLBACK", `{"tables":[{"db":"d","table":[]}]}`, "context.tables")
	bad("BATCH ROLLBACK", `{"tables":[{"db":"d","table":[{"tablename":"t"}]}]}`, "context.tables")
	bad("ROLLBACK", `{"dbs":"test"}`, "context")
}

func TestRoles(t *testing.T) {
	t.Parallel()
	require.True(t, tc.RoleAdmin.Can(tc.RoleWorker))
	require.True(t, tc.RoleOperator.Can(tc.RoleReader))
	require.False(t, tc.RoleOperator.Can(tc.RoleWorker))
	require.False(t, tc.RoleOperator.Can(tc.RoleAdmin))
	require.True(t, tc.RoleWorker.Can(tc.RoleReader))
	require.False(t, tc.RoleWorker.Can(tc.RoleOperator))
	require.False(t, tc.RoleReader.Can(tc.RoleOperator))
}
