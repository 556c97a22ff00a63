package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/tencent"
)

// window is the 30-day window of the time shapes.
const window = 30 * 24 * time.Hour

// pageSize is the page every shape asks for.
const pageSize = 20

// shapes returns every filter shape through every dialect that can express it.
// Huawei's ListTasks always needs a window of at most 30 days and has no
// instance or request-id filter, so its shapes are the window alone and the
// window with a status or a name.
func shapes(cfg *QueryConfig) []shape {
	t := cfg.Target
	begin, end := t.End.Add(-window).UTC(), t.End.UTC()
	var out []shape
	for _, s := range []struct {
		name   string
		params map[string]any
	}{
		{"instance", map[string]any{"InstanceId": t.InstanceID}},
		{"status", map[string]any{"TaskStatus": []int{3}}},
		{"types", map[string]any{"TaskTypes": []int{1, 2, 7}}},
		{"window", map[string]any{"StartTimeBegin": begin.Format(time.DateTime), "StartTimeEnd": end.Format(time.DateTime)}},
		{"request", map[string]any{"AsyncRequestId": t.RequestID}},
		{"tenant", map[string]any{}},
	} {
		s.params["Limit"] = pageSize
		out = append(out, tencentShape(cfg, "tencent/"+s.name, s.params))
	}
	for _, s := range []struct {
		name  string
		query url.Values
	}{
		{"instance", url.Values{"instance_id": {t.InstanceID}}},
		{"status", url.Values{"status": {string(tc.StatusFailed)}}},
		{"types", url.Values{"type": {tc.TypeRollback, tc.TypeSQLOperation, tc.TypeReboot}}},
		{"window", url.Values{"created_after": {begin.Format(time.RFC3339)}, "created_before": {end.Format(time.RFC3339)}}},
		{"request", url.Values{"async_request_id": {t.RequestID}}},
		{"tenant", url.Values{}},
	} {
		s.query.Set("tenant", t.Tenant)
		s.query.Set("limit", "20")
		out = append(out, nativeShape(cfg, "native/"+s.name, s.query))
	}
	hw := url.Values{"start_time": {begin.Format(huawei.TimeLayout)}, "end_time": {end.Format(huawei.TimeLayout)},
		"limit": {"20"}}
	for _, s := range []struct {
		name, key, value string
	}{{"window", "", ""}, {"window+status", "status", "Failed"}, {"window+name", "name", "RestartInstance"}} {
		q := url.Values{}
		for k, v := range hw {
			q[k] = v
		}
		if s.key != "" {
			q.Set(s.key, s.value)
		}
		out = append(out, huaweiShape(cfg, "huawei/"+s.name, q))
	}
	return out
}

func tencentShape(cfg *QueryConfig, name string, params map[string]any) shape {
	body, _ := json.Marshal(params)
	return shape{name: name, req: func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(cfg.Endpoint, "/")+"/", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-TC-Action", "DescribeTasks")
		req.Header.Set("X-TC-Version", tencent.Version)
		req.Header.Set("X-TC-Region", "ap-guangzhou")
		tencent.SignTC3(req, body, tencent.Service, cfg.Creds.TencentID, cfg.Creds.TencentKey, time.Now())
		return req, nil
	}, total: tencentTotal}
}

func nativeShape(cfg *QueryConfig, name string, q url.Values) shape {
	u := strings.TrimSuffix(cfg.Endpoint, "/") + "/api/v1/tasks?" + q.Encode()
	return shape{name: name, req: func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+cfg.Creds.Token)
		}
		return req, err
	}, total: nativeTotal}
}

func huaweiShape(cfg *QueryConfig, name string, q url.Values) shape {
	u := strings.TrimSuffix(cfg.Endpoint, "/") + "/v3.1/" + url.PathEscape(cfg.Target.Tenant) + "/jobs?" +
		strings.ReplaceAll(q.Encode(), "+", "%20")
	return shape{name: name, req: func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Project-Id", cfg.Target.Tenant)
		return req, huawei.Sign(req, cfg.Creds.HuaweiAK, cfg.Creds.HuaweiSK, time.Now())
	}, total: huaweiTotal}
}
