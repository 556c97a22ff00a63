package sdktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dds/v3/model"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
)

// The tests of the Huawei dialect: huaweicloud-sdk-go-v3's DDS client (and
// plain HTTP for tokens and forged requests) against a real server.

const ddsProject = "0549b4a43100d4f32f51c01c2fe4acdb"

// TestHuaweiListTasksFilters checks every filter and the defaults of ListTasks.
func TestHuaweiListTasksFilters(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	p := ddsProject
	s.Instance(t, p, "dds-a", "orders", "")
	s.Instance(t, p, "dds-b", "users", "")
	s.Instance(t, "other", "dds-a", "theirs", "")
	base := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	at := func(d time.Duration) func(*tc.Task) { return func(t *tc.Task) { t.CreatedAt = base.Add(d) } }
	run, done := []tc.Status{tc.StatusRunning}, []tc.Status{tc.StatusRunning, tc.StatusSucceed}
	completed := s.Seed(t, p, "RestartInstance", []string{"dds-a"}, at(time.Hour), done, nil)
	running := s.Seed(t, p, "CreateMongoDBReplica", []string{"dds-b", "dds-a"}, at(2*time.Hour), run, func(t *tc.Task) { t.Progress = 45 })
	failed := s.Seed(t, p, "EnlargeMongoDBVolume", []string{"dds-a"}, at(3*time.Hour), []tc.Status{tc.StatusRunning, tc.StatusFailed},
		func(t *tc.Task) { t.Code, t.Message = 7, "no space left on device" })
	killed := s.Seed(t, p, "ModifyPort", []string{"dds-b"}, at(4*time.Hour), []tc.Status{tc.StatusKilled}, func(t *tc.Task) { t.Message = "canceled" })
	paused := s.Seed(t, p, tc.TypeReboot, []string{"dds-a"}, at(5*time.Hour), []tc.Status{tc.StatusPaused}, nil)
	waiting := s.Seed(t, p, "RestartInstance", []string{"dds-a"}, at(6*time.Hour), []tc.Status{tc.StatusWaiting}, nil)
	early := s.Seed(t, p, "RestartInstance", []string{"dds-a"}, at(-time.Second), nil, nil)
	s.Seed(t, p, "RestartInstance", []string{"dds-a"}, at(7*24*time.Hour+time.Second), nil, nil)
	theirs := s.Seed(t, "other", "RestartInstance", []string{"dds-a"}, at(time.Hour), nil, nil)
	client := ddsProjectClient(t, s, p)
	window := func() *model.ListTasksRequest { return ddsListReq(base, base.Add(7*24*time.Hour)) }
	all := ddsTaskIDs(waiting, paused, killed, failed, running, completed)

	t.Run("defaults", func(t *testing.T) {
		resp, err := client.ListTasks(window())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.HttpStatusCode)
		require.Equal(t, int32(6), *resp.TotalCount)
		require.Equal(t, all, ddsJobIDs(resp.Jobs))
		utc := func(tm time.Time) string { return tm.UTC().Format(huaweiTime) }
		byID := map[string]model.JobInfo{}
		for _, j := range *resp.Jobs {
			byID[j.Id] = j
		}
		require.Equal(t, model.JobInfo{Id: ddsTaskIDs(completed)[0], Name: "RestartInstance", InstanceId: "dds-a", InstanceName: "orders",
			Status: "Completed", CreatedAt: utc(completed.CreatedAt), EndedAt: utc(completed.EndedAt)}, byID[ddsTaskIDs(completed)[0]])
		require.Equal(t, model.JobInfo{Id: ddsTaskIDs(running)[0], Name: "CreateMongoDBReplica", InstanceId: "dds-b", InstanceName: "users",
			Status: "Running", Progress: "45%", CreatedAt: utc(running.CreatedAt)}, byID[ddsTaskIDs(running)[0]])
		require.Equal(t, model.JobInfo{Id: ddsTaskIDs(failed)[0], Name: "EnlargeMongoDBVolume", InstanceId: "dds-a", InstanceName: "orders",
			Status: "Failed", FailReason: "no space left on device", CreatedAt: utc(failed.CreatedAt), EndedAt: utc(failed.EndedAt)}, byID[ddsTaskIDs(failed)[0]])
		require.Equal(t, "Failed", byID[ddsTaskIDs(killed)[0]].Status)
		require.Equal(t, "canceled", byID[ddsTaskIDs(killed)[0]].FailReason)
		require.Equal(t, "Running", byID[ddsTaskIDs(paused)[0]].Status)
		require.Equal(t, "0%", byID[ddsTaskIDs(waiting)[0]].Progress)
		require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$`, byID[ddsTaskIDs(completed)[0]].CreatedAt)
	})
	for _, c := range []struct {
		name string
		mod  func(r *model.ListTasksRequest)
		want []string
	}{
		{"status Running", func(r *model.ListTasksRequest) { r.Status = hwPtr("Running") }, ddsTaskIDs(waiting, paused, running)},
		{"status Completed", func(r *model.ListTasksRequest) { r.Status = hwPtr("Completed") }, ddsTaskIDs(completed)},
		{"status Failed", func(r *model.ListTasksRequest) { r.Status = hwPtr("Failed") }, ddsTaskIDs(killed, failed)},
		{"name DDS", func(r *model.ListTasksRequest) { r.Name = hwPtr("RestartInstance") }, ddsTaskIDs(waiting, completed)},
		{"name of the catalog", func(r *model.ListTasksRequest) { r.Name = hwPtr(tc.TypeReboot) }, ddsTaskIDs(paused)},
		{"name without tasks", func(r *model.ListTasksRequest) { r.Name = hwPtr("UpgradeDatabaseVersion") }, []string{}},
		{"id", func(r *model.ListTasksRequest) { r.Id = hwPtr(ddsTaskIDs(failed)[0]) }, ddsTaskIDs(failed)},
		{"id of another project", func(r *model.ListTasksRequest) { r.Id = hwPtr(ddsTaskIDs(theirs)[0]) }, []string{}},
		{"id as Huawei writes them", func(r *model.ListTasksRequest) { r.Id = hwPtr("2f406db7-bdc4-402f-9dc4-2c1b094a5f93") }, []string{}},
		{"status and name", func(r *model.ListTasksRequest) { r.Status, r.Name = hwPtr("Running"), hwPtr("RestartInstance") }, ddsTaskIDs(waiting)},
		{"offset and limit", func(r *model.ListTasksRequest) { r.Offset, r.Limit = hwPtr(int32(1)), hwPtr(int32(2)) }, ddsTaskIDs(paused, killed)},
		{"offset past the end", func(r *model.ListTasksRequest) { r.Offset = hwPtr(int32(6)) }, []string{}},
		{"both ends inclusive", func(r *model.ListTasksRequest) {
			*r = *ddsListReq(completed.CreatedAt, running.CreatedAt)
		}, ddsTaskIDs(running, completed)},
		{"before the window", func(r *model.ListTasksRequest) { *r = *ddsListReq(early.CreatedAt, base) }, ddsTaskIDs(early)},
		{"offsets with a colon", func(r *model.ListTasksRequest) {
			r.StartTime = base.In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04:05-07:00")
			r.EndTime = base.Add(7 * 24 * time.Hour).In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05-07:00")
		}, all},
		{"Z", func(r *model.ListTasksRequest) {
			r.StartTime, r.EndTime = base.Format(time.RFC3339), base.Add(7*24*time.Hour).Format(time.RFC3339)
		}, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := window()
			c.mod(req)
			resp, err := client.ListTasks(req)
			require.NoError(t, err)
			require.Equal(t, c.want, ddsJobIDs(resp.Jobs))
			want := int32(len(c.want))
			if c.name == "offset and limit" || c.name == "offset past the end" {
				want = 6
			}
			require.Equal(t, want, *resp.TotalCount)
			require.NotNil(t, resp.Jobs, "jobs is always an array")
		})
	}
}

// TestHuaweiListTasksPaging pages through 150 tasks, the default and the
// largest page, as the Terraform provider does.
func TestHuaweiListTasksPaging(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	p := "pager"
	s.Instance(t, p, "dds-1", "pages", "")
	base := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	var want []string
	for i := range 150 {
		task := s.Seed(t, p, "MongodbSnapshotBackup", []string{"dds-1"}, func(t *tc.Task) { t.CreatedAt = base.Add(time.Duration(i) * time.Minute) }, nil, nil)
		want = append([]string{strconv.FormatInt(task.ID, 10)}, want...)
	}
	client := ddsProjectClient(t, s, p)
	window := func() *model.ListTasksRequest { return ddsListReq(base, base.Add(24*time.Hour)) }

	resp, err := client.ListTasks(window())
	require.NoError(t, err)
	require.Equal(t, int32(150), *resp.TotalCount)
	require.Equal(t, want[:100], ddsJobIDs(resp.Jobs), "100 jobs by default")

	req := window()
	req.Limit = hwPtr(int32(100))
	resp, err = client.ListTasks(req)
	require.NoError(t, err)
	require.Len(t, *resp.Jobs, 100)

	req.Limit = hwPtr(int32(101))
	_, err = client.ListTasks(req)
	requireHuaweiError(t, err, http.StatusBadRequest, "DBS.280439")

	var got []string
	for offset := int32(0); ; offset += 7 {
		req := window()
		req.Offset, req.Limit = hwPtr(offset), hwPtr(int32(7))
		resp, err := client.ListTasks(req)
		require.NoError(t, err)
		require.Equal(t, int32(150), *resp.TotalCount)
		got = append(got, ddsJobIDs(resp.Jobs)...)
		if len(*resp.Jobs) < 7 {
			break
		}
	}
	require.Equal(t, want, got)
}

// TestHuaweiListTasksValidation checks the answers to bad parameters.
func TestHuaweiListTasksValidation(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	client := ddsProjectClient(t, s, ddsProject)
	now := time.Now().Truncate(time.Second)
	for _, c := range []struct {
		name string
		req  *model.ListTasksRequest
		code string
	}{
		{"31 days", ddsListReq(now.Add(-31*24*time.Hour), now), "DBS.280068"},
		{"30 days and a second", ddsListReq(now.Add(-30*24*time.Hour-time.Second), now), "DBS.280068"},
		{"end before start", ddsListReq(now, now.Add(-time.Hour)), "DBS.280068"},
		{"end at start", ddsListReq(now, now), "DBS.280068"},
		{"no times", &model.ListTasksRequest{}, "DBS.280067"},
		{"no end time", &model.ListTasksRequest{StartTime: now.Format(huaweiTime)}, "DBS.280068"},
		{"bad start format", &model.ListTasksRequest{StartTime: "2026-05-01 00:00:00", EndTime: now.Format(huaweiTime)}, "DBS.280409"},
		{"bad end format", &model.ListTasksRequest{StartTime: now.Add(-time.Hour).Format(huaweiTime), EndTime: strconv.FormatInt(now.Unix(), 10)}, "DBS.280409"},
		{"no offset", &model.ListTasksRequest{StartTime: "2026-05-01T00:00:00", EndTime: "2026-05-02T00:00:00"}, "DBS.280409"},
		{"unknown status", ddsWithMod(ddsListReq(now.Add(-time.Hour), now), func(r *model.ListTasksRequest) { r.Status = hwPtr("Pending") }), "DBS.200001"},
		{"unknown name", ddsWithMod(ddsListReq(now.Add(-time.Hour), now), func(r *model.ListTasksRequest) { r.Name = hwPtr("CreateInstance") }), "DBS.200001"},
		{"limit 0", ddsWithMod(ddsListReq(now.Add(-time.Hour), now), func(r *model.ListTasksRequest) { r.Limit = hwPtr(int32(0)) }), "DBS.280439"},
		{"negative limit", ddsWithMod(ddsListReq(now.Add(-time.Hour), now), func(r *model.ListTasksRequest) { r.Limit = hwPtr(int32(-5)) }), "DBS.280439"},
		{"negative offset", ddsWithMod(ddsListReq(now.Add(-time.Hour), now), func(r *model.ListTasksRequest) { r.Offset = hwPtr(int32(-1)) }), "DBS.280440"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.ListTasks(c.req)
			requireHuaweiError(t, err, http.StatusBadRequest, c.code)
		})
	}
	resp, err := client.ListTasks(ddsListReq(now.Add(-30*24*time.Hour), now))
	require.NoError(t, err, "exactly 30 days is allowed")
	require.Equal(t, int32(0), *resp.TotalCount)
	require.Equal(t, []model.JobInfo{}, *resp.Jobs)
}

func ddsWithMod(r *model.ListTasksRequest, mod func(*model.ListTasksRequest)) *model.ListTasksRequest {
	mod(r)
	return r
}

// TestHuaweiAuth checks AK/SK and token authentication and the project rule.
func TestHuaweiAuth(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	p, q := ddsProject, "9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d"
	s.Instance(t, p, "dds-a", "orders", "")
	task := s.Seed(t, p, "RestartInstance", []string{"dds-a"}, nil, []tc.Status{tc.StatusRunning, tc.StatusSucceed}, nil)
	ak, sk := s.Credential(t, p, tc.KindHuaweiAKSK)
	now := time.Now()
	req := func() *model.ListTasksRequest { return ddsListReq(now.Add(-time.Hour), now.Add(time.Hour)) }
	list := "/v3.1/" + p + "/jobs"
	window := "start_time=" + url.QueryEscape(now.Add(-time.Hour).UTC().Format(huaweiTime)) + "&end_time=" + url.QueryEscape(now.Add(time.Hour).UTC().Format(huaweiTime))

	resp, err := ddsClient(t, s, ak, sk, p).ListTasks(req())
	require.NoError(t, err)
	require.Equal(t, int32(1), *resp.TotalCount)

	t.Run("wrong SK", func(t *testing.T) {
		_, err := ddsClient(t, s, ak, sk+"x", p).ListTasks(req())
		se := requireHuaweiError(t, err, http.StatusUnauthorized, "APIG.0301")
		require.Contains(t, se.ErrorMessage, "verify aksk signature fail")
	})
	t.Run("unknown AK", func(t *testing.T) {
		_, err := ddsClient(t, s, "NOSUCHACCESSKEY00000", sk, p).ListTasks(req())
		requireHuaweiError(t, err, http.StatusUnauthorized, "APIG.0301")
	})
	t.Run("stale X-Sdk-Date", func(t *testing.T) {
		status, body, _ := huaweiGet(t, s, list, window, huaweiSignAt(t, ak, sk, p, now.Add(-16*time.Minute)))
		require.Equal(t, http.StatusUnauthorized, status, body)
		require.Contains(t, body, `"error_code":"APIG.0301"`)
		require.Contains(t, body, "signature expired")
		status, body, _ = huaweiGet(t, s, list, window, huaweiSignAt(t, ak, sk, p, now.Add(-14*time.Minute)))
		require.Equal(t, http.StatusOK, status, body)
	})
	t.Run("another project", func(t *testing.T) {
		_, err := ddsClient(t, s, ak, sk, q).ListTasks(req())
		se := requireHuaweiError(t, err, http.StatusForbidden, "DBS.280032")
		require.Contains(t, se.ErrorMessage, q)
		_, err = ddsClient(t, s, ak, sk, q).ShowJobDetail(&model.ShowJobDetailRequest{Id: strconv.FormatInt(task.ID, 10)})
		requireHuaweiError(t, err, http.StatusForbidden, "DBS.280032")
		status, body, _ := huaweiGet(t, s, list, window, func(r *http.Request) {
			huaweiSignAt(t, ak, sk, p, now)(r)
			r.Header.Set("X-Project-Id", q)
			require.NoError(t, huawei.Sign(r, ak, sk, now))
		})
		require.Equal(t, http.StatusForbidden, status, body)
	})
	t.Run("token", func(t *testing.T) {
		_, token := s.Credential(t, p, tc.KindHuaweiToken)
		_, theirToken := s.Credential(t, q, tc.KindHuaweiToken)
		_, native := s.Credential(t, p, tc.KindNative)
		withToken := func(tok string) func(r *http.Request) {
			return func(r *http.Request) { r.Header.Set("X-Auth-Token", tok) }
		}
		status, body, header := huaweiGet(t, s, list, window, withToken(token))
		require.Equal(t, http.StatusOK, status, body)
		require.NotEmpty(t, header.Get("X-Request-Id"))
		var out model.ListTasksResponse
		require.NoError(t, json.Unmarshal([]byte(body), &out))
		require.Equal(t, int32(1), *out.TotalCount)
		require.Equal(t, "Completed", (*out.Jobs)[0].Status)

		status, body, _ = huaweiGet(t, s, "/v3/"+p+"/jobs", "id="+strconv.FormatInt(task.ID, 10), withToken(token))
		require.Equal(t, http.StatusOK, status, body)
		var detail model.ShowJobDetailResponse
		require.NoError(t, json.Unmarshal([]byte(body), &detail))
		require.Equal(t, "orders", detail.Job.Instance.Name)

		for name, c := range map[string]struct {
			tok, path string
			status    int
			code      string
		}{
			"bad token":              {"tc_nonsense", list, http.StatusUnauthorized, "APIG.0301"},
			"native token":           {native, list, http.StatusUnauthorized, "APIG.0301"},
			"access key as token":    {ak, list, http.StatusUnauthorized, "APIG.0301"},
			"token of another":       {theirToken, list, http.StatusForbidden, "DBS.280032"},
			"token, another project": {token, "/v3.1/" + q + "/jobs", http.StatusForbidden, "DBS.280032"},
		} {
			status, body, header := huaweiGet(t, s, c.path, window, withToken(c.tok))
			require.Equal(t, c.status, status, name)
			var e struct {
				Code      string `json:"error_code"`
				Msg       string `json:"error_msg"`
				RequestID string `json:"request_id"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &e), name)
			require.Equal(t, c.code, e.Code, name)
			require.NotEmpty(t, e.Msg, name)
			require.NotEmpty(t, header.Get("X-Request-Id"), name)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		status, body, _ := huaweiGet(t, s, list, window, nil)
		require.Equal(t, http.StatusUnauthorized, status)
		require.Contains(t, body, "x-auth-token not found")
	})
	t.Run("unknown route", func(t *testing.T) {
		status, body, header := huaweiGet(t, s, "/v3/"+p+"/instances", "", huaweiSignAt(t, ak, sk, p, now))
		require.Equal(t, http.StatusNotFound, status)
		var e struct {
			Code      string `json:"error_code"`
			RequestID string `json:"request_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e))
		require.Equal(t, "APIG.0101", e.Code)
		require.Equal(t, header.Get("X-Request-Id"), e.RequestID)
		require.NotEmpty(t, e.RequestID)
	})
}

// TestHuaweiRawPlus: a hand-written query with a raw '+' in the offset is
// read as a plus, signed and answered like the SDK's %2B.
func TestHuaweiRawPlus(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	s.Instance(t, ddsProject, "dds-a", "orders", "")
	task := s.Seed(t, ddsProject, "RestartInstance", []string{"dds-a"}, nil, nil, nil)
	ak, sk := s.Credential(t, ddsProject, tc.KindHuaweiAKSK)
	bj := time.FixedZone("", 8*3600)
	start, end := task.CreatedAt.Add(-time.Hour).In(bj).Format(huaweiTime), task.CreatedAt.Add(time.Hour).In(bj).Format(huaweiTime)
	raw := "start_time=" + start + "&end_time=" + end
	require.Contains(t, raw, "+0800")
	status, body, _ := huaweiGet(t, s, "/v3.1/"+ddsProject+"/jobs", raw, huaweiSignAt(t, ak, sk, ddsProject, time.Now()))
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"total_count":1`)

	resp, err := ddsClient(t, s, ak, sk, ddsProject).ListTasks(&model.ListTasksRequest{StartTime: start, EndTime: end})
	require.NoError(t, err)
	require.Equal(t, ddsTaskIDs(task), ddsJobIDs(resp.Jobs))
}

// TestHuaweiProgress follows one task from running to completed, and
// shows progress only while it runs.
func TestHuaweiProgress(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	p := ddsProject
	s.Instance(t, p, "dds-a", "orders", "")
	task := s.Seed(t, p, "MongodbSnapshotBackup", []string{"dds-a"}, nil, []tc.Status{tc.StatusRunning}, func(t *tc.Task) { t.Progress = 30 })
	other := s.Seed(t, p, "MongodbSnapshotBackup", []string{"dds-a"}, nil, []tc.Status{tc.StatusRunning}, func(t *tc.Task) { t.Progress = 80 })
	client := ddsProjectClient(t, s, p)
	id := strconv.FormatInt(task.ID, 10)
	show := func() *model.JobDetail {
		t.Helper()
		resp, err := client.ShowJobDetail(&model.ShowJobDetailRequest{Id: id})
		require.NoError(t, err)
		return resp.Job
	}
	listed := func() model.JobInfo {
		t.Helper()
		resp, err := client.ListTasks(ddsWithMod(ddsListReq(task.CreatedAt.Add(-time.Minute), time.Now().Add(time.Minute)), func(r *model.ListTasksRequest) { r.Id = &id }))
		require.NoError(t, err)
		require.Len(t, *resp.Jobs, 1)
		return (*resp.Jobs)[0]
	}
	update := func(fn func(t *tc.Task) error) {
		t.Helper()
		_, err := s.Store.TaskUpdate(t.Context(), &tc.TaskUpdateParams{Tenant: p, ID: task.ID, Actor: "sdktest", Now: time.Now().UTC(), Update: fn})
		require.NoError(t, err)
	}

	require.Equal(t, "30%", show().Progress)
	require.Equal(t, "30%", listed().Progress)
	require.Equal(t, "", listed().EndedAt)

	update(func(t *tc.Task) error { t.Progress = 70; return nil })
	require.Equal(t, "70%", show().Progress)
	require.Equal(t, "70%", listed().Progress)

	update(func(t *tc.Task) error { return t.Transition(tc.StatusSucceed, time.Now().UTC()) })
	d, j := show(), listed()
	require.Equal(t, "Completed", d.Status)
	require.Equal(t, "", d.Progress)
	require.NotEmpty(t, d.Ended)
	require.Equal(t, "Completed", j.Status)
	require.Equal(t, "", j.Progress)
	require.Equal(t, d.Ended, j.EndedAt)

	_, err := s.Store.TaskUpdate(t.Context(), &tc.TaskUpdateParams{Tenant: p, ID: other.ID, Now: time.Now().UTC(), Update: func(t *tc.Task) error {
		t.Message = "snapshot quota exceeded"
		return t.Transition(tc.StatusFailed, time.Now().UTC())
	}})
	require.NoError(t, err)
	resp, err := client.ShowJobDetail(&model.ShowJobDetailRequest{Id: strconv.FormatInt(other.ID, 10)})
	require.NoError(t, err)
	require.Equal(t, "Failed", resp.Job.Status)
	require.Equal(t, "", resp.Job.Progress)
	require.Equal(t, "snapshot quota exceeded", resp.Job.FailReason)
}

// TestHuaweiShowJobDetail checks the detail shape and unknown ids.
func TestHuaweiShowJobDetail(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	p := ddsProject
	s.Instance(t, p, "dds-a", "orders", "")
	s.Instance(t, "other", "dds-a", "theirs", "")
	task := s.Seed(t, p, "RestoreMongoDB_Replica", []string{"dds-a"}, nil, []tc.Status{tc.StatusRunning, tc.StatusSucceed}, nil)
	theirs := s.Seed(t, "other", "RestartInstance", []string{"dds-a"}, nil, nil, nil)
	client := ddsProjectClient(t, s, p)

	resp, err := client.ShowJobDetail(&model.ShowJobDetailRequest{Id: strconv.FormatInt(task.ID, 10)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.HttpStatusCode)
	require.Equal(t, &model.JobDetail{Id: strconv.FormatInt(task.ID, 10), Name: "RestoreMongoDB_Replica", Status: "Completed",
		Created: task.CreatedAt.UTC().Format(huaweiTime), Ended: task.EndedAt.UTC().Format(huaweiTime),
		Instance: &model.JobInstanceInfo{Id: "dds-a", Name: "orders"}}, resp.Job)

	for name, id := range map[string]string{
		"unknown":         "987654",
		"another project": strconv.FormatInt(theirs.ID, 10),
		"a UUID":          "f85104b5-9b5c-4d6e-8f1a-2b3c4d5e6f70",
		"zero":            "0",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.ShowJobDetail(&model.ShowJobDetailRequest{Id: id})
			requireHuaweiError(t, err, http.StatusBadRequest, "DBS.280016")
		})
	}
	_, err = client.ShowJobDetail(&model.ShowJobDetailRequest{})
	requireHuaweiError(t, err, http.StatusBadRequest, "DBS.200001")
}

// TestHuaweiTimeZone shows times with the configured zone's offset.
func TestHuaweiTimeZone(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithEnv("TASKCENTER_TIME_ZONE", "Asia/Shanghai"))
	s.Instance(t, ddsProject, "dds-a", "orders", "")
	task := s.Seed(t, ddsProject, "RestartInstance", []string{"dds-a"}, nil, []tc.Status{tc.StatusRunning, tc.StatusSucceed}, nil)
	client := ddsProjectClient(t, s, ddsProject)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)

	resp, err := client.ListTasks(ddsListReq(task.CreatedAt.Add(-time.Hour), task.CreatedAt.Add(time.Hour)))
	require.NoError(t, err)
	job := (*resp.Jobs)[0]
	require.Equal(t, task.CreatedAt.In(shanghai).Format(huaweiTime), job.CreatedAt)
	require.Equal(t, task.EndedAt.In(shanghai).Format(huaweiTime), job.EndedAt)
	require.Regexp(t, `\+0800$`, job.CreatedAt)

	detail, err := client.ShowJobDetail(&model.ShowJobDetailRequest{Id: job.Id})
	require.NoError(t, err)
	require.Equal(t, job.CreatedAt, detail.Job.Created)
	require.Equal(t, job.EndedAt, detail.Job.Ended)
}

// TestHuaweiRateLimit: past the rate of a credential and action, 429 APIG.0308.
func TestHuaweiRateLimit(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithEnv("TASKCENTER_RATE_LIMIT", "0.001")) // a burst of one, then one per 1000 s
	client := ddsProjectClient(t, s, ddsProject)
	now := time.Now()
	_, err := client.ListTasks(ddsListReq(now.Add(-time.Hour), now))
	require.NoError(t, err)
	_, err = client.ListTasks(ddsListReq(now.Add(-time.Hour), now))
	requireHuaweiError(t, err, http.StatusTooManyRequests, "APIG.0308")
	_, err = client.ShowJobDetail(&model.ShowJobDetailRequest{Id: "1"})
	requireHuaweiError(t, err, http.StatusBadRequest, "DBS.280016") // another action, another budget
	_, err = ddsProjectClient(t, s, ddsProject).ListTasks(ddsListReq(now.Add(-time.Hour), now))
	require.NoError(t, err, "another credential, another budget")
}

// TestHuaweiSignerMatchesSDK signs requests with the SDK's signer and with
// taskcenter's: the same Authorization, and each verifies the other's.
func TestHuaweiSignerMatchesSDK(t *testing.T) {
	t.Parallel()
	date := time.Date(2026, 5, 2, 3, 4, 5, 0, time.UTC)
	secretOf := func(ak string) (string, error) { return "sk-" + ak, nil }
	for name, q := range map[string]map[string]any{
		"none":     {},
		"times":    {"start_time": "2026-05-01T00:00:00+0800", "end_time": "2026-05-02T00:00:00+08:00", "limit": int32(10)},
		"specials": {"name": "SQL OPERATION", "x": "a&b=c/d?e#f%g~h_i.j-k", "uni": "任务"},
		"empty":    {"end_time": "", "start_time": ""},
		"repeated": {"id": []string{"3", "1", "2"}},
		"offset 0": {"offset": int32(0), "status": "Completed"},
	} {
		t.Run(name, func(t *testing.T) {
			b := request.NewHttpRequestBuilder().WithMethod("GET").WithEndpoint("http://127.0.0.1:8080").
				WithPath("/v3.1/"+ddsProject+"/jobs").
				AddHeaderParam("X-Sdk-Date", date.Format(huawei.DateFormat)).
				AddHeaderParam("X-Project-Id", ddsProject).
				AddHeaderParam("User-Agent", "huaweicloud-usdk-go/3.0").
				AddHeaderParam("Content-Type", "application/json")
			for k, v := range q {
				b.AddQueryParam(k, reflect.ValueOf(v))
			}
			sdkReq := b.Build()
			added, err := signer.Sign(sdkReq, "AKEXAMPLE", "sk-AKEXAMPLE")
			require.NoError(t, err)
			r, err := sdkReq.ConvertRequest()
			require.NoError(t, err)
			r.Header.Set("Authorization", added["Authorization"])
			require.NoError(t, huawei.Verify(r, date.Add(time.Minute), secretOf), "taskcenter verifies the SDK's signature")

			r.Header.Del("Authorization")
			require.NoError(t, huawei.Sign(r, "AKEXAMPLE", "sk-AKEXAMPLE", date))
			require.Equal(t, added["Authorization"], r.Header.Get("Authorization"), "taskcenter signs as the SDK does")
		})
	}
}
