package sdktest

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	cdb "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cdb/v20170320"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/tencent"
)

// tencentBase is when the first seeded task was created: 08:00:00.5 in
// Asia/Shanghai, the zone the servers of these tests run in.
var tencentBase = time.Date(2024, 3, 1, 0, 0, 0, 500e6, time.UTC)

// tencentPaths are the status walks of seeded tasks, in turn.
var tencentPaths = [][]tc.Status{
	nil, // INITIAL
	{tc.StatusRunning},
	{tc.StatusRunning, tc.StatusSucceed},
	{tc.StatusRunning, tc.StatusFailed},
	{tc.StatusKilled},
	{tc.StatusRunning, tc.StatusSucceed, tc.StatusRemoved},
	{tc.StatusPaused},
	{tc.StatusWaiting},
}

// tencentTypes are the twelve Tencent task types by code.
func tencentTypes() map[int64]string {
	out := map[int64]string{}
	for _, t := range tc.BuiltinTypes() {
		if t.TencentCode > 0 {
			out[int64(t.TencentCode)] = t.Key
		}
	}
	return out
}

// seedTencent gives tenant acme instances cdb-a1 and cdb-a2 and n tasks ten
// minutes apart, in every type and status, with async request ids, codes,
// messages, progress and attach info; and tenant globex an instance cdb-g1
// with tasks of its own. It returns acme's tasks, oldest first.
func seedTencent(t *testing.T, s *Server, n int) []*tc.Task {
	t.Helper()
	s.Instance(t, "acme", "cdb-a1", "orders", "")
	s.Instance(t, "acme", "cdb-a2", "billing", "")
	s.Instance(t, "globex", "cdb-g1", "theirs", "")
	types := tencentTypes()
	codes := make([]int64, 0, len(types))
	for c := range types {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var tasks []*tc.Task
	for i := range n {
		instances := []string{"cdb-a1"}
		switch {
		case i%5 == 0:
			instances = []string{"cdb-a1", "cdb-a2"}
		case i%2 == 1:
			instances = []string{"cdb-a2"}
		}
		typ := types[codes[i%len(codes)]]
		task := s.Seed(t, "acme", typ, instances, func(task *tc.Task) {
			task.CreatedAt = tencentBase.Add(time.Duration(i) * 10 * time.Minute)
			if i%4 == 0 {
				task.AsyncRequestID = fmt.Sprintf("req-%03d", i)
			}
		}, tencentPaths[i%len(tencentPaths)], func(task *tc.Task) {
			switch task.Status {
			case tc.StatusRunning:
				task.Progress, task.Message = 40, "copying data"
			case tc.StatusFailed:
				task.Code, task.Message, task.Progress = 9013, "[Operate CDB Fail] 某些实例id不存在对应的实例记录", 10
			case tc.StatusSucceed:
				task.Message = "done"
				if typ == tc.TypeUpgradeMaster {
					task.AttachInfo = []tc.Attach{{Key: "FastUpgradeStatus", Value: "1"}}
				}
			}
		})
		tasks = append(tasks, task)
	}
	for i := range 3 {
		s.Seed(t, "globex", tc.TypeReboot, []string{"cdb-g1"}, func(task *tc.Task) {
			task.CreatedAt = tencentBase.Add(time.Duration(i) * time.Minute)
			task.AsyncRequestID = fmt.Sprintf("req-%03d", i*4)
		}, nil, nil)
	}
	return tasks
}

// newestFirst lists the ids of the tasks that match, as DescribeTasks orders them.
func newestFirst(tasks []*tc.Task, match func(*tc.Task) bool) []int64 {
	var ids []int64
	for _, t := range tasks {
		if match(t) {
			ids = append(ids, t.ID)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	return ids
}

// visible is what a list without TaskStatus shows: everything but REMOVED.
func visible(t *tc.Task) bool { return t.Status != tc.StatusRemoved }

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	return loc
}

// requireItems checks that items are exactly the tasks with ids, in that
// order, every TaskDetail field present and equal to the stored task's.
func requireItems(t *testing.T, loc *time.Location, tasks []*tc.Task, ids []int64, items []*cdb.TaskDetail) {
	t.Helper()
	byID := map[int64]*tc.Task{}
	for _, task := range tasks {
		byID[task.ID] = task
	}
	got := make([]int64, 0, len(items))
	for _, it := range items {
		require.NotNil(t, it.JobId)
		got = append(got, *it.JobId)
	}
	require.Equal(t, ids, got)
	for _, it := range items {
		task := byID[*it.JobId]
		require.NotNil(t, task, "job %d is not acme's", *it.JobId)
		for _, f := range []any{it.Code, it.Message, it.Progress, it.TaskStatus, it.TaskType, it.StartTime, it.EndTime, it.AsyncRequestId} {
			require.NotNil(t, f, "job %d lacks a field", task.ID)
		}
		require.NotNil(t, it.InstanceIds)
		require.NotNil(t, it.TaskAttachInfo, "TaskAttachInfo is always an array")
		require.Equal(t, int64(task.Code), *it.Code)
		require.Equal(t, task.Message, *it.Message)
		require.Equal(t, int64(task.Progress), *it.Progress)
		require.Equal(t, string(task.Status), *it.TaskStatus)
		require.Equal(t, task.Type, *it.TaskType)
		require.Equal(t, task.CreatedAt.In(loc).Format(time.DateTime), *it.StartTime)
		end := tencent.NoEndTime
		if !task.EndedAt.IsZero() {
			end = task.EndedAt.In(loc).Format(time.DateTime)
		}
		require.Equal(t, end, *it.EndTime)
		require.Equal(t, task.AsyncRequestID, *it.AsyncRequestId)
		var instances []string
		for _, id := range it.InstanceIds {
			instances = append(instances, *id)
		}
		require.ElementsMatch(t, task.InstanceIDs, instances)
		require.Len(t, it.TaskAttachInfo, len(task.AttachInfo))
		for i, a := range task.AttachInfo {
			require.Equal(t, a.Key, *it.TaskAttachInfo[i].AttachKey)
			require.Equal(t, a.Value, *it.TaskAttachInfo[i].AttachValue)
		}
	}
}

// TestTencentDescribeTasks calls DescribeTasks with the vendor SDK, each
// filter alone and combined, the defaults and limits, paging, and another
// tenant's instance, on a server whose time zone is Asia/Shanghai.
func TestTencentDescribeTasks(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithEnv("TASKCENTER_TIME_ZONE", "Asia/Shanghai"), WithEnv("TASKCENTER_RATE_LIMIT", "-1"))
	tasks := seedTencent(t, s, 130)
	loc := shanghai(t)
	id, key := s.Credential(t, "acme", tc.KindTencent)
	client, _ := tencentClient(t, s, common.NewCredential(id, key), nil)
	at := func(i int) time.Time { return tasks[i].CreatedAt }
	types := func(codes ...int64) func(*tc.Task) bool {
		all := tencentTypes()
		return func(t *tc.Task) bool {
			for _, c := range codes {
				if all[c] == t.Type {
					return true
				}
			}
			return false
		}
	}

	cases := []struct {
		name   string
		req    func(*cdb.DescribeTasksRequest)
		match  func(*tc.Task) bool
		offset int // of the expected list
		limit  int // 0 means the default, 20
	}{
		{"defaults", func(*cdb.DescribeTasksRequest) {}, visible, 0, 0},
		{"InstanceId", func(r *cdb.DescribeTasksRequest) { r.InstanceId = ptr("cdb-a2") },
			func(t *tc.Task) bool { return visible(t) && slices.Contains(t.InstanceIDs, "cdb-a2") }, 0, 0},
		{"AsyncRequestId", func(r *cdb.DescribeTasksRequest) { r.AsyncRequestId = ptr("req-008") },
			func(t *tc.Task) bool { return t.AsyncRequestID == "req-008" }, 0, 0},
		{"TaskTypes one", func(r *cdb.DescribeTasksRequest) { r.TaskTypes = ptrs[int64](7) },
			func(t *tc.Task) bool { return visible(t) && types(7)(t) }, 0, 0},
		{"TaskTypes several", func(r *cdb.DescribeTasksRequest) { r.TaskTypes = ptrs[int64](1, 10, 13) },
			func(t *tc.Task) bool { return visible(t) && types(1, 10, 13)(t) }, 0, 0},
		{"TaskStatus RUNNING", func(r *cdb.DescribeTasksRequest) { r.TaskStatus = ptrs[int64](1) },
			func(t *tc.Task) bool { return t.Status == tc.StatusRunning }, 0, 0},
		{"TaskStatus INITIAL is not WAITING", func(r *cdb.DescribeTasksRequest) { r.TaskStatus = ptrs[int64](0) },
			func(t *tc.Task) bool { return t.Status == tc.StatusInitial }, 0, 0},
		{"TaskStatus REMOVED shows removed tasks", func(r *cdb.DescribeTasksRequest) { r.TaskStatus = ptrs[int64](5) },
			func(t *tc.Task) bool { return t.Status == tc.StatusRemoved }, 0, 0},
		{"TaskStatus several", func(r *cdb.DescribeTasksRequest) { r.TaskStatus = ptrs[int64](2, 3, 4, 6) },
			func(t *tc.Task) bool {
				return slices.Contains([]tc.Status{tc.StatusSucceed, tc.StatusFailed, tc.StatusKilled, tc.StatusPaused}, t.Status)
			}, 0, 0},
		// 18:00:00 in Shanghai is task 60's creation, 10:00:00.5 UTC: the bound is inclusive.
		{"StartTimeBegin inclusive", func(r *cdb.DescribeTasksRequest) { r.StartTimeBegin = ptr("2024-03-01 18:00:00") },
			func(t *tc.Task) bool { return visible(t) && !t.CreatedAt.Before(at(60).Truncate(time.Second)) }, 0, 0},
		{"StartTimeBegin a second later", func(r *cdb.DescribeTasksRequest) { r.StartTimeBegin = ptr("2024-03-01 18:00:01") },
			func(t *tc.Task) bool { return visible(t) && t.CreatedAt.After(at(60)) }, 0, 0},
		// 12:00:00 in Shanghai is task 24's creation, 04:00:00.5 UTC: inclusive to the second.
		{"StartTimeEnd inclusive to the second", func(r *cdb.DescribeTasksRequest) { r.StartTimeEnd = ptr("2024-03-01 12:00:00") },
			func(t *tc.Task) bool { return visible(t) && !t.CreatedAt.After(at(24)) }, 0, 0},
		{"StartTimeEnd a second earlier", func(r *cdb.DescribeTasksRequest) { r.StartTimeEnd = ptr("2024-03-01 11:59:59") },
			func(t *tc.Task) bool { return visible(t) && t.CreatedAt.Before(at(24)) }, 0, 0},
		{"Offset and Limit", func(r *cdb.DescribeTasksRequest) { r.Offset, r.Limit = ptr[int64](7), ptr[int64](9) },
			visible, 7, 9},
		{"Limit 100", func(r *cdb.DescribeTasksRequest) { r.Limit = ptr[int64](100) }, visible, 0, 100},
		{"Limit 0 only counts", func(r *cdb.DescribeTasksRequest) { r.Limit = ptr[int64](0) }, visible, 0, -1},
		{"Offset past the end", func(r *cdb.DescribeTasksRequest) { r.Offset = ptr[int64](1000) }, visible, 1000, 0},
		{"combined", func(r *cdb.DescribeTasksRequest) {
			r.InstanceId = ptr("cdb-a1")
			r.TaskTypes = ptrs[int64](1, 2, 3, 5, 6, 7)
			r.TaskStatus = ptrs[int64](0, 1, 2, 3, 5)
			r.StartTimeBegin = ptr("2024-03-01 10:00:00")
			r.StartTimeEnd = ptr("2024-03-02 04:00:00")
			r.Offset, r.Limit = ptr[int64](1), ptr[int64](100)
		}, func(t *tc.Task) bool {
			return slices.Contains(t.InstanceIDs, "cdb-a1") && types(1, 2, 3, 5, 6, 7)(t) &&
				slices.Contains([]tc.Status{tc.StatusInitial, tc.StatusRunning, tc.StatusSucceed, tc.StatusFailed, tc.StatusRemoved}, t.Status) &&
				!t.CreatedAt.Before(at(12).Truncate(time.Second)) && t.CreatedAt.Before(at(120).Truncate(time.Second).Add(time.Second))
		}, 1, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			req := cdb.NewDescribeTasksRequest()
			c.req(req)
			resp, err := client.DescribeTasks(req)
			require.NoError(t, err)
			all := newestFirst(tasks, c.match)
			require.NotEmpty(t, all, "the case selects something")
			require.Equal(t, int64(len(all)), *resp.Response.TotalCount, "TotalCount is exact")
			limit := c.limit
			switch limit {
			case 0:
				limit = tencent.DefaultLimit
			case -1:
				limit = 0
			}
			want := all[min(c.offset, len(all)):min(c.offset+limit, len(all))]
			requireItems(t, loc, tasks, want, resp.Response.Items)
			require.NotNil(t, resp.Response.Items, "Items is an array even when empty")
		})
	}

	t.Run("times are in the configured zone", func(t *testing.T) {
		t.Parallel()
		req := cdb.NewDescribeTasksRequest()
		req.AsyncRequestId = ptr("req-000")
		resp, err := client.DescribeTasks(req)
		require.NoError(t, err)
		require.Len(t, resp.Response.Items, 1)
		require.Equal(t, "2024-03-01 08:00:00", *resp.Response.Items[0].StartTime) // 00:00:00.5 UTC
		require.Equal(t, "0000-00-00 00:00:00", *resp.Response.Items[0].EndTime)   // INITIAL: not ended
	})

	t.Run("paging through every task", func(t *testing.T) {
		t.Parallel()
		for _, statuses := range [][]int64{nil, {-1, 0, 1, 2, 3, 4, 5, 6}} {
			var got []int64
			seen := map[int64]bool{}
			for offset := int64(0); ; offset += 9 {
				req := cdb.NewDescribeTasksRequest()
				req.Offset, req.Limit, req.TaskStatus = ptr(offset), ptr[int64](9), ptrs(statuses...)
				resp, err := client.DescribeTasks(req)
				require.NoError(t, err)
				if len(resp.Response.Items) == 0 {
					require.Equal(t, int64(len(got)), *resp.Response.TotalCount)
					break
				}
				for _, it := range resp.Response.Items {
					require.False(t, seen[*it.JobId], "job %d repeated", *it.JobId)
					seen[*it.JobId] = true
					got = append(got, *it.JobId)
				}
			}
			match := visible
			if statuses != nil {
				match = func(t *tc.Task) bool { return t.Status != tc.StatusWaiting }
			}
			require.Equal(t, newestFirst(tasks, match), got, "no gaps, no repeats, newest first")
		}
	})

	t.Run("refused parameters", func(t *testing.T) {
		t.Parallel()
		// A client of its own: w records the last answer of this client only.
		client, w := tencentClient(t, s, common.NewCredential(id, key), nil)
		for _, c := range []struct {
			name string
			req  func(*cdb.DescribeTasksRequest)
			code string
		}{
			{"Limit 101", func(r *cdb.DescribeTasksRequest) { r.Limit = ptr[int64](101) }, tencent.CodeInvalidParameterValue},
			{"Limit -1", func(r *cdb.DescribeTasksRequest) { r.Limit = ptr[int64](-1) }, tencent.CodeInvalidParameterValue},
			{"Offset -1", func(r *cdb.DescribeTasksRequest) { r.Offset = ptr[int64](-1) }, tencent.CodeInvalidParameterValue},
			{"TaskTypes 4", func(r *cdb.DescribeTasksRequest) { r.TaskTypes = ptrs[int64](7, 4) }, tencent.CodeInvalidParameterValue},
			{"TaskStatus 7", func(r *cdb.DescribeTasksRequest) { r.TaskStatus = ptrs[int64](7) }, tencent.CodeInvalidParameterValue},
			{"StartTimeBegin format", func(r *cdb.DescribeTasksRequest) { r.StartTimeBegin = ptr("2024-03-01T10:00:00") }, tencent.CodeInvalidParameterValue},
			{"StartTimeEnd before StartTimeBegin", func(r *cdb.DescribeTasksRequest) {
				r.StartTimeBegin, r.StartTimeEnd = ptr("2024-03-02 00:00:00"), ptr("2024-03-01 00:00:00")
			}, tencent.CodeInvalidParameterValue},
			{"another tenant's instance", func(r *cdb.DescribeTasksRequest) { r.InstanceId = ptr("cdb-g1") }, tencent.CodeInstanceNotFound},
			{"no such instance", func(r *cdb.DescribeTasksRequest) { r.InstanceId = ptr("cdb-nope") }, tencent.CodeInstanceNotFound},
		} {
			req := cdb.NewDescribeTasksRequest()
			c.req(req)
			_, err := client.DescribeTasks(req)
			e := sdkError(t, err, c.code)
			require.Equal(t, w.requestID(), e.RequestId, "%s: the RequestId is the X-Request-Id", c.name)
		}
	})

	t.Run("another tenant sees only its own", func(t *testing.T) {
		t.Parallel()
		gid, gkey := s.Credential(t, "globex", tc.KindTencent)
		other, _ := tencentClient(t, s, common.NewCredential(gid, gkey), nil)
		req := cdb.NewDescribeTasksRequest()
		req.AsyncRequestId = ptr("req-004")
		resp, err := other.DescribeTasks(req)
		require.NoError(t, err)
		require.Equal(t, int64(1), *resp.Response.TotalCount)
		require.Equal(t, []string{"cdb-g1"}, []string{*resp.Response.Items[0].InstanceIds[0]})
		req = cdb.NewDescribeTasksRequest()
		req.InstanceId = ptr("cdb-a1")
		_, err = other.DescribeTasks(req)
		sdkError(t, err, tencent.CodeInstanceNotFound)
		resp, err = other.DescribeTasks(cdb.NewDescribeTasksRequest())
		require.NoError(t, err)
		require.Equal(t, int64(3), *resp.Response.TotalCount)
	})
}

// TestTencentSignatures sends the same DescribeTasks signed every way the
// SDK signs (TC3 over POST and GET, HmacSHA256 and HmacSHA1 over GET and
// POST), then bad keys, SecretIds, timestamps and tokens, in both languages.
func TestTencentSignatures(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithEnv("TASKCENTER_RATE_LIMIT", "-1"))
	tasks := seedTencent(t, s, 40)
	id, key := s.Credential(t, "acme", tc.KindTencent)
	request := func() *cdb.DescribeTasksRequest {
		r := cdb.NewDescribeTasksRequest()
		r.InstanceId = ptr("cdb-a1")
		r.TaskTypes = ptrs[int64](1, 2, 3, 5, 6, 7, 8)
		r.TaskStatus = ptrs[int64](0, 1, 2, 3, 4, 5, 6)
		r.StartTimeBegin = ptr("2024-03-01 01:30:00") // a space and colons to encode
		r.StartTimeEnd = ptr("2024-03-01 06:00:00")
		r.Offset, r.Limit = ptr[int64](0), ptr[int64](50)
		return r
	}
	types := tencentTypes()
	want := newestFirst(tasks, func(t *tc.Task) bool {
		return slices.Contains(t.InstanceIDs, "cdb-a1") && t.Status != tc.StatusWaiting &&
			slices.ContainsFunc([]int64{1, 2, 3, 5, 6, 7, 8}, func(c int64) bool { return types[c] == t.Type }) &&
			!t.CreatedAt.Before(tencentBase.Add(90*time.Minute)) && !t.CreatedAt.After(tencentBase.Add(6*time.Hour))
	})
	require.NotEmpty(t, want)

	modes := []struct{ sign, method string }{
		{"TC3-HMAC-SHA256", "POST"}, {"TC3-HMAC-SHA256", "GET"},
		{"HmacSHA256", "POST"}, {"HmacSHA256", "GET"},
		{"HmacSHA1", "GET"}, {"HmacSHA1", "POST"},
	}
	for _, m := range modes {
		t.Run(m.sign+" "+m.method, func(t *testing.T) {
			t.Parallel()
			mod := func(cp *profile.ClientProfile) { cp.SignMethod, cp.HttpProfile.ReqMethod = m.sign, m.method }
			client, w := tencentClient(t, s, common.NewCredential(id, key), mod)
			resp, err := client.DescribeTasks(request())
			require.NoError(t, err)
			require.Equal(t, int64(len(want)), *resp.Response.TotalCount)
			requireItems(t, time.UTC, tasks, want, resp.Response.Items)
			require.Equal(t, w.requestID(), *resp.Response.RequestId)

			bad, w := tencentClient(t, s, common.NewCredential(id, key+"x"), mod)
			_, err = bad.DescribeTasks(request())
			e := sdkError(t, err, tencent.CodeSignatureFailure)
			require.Equal(t, w.requestID(), e.RequestId)

			unknown, _ := tencentClient(t, s, common.NewCredential("AKIDnobodyhasthisid0000000000000000", key), mod)
			_, err = unknown.DescribeTasks(request())
			sdkError(t, err, tencent.CodeSecretIDNotFound)

			token, _ := tencentClient(t, s, common.NewTokenCredential(id, key, "a-temporary-token"), mod)
			_, err = token.DescribeTasks(request())
			sdkError(t, err, tencent.CodeTokenFailure)
		})
	}

	t.Run("timestamps five minutes away", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			skew time.Duration
			code string
		}{
			{0, ""},
			{-4 * time.Minute, ""},
			{4 * time.Minute, ""},
			{-6 * time.Minute, tencent.CodeSignatureExpire},
			{6 * time.Minute, tencent.CodeSignatureExpire},
			{-24 * time.Hour, tencent.CodeSignatureExpire},
		} {
			client, w := tencentClient(t, s, common.NewCredential(id, key), nil)
			w.signAt(id, key, time.Now().Add(c.skew))
			resp, err := client.DescribeTasks(request())
			if c.code == "" {
				require.NoError(t, err, "a request signed %s away is accepted", c.skew)
				require.Equal(t, int64(len(want)), *resp.Response.TotalCount)
				continue
			}
			sdkError(t, err, c.code)
		}
	})

	t.Run("messages in the asked language", func(t *testing.T) {
		t.Parallel()
		zh, _ := tencentClient(t, s, common.NewCredential(id, key+"x"), nil) // the SDK's default: zh-CN
		_, err := zh.DescribeTasks(request())
		require.Contains(t, sdkError(t, err, tencent.CodeSignatureFailure).Message, "签名")
		en, _ := tencentClient(t, s, common.NewCredential(id, key+"x"), func(cp *profile.ClientProfile) { cp.Language = "en-US" })
		_, err = en.DescribeTasks(request())
		require.Contains(t, sdkError(t, err, tencent.CodeSignatureFailure).Message, "signature")
		v1, _ := tencentClient(t, s, common.NewCredential(id, key), func(cp *profile.ClientProfile) {
			cp.SignMethod, cp.Language = "HmacSHA256", "en-US"
		})
		req := request()
		req.Limit = ptr[int64](101)
		_, err = v1.DescribeTasks(req)
		require.Contains(t, sdkError(t, err, tencent.CodeInvalidParameterValue).Message, "Limit")
	})

	t.Run("actions, versions and parameters the SDK can send", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			version, action, params, code string
		}{
			{"2017-03-20", "DescribeTasks", `{"Limit": 1}`, ""},
			{"2017-03-20", "DescribeDBInstances", `{}`, tencent.CodeInvalidAction},
			{"2019-01-01", "DescribeTasks", `{}`, tencent.CodeNoSuchVersion},
			{"2017-03-20", "DescribeTasks", `{"Foo": 1}`, tencent.CodeUnknownParameter},
			{"2017-03-20", "DescribeTasks", `{"limit": 1}`, tencent.CodeUnknownParameter},
			{"2017-03-20", "DescribeTasks", `{"Limit": "20"}`, tencent.CodeInvalidParameter},
			{"2017-03-20", "DescribeTasks", `{"TaskTypes": 7}`, tencent.CodeInvalidParameter},
			{"2017-03-20", "DescribeTasks", `{"TaskTypes": [4]}`, tencent.CodeInvalidParameterValue},
		} {
			client := common.NewCommonClient(common.NewCredential(id, key), "ap-guangzhou", tencentProfile(s))
			req := tchttp.NewCommonRequest("cdb", c.version, c.action)
			require.NoError(t, req.SetActionParameters(c.params))
			resp := tchttp.NewCommonResponse()
			err := client.Send(req, resp)
			if c.code == "" {
				require.NoError(t, err)
				require.Contains(t, string(resp.GetBody()), `"TotalCount":`)
				continue
			}
			sdkError(t, err, c.code)
		}
	})
}

// TestTencentRateLimit runs a server allowing 1 request per second per
// credential and action, with the SDK's rate-limit retry off and on.
func TestTencentRateLimit(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithEnv("TASKCENTER_RATE_LIMIT", "1"))

	t.Run("retry off", func(t *testing.T) {
		t.Parallel()
		id, key := s.Credential(t, "acme", tc.KindTencent)
		client, w := tencentClient(t, s, common.NewCredential(id, key), nil)
		var err error
		calls := 0
		for calls < 50 && err == nil {
			calls++
			_, err = client.DescribeTasks(cdb.NewDescribeTasksRequest())
		}
		e := sdkError(t, err, tencent.CodeRequestLimitExceeded)
		require.GreaterOrEqual(t, calls, 2, "the first passes")
		require.Equal(t, int64(calls), w.requests.Load(), "without retries, one HTTP request per call")
		require.Equal(t, w.requestID(), e.RequestId)

		// The limit is per credential: another one of the same tenant is not held back.
		id2, key2 := s.Credential(t, "acme", tc.KindTencent)
		other, _ := tencentClient(t, s, common.NewCredential(id2, key2), nil)
		_, err = other.DescribeTasks(cdb.NewDescribeTasksRequest())
		require.NoError(t, err)
	})

	for _, sign := range []string{"TC3-HMAC-SHA256", "HmacSHA256"} {
		t.Run("retry on "+sign, func(t *testing.T) {
			t.Parallel()
			id, key := s.Credential(t, "acme", tc.KindTencent)
			client, w := tencentClient(t, s, common.NewCredential(id, key), func(cp *profile.ClientProfile) {
				cp.SignMethod = sign
				cp.RateLimitExceededMaxRetries = 30
				cp.RateLimitExceededRetryDuration = profile.ConstantDurationFunc(100 * time.Millisecond)
			})
			const calls = 4
			for range calls {
				_, err := client.DescribeTasks(cdb.NewDescribeTasksRequest())
				require.NoError(t, err, "the SDK retries until the server lets it through")
			}
			require.Greater(t, w.requests.Load(), int64(calls), "some calls were refused and retried")
		})
	}
}
