package tencent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// vendorExample is the output example of the DescribeTasks document (the
// seed, 2024-01-30 EN revision), with the TaskAttachInfo that the CLI's
// example of the same answer adds (spec §1.5): [] but for job 68.
const vendorExample = `{
    "Response": {
        "TotalCount": 5,
        "Items": [
            {
                "Code": 9013,
                "Message": "[Operate CDB Fail][Upgrade Service Fail!] reason: ERR#-999: lock_inst.cgi: no instance records exist for some instance IDs",
                "JobId": 79,
                "AsyncRequestId": "9d21004b-3aa1896a-eeddca4b-a68f106d",
                "TaskAttachInfo": [],
                "Progress": 10,
                "StartTime": "2019-10-09 20:03:39",
                "EndTime": "2019-10-09 20:39:34",
                "InstanceIds": ["cdb-qlfpnobr"],
                "TaskType": "OPEN GTID",
                "TaskStatus": "FAILED"
            },
            {
                "Code": 0,
                "Message": "Set parameters successfully",
                "JobId": 70,
                "AsyncRequestId": "1d564380-2e391736-f28fa246-43cea3aa",
                "TaskAttachInfo": [],
                "Progress": 100,
                "StartTime": "2018-07-06 22:03:05",
                "EndTime": "2018-07-06 22:03:28",
                "InstanceIds": ["cdb-6kd9h71i"],
                "TaskType": "MODIFY PARAM",
                "TaskStatus": "SUCCEED"
            },
            {
                "Code": 0,
                "Message": "Initialized instance successfully",
                "JobId": 69,
                "AsyncRequestId": "ea39295d-420a0b4e-a98298c7-8751e1ad",
                "TaskAttachInfo": [],
                "Progress": 100,
                "StartTime": "2018-07-06 22:01:42",
                "EndTime": "2018-07-06 22:02:26",
                "InstanceIds": ["cdb-6kd9h71i"],
                "TaskType": "INITIAL",
                "TaskStatus": "SUCCEED"
            },
            {
                "Code": 0,
                "Message": "Instance upgrade task is completed",
                "JobId": 68,
                "AsyncRequestId": "",
                "TaskAttachInfo": [{"AttachKey": "FastUpgradeStatus", "AttachValue": "1"}],
                "Progress": 100,
                "StartTime": "2018-07-05 23:53:48",
                "EndTime": "2018-07-06 22:05:10",
                "InstanceIds": ["cdb-6kd9h71i"],
                "TaskType": "UPGRADE MASTER",
                "TaskStatus": "SUCCEED"
            },
            {
                "Code": -1,
                "Message": "Failed to set parameters",
                "JobId": 66,
                "AsyncRequestId": "780b2e32-79cb0f4c-ec7854c5-44ff5371",
                "TaskAttachInfo": [],
                "Progress": 0,
                "StartTime": "2018-07-05 23:30:36",
                "EndTime": "2018-07-05 23:30:37",
                "InstanceIds": ["cdb-o02fxj9g"],
                "TaskType": "MODIFY PARAM",
                "TaskStatus": "FAILED"
            }
        ],
        "RequestId": "9a4b22f5-0f93-4a72-ba05-1eb6cdf37a1e"
    }
}`

// exampleTasks are the tasks behind vendorExample, as taskcenter stores
// them: UTC instants of the example's Beijing wall-clock times.
func exampleTasks(t *testing.T, loc *time.Location) []*tc.Task {
	t.Helper()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, loc)
		require.NoError(t, err)
		return v.UTC()
	}
	task := func(id int64, code int, msg, async string, progress int, start, end, inst, typ string, st tc.Status) *tc.Task {
		return &tc.Task{ID: id, Tenant: "acme", Code: code, Message: msg, AsyncRequestID: async, Progress: progress,
			CreatedAt: at(start), StartedAt: at(start), EndedAt: at(end), InstanceIDs: []string{inst}, Type: typ, Status: st}
	}
	tasks := []*tc.Task{
		task(79, 9013, "[Operate CDB Fail][Upgrade Service Fail!] reason: ERR#-999: lock_inst.cgi: no instance records exist for some instance IDs",
			"9d21004b-3aa1896a-eeddca4b-a68f106d", 10, "2019-10-09 20:03:39", "2019-10-09 20:39:34", "cdb-qlfpnobr", tc.TypeOpenGTID, tc.StatusFailed),
		task(70, 0, "Set parameters successfully", "1d564380-2e391736-f28fa246-43cea3aa", 100,
			"2018-07-06 22:03:05", "2018-07-06 22:03:28", "cdb-6kd9h71i", tc.TypeModifyParam, tc.StatusSucceed),
		task(69, 0, "Initialized instance successfully", "ea39295d-420a0b4e-a98298c7-8751e1ad", 100,
			"2018-07-06 22:01:42", "2018-07-06 22:02:26", "cdb-6kd9h71i", tc.TypeInitial, tc.StatusSucceed),
		task(68, 0, "Instance upgrade task is completed", "", 100,
			"2018-07-05 23:53:48", "2018-07-06 22:05:10", "cdb-6kd9h71i", tc.TypeUpgradeMaster, tc.StatusSucceed),
		task(66, -1, "Failed to set parameters", "780b2e32-79cb0f4c-ec7854c5-44ff5371", 0,
			"2018-07-05 23:30:36", "2018-07-05 23:30:37", "cdb-o02fxj9g", tc.TypeModifyParam, tc.StatusFailed),
	}
	tasks[3].AttachInfo = []tc.Attach{{Key: "FastUpgradeStatus", Value: "1"}}
	return tasks
}

func beijing(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	return loc
}

// TestVendorExample answers the document's request ({}) over the
// document's tasks: the answer is the document's, value for value, and its
// wire form is kept in testdata/describetasks_example.golden.
func TestVendorExample(t *testing.T) {
	t.Parallel()
	loc := beijing(t)
	f := setup(t, loc)
	f.svc.page = &tc.TaskPage{Tasks: exampleTasks(t, loc), Total: 5}
	status, body := f.do(t, f.tc3Post(`{}`, probeKey, nil))
	require.Equal(t, http.StatusOK, status)
	golden(t, "describetasks_example", body)
	requireSameShape(t, vendorExample, string(body))
	require.JSONEq(t, vendorExample, string(body))
}

// TestTaskNotEnded shows the decisions the document leaves open: a task
// still running has EndTime "0000-00-00 00:00:00", no async request id is
// "", no attach info is [], and several instances are all listed.
func TestTaskNotEnded(t *testing.T) {
	t.Parallel()
	loc := beijing(t)
	f := setup(t, loc)
	f.svc.page = &tc.TaskPage{Total: 21, Tasks: []*tc.Task{{
		ID: 1001, Tenant: "acme", Type: tc.TypeReboot, Status: tc.StatusRunning, Progress: 40, Message: "restarting",
		InstanceIDs: []string{"cdb-c1nl9rpv", "cdb-7h3k2m9x"}, CreatedAt: time.Date(2026, 11, 23, 2, 0, 0, 999e6, time.UTC),
		StartedAt: time.Date(2026, 11, 23, 2, 0, 1, 0, time.UTC),
	}, {
		ID: 1000, Tenant: "acme", Type: tc.TypeDropTables, Status: tc.StatusWaiting,
		InstanceIDs: []string{"cdb-c1nl9rpv"}, CreatedAt: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), AsyncRequestID: "maintenance-window",
	}}}
	status, body := f.do(t, f.tc3Get("Limit=2", probeKey, nil))
	require.Equal(t, http.StatusOK, status)
	golden(t, "describetasks_not_ended", body)
	requireSameShape(t, vendorExample, string(body))
}

// TestEmptyList has Items [] and TotalCount 0, never null.
func TestEmptyList(t *testing.T) {
	t.Parallel()
	f := setup(t, time.UTC)
	_, body := f.do(t, f.tc3Post(`{}`, probeKey, nil))
	require.JSONEq(t, `{"Response":{"TotalCount":0,"Items":[],"RequestId":"`+exampleReqID+`"}}`, string(body))
	// An instance of the caller's without tasks is no error.
	f.svc.page = &tc.TaskPage{}
	_, body = f.do(t, f.tc3Post(`{"InstanceId":"cdb-c1nl9rpv"}`, probeKey, nil))
	require.JSONEq(t, `{"Response":{"TotalCount":0,"Items":[],"RequestId":"`+exampleReqID+`"}}`, string(body))
}

// TestFilter turns each parameter into the filter of the caller's tasks.
func TestFilter(t *testing.T) {
	t.Parallel()
	loc := beijing(t)
	bj := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, loc)
		require.NoError(t, err)
		return v
	}
	for _, c := range []struct {
		body string
		want tc.TaskFilter
	}{
		{`{}`, tc.TaskFilter{Limit: 20}},
		{``, tc.TaskFilter{Limit: 20}},
		{`{"Offset":0,"Limit":100}`, tc.TaskFilter{Limit: 100}},
		{`{"Offset":40,"Limit":0}`, tc.TaskFilter{Offset: 40}},
		{`{"InstanceId":"cdb-c1nl9rpv"}`, tc.TaskFilter{InstanceID: "cdb-c1nl9rpv", Limit: 20}},
		{`{"InstanceId":""}`, tc.TaskFilter{Limit: 20}},
		{`{"AsyncRequestId":"a6040589-3b098df5"}`, tc.TaskFilter{AsyncRequestID: "a6040589-3b098df5", Limit: 20}},
		{`{"TaskTypes":[1,2,3,5,6,7,8,9,10,11,12,13]}`, tc.TaskFilter{Limit: 20, Types: []string{tc.TypeRollback, tc.TypeSQLOperation,
			tc.TypeImportData, tc.TypeModifyParam, tc.TypeInitial, tc.TypeReboot, tc.TypeOpenGTID, tc.TypeUpgradeRO,
			tc.TypeBatchRollback, tc.TypeUpgradeMaster, tc.TypeDropTables, tc.TypeSwitchDRToMaster}}},
		{`{"TaskTypes":[42]}`, tc.TaskFilter{Limit: 20, Types: []string{"FLUSH LOGS"}}},
		{`{"TaskTypes":[],"TaskStatus":[]}`, tc.TaskFilter{Limit: 20}},
		{`{"TaskStatus":[-1,0,1,2,3,4,5,6]}`, tc.TaskFilter{Limit: 20, Statuses: []tc.Status{tc.StatusUndefined, tc.StatusInitial,
			tc.StatusRunning, tc.StatusSucceed, tc.StatusFailed, tc.StatusKilled, tc.StatusRemoved, tc.StatusPaused}}},
		{`{"StartTimeBegin":"2017-12-31 10:40:01"}`, tc.TaskFilter{Limit: 20, CreatedAfter: bj("2017-12-31 10:40:01")}},
		{`{"StartTimeEnd":"2017-12-31 10:40:01"}`, tc.TaskFilter{Limit: 20, CreatedBefore: bj("2017-12-31 10:40:02")}},
		{`{"StartTimeBegin":"2017-12-31 10:40:01","StartTimeEnd":"2017-12-31 10:40:01"}`,
			tc.TaskFilter{Limit: 20, CreatedAfter: bj("2017-12-31 10:40:01"), CreatedBefore: bj("2017-12-31 10:40:02")}},
		{`{"StartTimeBegin":"","StartTimeEnd":null,"InstanceId":null}`, tc.TaskFilter{Limit: 20}},
	} {
		f := setup(t, loc)
		f.svc.custom = []tc.TaskType{{Key: "FLUSH LOGS", TencentCode: 42}}
		require.Empty(t, f.errorCode(t, f.tc3Post(c.body, probeKey, nil)), c.body)
		c.want.Tenant, c.want.Summary = "acme", true // its items show only a summary's fields
		got := f.svc.lastFilter(t)
		require.Equal(t, &c.want, got, c.body)
		require.Equal(t, c.want.CreatedAfter.UTC(), got.CreatedAfter.UTC(), "%s: the instant, in Beijing", c.body)
	}
	// 10:40:01 in Beijing is 02:40:01 UTC.
	require.Equal(t, time.Date(2017, 12, 31, 2, 40, 1, 0, time.UTC), bj("2017-12-31 10:40:01").UTC())
}

// TestRefusedParameters answers each bad parameter with its code, without
// listing anything.
func TestRefusedParameters(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body, code string
	}{
		{`{"Limit":101}`, CodeInvalidParameterValue},
		{`{"Limit":-1}`, CodeInvalidParameterValue},
		{`{"Offset":-1}`, CodeInvalidParameterValue},
		{`{"TaskTypes":[4]}`, CodeInvalidParameterValue},
		{`{"TaskTypes":[0]}`, CodeInvalidParameterValue},
		{`{"TaskTypes":[14]}`, CodeInvalidParameterValue},
		{`{"TaskStatus":[7]}`, CodeInvalidParameterValue},
		{`{"TaskStatus":[-2]}`, CodeInvalidParameterValue},
		{`{"StartTimeBegin":"2017-12-31"}`, CodeInvalidParameterValue},
		{`{"StartTimeBegin":"2017-12-31T10:40:01"}`, CodeInvalidParameterValue},
		{`{"StartTimeBegin":"2017-12-31 10:40:01.5"}`, CodeInvalidParameterValue},
		{`{"StartTimeEnd":"2017-13-01 00:00:00"}`, CodeInvalidParameterValue},
		{`{"StartTimeEnd":"2017-1-01 00:00:00"}`, CodeInvalidParameterValue},
		{`{"StartTimeBegin":"2017-12-31 10:40:02","StartTimeEnd":"2017-12-31 10:40:01"}`, CodeInvalidParameterValue},
		{`{"InstanceId":"cdb-other"}`, CodeInstanceNotFound},
		{`{"InstanceId":"cdb-nowhere"}`, CodeInstanceNotFound},
		{`{"InstanceId":"cdb/../x"}`, CodeInstanceNotFound},
		{`{"Limit":"20"}`, CodeInvalidParameter},
		{`{"Limit":1.5}`, CodeInvalidParameter},
		{`{"Limit":1e2}`, CodeInvalidParameter},
		{`{"TaskTypes":7}`, CodeInvalidParameter},
		{`{"TaskTypes":["7"]}`, CodeInvalidParameter},
		{`{"TaskTypes":[null]}`, CodeInvalidParameter},
		{`{"InstanceId":5}`, CodeInvalidParameter},
		{`{"Foo":1}`, CodeUnknownParameter},
		{`{"limit":1}`, CodeUnknownParameter},
		{`{"Limit":1,"Region":"ap-guangzhou"}`, CodeUnknownParameter},
		{`[]`, CodeInvalidParameter},
		{`1`, CodeInvalidParameter},
		{`null`, CodeInvalidParameter},
		{`{`, CodeInvalidParameter},
		{`{} {}`, CodeInvalidParameter},
		{"{\"InstanceId\":\"\xff\"}", CodeInvalidParameter},
	} {
		f := setup(t, time.UTC)
		require.Equal(t, c.code, f.errorCode(t, f.tc3Post(c.body, probeKey, nil)), c.body)
		f.svc.requireNothingListed(t, c.body)
	}
}

// requireSameShape checks that got has the structure of want: the same
// keys in every object, the same JSON type in every value, and list items
// shaped like want's first item.
func requireSameShape(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g))
	require.NoError(t, sameShape("$", w, g))
}

func sameShape(path string, want, got any) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %T", path, got)
		}
		if wk, gk := keys(w), keys(g); fmt.Sprint(wk) != fmt.Sprint(gk) {
			return fmt.Errorf("%s: want keys %v, got %v", path, wk, gk)
		}
		for k := range w {
			if err := sameShape(path+"."+k, w[k], g[k]); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %T", path, got)
		}
		for i := range g {
			if len(w) > 0 {
				if err := sameShape(fmt.Sprintf("%s[%d]", path, i), w[0], g[i]); err != nil {
					return err
				}
			}
		}
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return fmt.Errorf("%s: want a %T, got %T", path, want, got)
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BenchmarkDescribeTasks serves a TC3-signed per-instance DescribeTasks
// whose page holds 20 of the instance's 105 tasks, as the query benchmark's
// tencent/instance does, from the fake service: the handler's own work,
// without a store or a network. Its allocations per request are steady
// where its time is not on a shared machine.
func BenchmarkDescribeTasks(b *testing.B) {
	f := setup(b, time.FixedZone("CST", 8*3600))
	at := f.now.Add(-time.Hour)
	for i := range 20 {
		f.svc.page.Tasks = append(f.svc.page.Tasks, &tc.Task{ID: int64(1000 - i), Tenant: "acme", Type: tc.TypeReboot,
			Status: tc.StatusSucceed, Progress: 100, Message: "done", InstanceIDs: []string{"cdb-c1nl9rpv"},
			AsyncRequestID: fmt.Sprintf("req-%08d", i), CreatedAt: at, StartedAt: at, UpdatedAt: at, EndedAt: at.Add(time.Minute)})
	}
	f.svc.page.Total = 105
	body := `{"InstanceId":"cdb-c1nl9rpv","Limit":20}`
	signed := f.tc3Post(body, probeKey, nil)
	b.ReportAllocs()
	for b.Loop() {
		r := signed.Clone(signed.Context())
		r.Body = io.NopCloser(strings.NewReader(body))
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"TotalCount":105,`)) {
			b.Fatal(rec.Body.String())
		}
	}
}
