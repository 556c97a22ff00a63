package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/dialect/tencent"
)

// overloadRate is the configured limit; the load runs at five times it.
const overloadRate = 20

// TestOverload sends each dialect five times its rate limit for a bounded
// time: the excess is refused with the dialect's own code, the rest served,
// and every request answered (none left hanging).
func TestOverload(t *testing.T) {
	bin := binary(t)
	const admin = "admin-token-for-the-overload-test"
	p := start(t, bin, t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin, "TASKCENTER_RATE_LIMIT=20")
	endpoint := "http://" + p.addr
	ctx := context.Background()
	c := client.New(endpoint, admin)
	_, err := c.PutInstance(ctx, "cdb-1", api.PutInstance{Tenant: "acme", Name: "orders"})
	require.NoError(t, err)
	key := func(kind tc.CredentialKind) *api.NewCredential {
		cred, err := c.CreateCredential(ctx, api.CreateCredential{Tenant: "acme", Kind: kind})
		require.NoError(t, err)
		return cred
	}
	ten, hw := key(tc.KindTencent), key(tc.KindHuaweiAKSK)
	rssBefore := residentKiB(t, p.cmd.Process.Pid)

	dialects := []struct {
		name    string
		request func() *http.Request
		limited func(status int, body []byte) bool
		served  func(status int, body []byte) bool
	}{
		{"tencent", func() *http.Request {
			body := []byte(`{"InstanceId":"cdb-1"}`)
			r, _ := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", "DescribeTasks")
			r.Header.Set("X-TC-Version", tencent.Version)
			tencent.SignTC3(r, body, tencent.Service, ten.ID, ten.Secret, time.Now())
			return r
		}, func(_ int, b []byte) bool { return tencentCode(b) == tencent.CodeRequestLimitExceeded },
			func(s int, b []byte) bool { return s == 200 && tencentCode(b) == "" }},
		{"qcloud", func() *http.Request {
			s := &qcloud.Signer{SecretID: ten.ID, SecretKey: ten.Secret}
			r, _ := s.NewRequest(ctx, http.MethodGet, endpoint, "GetCdbRollbackJob", url.Values{"cdbInstanceId": {"cdb-1"}})
			return r
		}, func(_ int, b []byte) bool { return qcloudCode(b) == 4400 },
			func(s int, b []byte) bool { return s == 200 && qcloudCode(b) == 0 }},
		{"huawei", func() *http.Request {
			now := time.Now().UTC()
			q := "end_time=" + now.Add(time.Hour).Format("2006-01-02T15:04:05Z") + "&start_time=" + now.Add(-time.Hour).Format("2006-01-02T15:04:05Z")
			r, _ := http.NewRequest(http.MethodGet, endpoint+"/v3.1/acme/jobs?"+q, nil)
			require.NoError(t, huawei.Sign(r, hw.ID, hw.Secret, time.Now()))
			return r
		}, func(s int, _ []byte) bool { return s == http.StatusTooManyRequests },
			func(s int, _ []byte) bool { return s == 200 }},
	}
	for _, d := range dialects {
		const seconds, rate = 3, 5 * overloadRate
		var mu sync.Mutex
		served, limited := 0, 0
		var latencies []time.Duration
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		began := time.Now()
		for range seconds * rate {
			<-tick.C
			wg.Go(func() {
				start := time.Now()
				resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(d.request())
				require.NoError(t, err, "%s: every request is answered", d.name)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				defer mu.Unlock()
				latencies = append(latencies, time.Since(start))
				switch {
				case d.limited(resp.StatusCode, body):
					limited++
				case d.served(resp.StatusCode, body):
					served++
				default:
					t.Errorf("%s: neither served nor limited: %d %s", d.name, resp.StatusCode, body)
				}
			})
		}
		tick.Stop()
		wg.Wait()
		// On a busy machine the requests spread over more than seconds,
		// and the bucket refills meanwhile.
		elapsed := max(seconds, int(math.Ceil(time.Since(began).Seconds())))
		slices.Sort(latencies)
		t.Logf("%s: %d requests at %d/s: %d served, %d limited; latency p50 %s, p99 %s, max %s", d.name, seconds*rate, rate,
			served, limited, latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1])
		// A bucket of overloadRate tokens refilled at overloadRate a second.
		require.LessOrEqual(t, served, overloadRate*(elapsed+1)+overloadRate/2, d.name)
		require.GreaterOrEqual(t, served, overloadRate*seconds/2, d.name)
		require.Positive(t, limited, d.name)
	}
	rssAfter := residentKiB(t, p.cmd.Process.Pid)
	t.Logf("server resident memory: %d KiB before the load, %d KiB after", rssBefore, rssAfter)
	require.Less(t, rssAfter, rssBefore+64<<10, "memory did not grow without limit")
	p.stop(t)
}

// residentKiB reads a process's resident memory from /proc.
func residentKiB(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func tencentCode(body []byte) string {
	var r struct {
		Response struct{ Error *struct{ Code string } }
	}
	if json.Unmarshal(body, &r) != nil || r.Response.Error == nil {
		return ""
	}
	return r.Response.Error.Code
}

func qcloudCode(body []byte) int {
	var r struct{ Code int }
	if json.Unmarshal(body, &r) != nil {
		return -1
	}
	return r.Code
}
