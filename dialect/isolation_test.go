package dialect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/dialect/tencent"
	"github.com/taskcenter/taskcenter/internal/testenv"
)

// TestTenantIsolation: tenant tb's credentials try to reach tenant ta's tasks
// through every vendor dialect, by instance, by async request id, by task id,
// by project and through totals, and learn nothing of them.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx := context.Background()
	taPage, err := env.Svc.ListTasks(ctx, &tc.TaskFilter{Tenant: "ta", Limit: 100})
	require.NoError(t, err)
	tbPage, err := env.Svc.ListTasks(ctx, &tc.TaskFilter{Tenant: "tb", Limit: 100})
	require.NoError(t, err)
	require.NotEmpty(t, taPage.Tasks)
	taTask := taPage.Tasks[0]
	serve := func(h http.Handler, r *http.Request) (int, []byte) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}

	t.Run("tencent", func(t *testing.T) {
		h := tencent.NewHandler(env.Svc, tencent.Options{})
		key := env.Keys["tb"][tc.KindTencent]
		call := func(body string) map[string]any {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", "DescribeTasks")
			r.Header.Set("X-TC-Version", tencent.Version)
			tencent.SignTC3(r, []byte(body), tencent.Service, key.ID, key.Secret, time.Now())
			_, b := serve(h, r)
			var out struct{ Response map[string]any }
			require.NoError(t, json.Unmarshal(b, &out))
			return out.Response
		}
		resp := call(`{"InstanceId":"cdb-ta1"}`)
		require.Equal(t, tencent.CodeInstanceNotFound, resp["Error"].(map[string]any)["Code"])
		resp = call(fmt.Sprintf(`{"AsyncRequestId":%q}`, taTask.AsyncRequestID))
		require.Zero(t, resp["TotalCount"])
		resp = call(`{"Limit":100}`)
		require.EqualValues(t, tbPage.Total, resp["TotalCount"], "totals count the caller's tenant only")
		for _, item := range resp["Items"].([]any) {
			for _, inst := range item.(map[string]any)["InstanceIds"].([]any) {
				require.True(t, strings.HasPrefix(inst.(string), "cdb-tb"), "item of another tenant: %v", item)
			}
		}
	})

	t.Run("qcloud", func(t *testing.T) {
		h := qcloud.NewHandler(env.Svc, qcloud.Options{})
		key := env.Keys["tb"][tc.KindTencent]
		s := &qcloud.Signer{SecretID: key.ID, SecretKey: key.Secret}
		mine, foreign := map[string]any{}, map[string]any{}
		for inst, out := range map[string]map[string]any{"cdb-zz": mine, "cdb-ta1": foreign} {
			r, err := s.NewRequest(ctx, http.MethodGet, "http://127.0.0.1", "GetCdbRollbackJob", url.Values{"cdbInstanceId": {inst}})
			require.NoError(t, err)
			_, b := serve(h, r)
			require.NoError(t, json.Unmarshal(b, &out))
		}
		require.NotZero(t, foreign["code"])
		// The same answer but for the id it quotes back.
		require.Equal(t, mine["code"], foreign["code"])
		require.Equal(t, mine["message"], strings.ReplaceAll(foreign["message"].(string), "cdb-ta1", "cdb-zz"),
			"another tenant's instance answers as one that does not exist")
	})

	t.Run("huawei", func(t *testing.T) {
		h := huawei.NewHandler(env.Svc, huawei.Options{})
		ak := env.Keys["tb"][tc.KindHuaweiAKSK]
		token := env.Keys["tb"][tc.KindHuaweiToken].Secret
		now := time.Now().UTC()
		window := "end_time=" + now.Add(time.Hour).Format("2006-01-02T15:04:05Z") + "&start_time=" + now.Add(-time.Hour).Format("2006-01-02T15:04:05Z")
		signed := func(path string) (int, []byte) {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
			require.NoError(t, huawei.Sign(r, ak.ID, ak.Secret, time.Now()))
			return serve(h, r)
		}
		status, body := signed("/v3.1/ta/jobs?" + window)
		require.Equal(t, http.StatusForbidden, status, "%s", body)
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/v3.1/ta/jobs?"+window, nil)
		r.Header.Set("X-Auth-Token", token)
		status, _ = serve(h, r)
		require.Equal(t, http.StatusForbidden, status, "a token of another project")

		status, body = signed(fmt.Sprintf("/v3/tb/jobs?id=%d", taTask.ID))
		_, absent := signed("/v3/tb/jobs?id=999999")
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, string(absent), strings.ReplaceAll(string(body), fmt.Sprintf(`\"%d\"`, taTask.ID), `\"999999\"`),
			"another tenant's task answers as one that does not exist")

		status, body = signed(fmt.Sprintf("/v3.1/tb/jobs?%s&id=%d", window, taTask.ID))
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(body), `"total_count":0`)
		status, body = signed("/v3.1/tb/jobs?" + window)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(body), fmt.Sprintf(`"total_count":%d`, tbPage.Total))
		require.False(t, bytes.Contains(body, []byte("cdb-ta")), "no instance of another tenant: %s", body)
	})
}
