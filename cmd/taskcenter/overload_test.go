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

// overloadDialect is one way in under load: a signed request, and how to
// tell its refusal by the rate limit from a served answer.
type overloadDialect struct {
	name    string
	request func() *http.Request
	limited func(status int, body []byte) bool
	served  func(status int, body []byte) bool
}

// overloadServer starts a server limited to overloadRate requests a second
// per credential and action, with an instance and a Tencent and a Huawei
// key of tenant acme, and returns it with the three dialects' requests.
func overloadServer(t *testing.T) (*proc, []overloadDialect) {
	bin := binary(t)
	const admin = "admin-token-for-the-overload-test"
	p := start(t, bin, t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin, "TASKCENTER_RATE_LIMIT="+strconv.Itoa(overloadRate))
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
	return p, []overloadDialect{
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
			if err := huawei.Sign(r, hw.ID, hw.Secret, time.Now()); err != nil {
				panic(err)
			}
			return r
		}, func(s int, _ []byte) bool { return s == http.StatusTooManyRequests },
			func(s int, _ []byte) bool { return s == 200 }},
	}
}

// overloadResult counts what one dialect's load got back.
type overloadResult struct {
	mu                        sync.Mutex
	served, limited, answered int
	latencies                 []time.Duration
	elapsed                   time.Duration // from the first request sent to the last answer
}

// load sends d's requests at rate a second for the given time, waits for
// every answer and returns the counts. Every request must be answered
// within the client's 10 s, and be either served or limited.
func (d overloadDialect) load(t *testing.T, rate int, length time.Duration) *overloadResult {
	res := &overloadResult{}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	client := &http.Client{Timeout: 10 * time.Second}
	begin := time.Now()
	for range int(length.Seconds()) * rate {
		<-tick.C
		wg.Go(func() {
			start := time.Now()
			resp, err := client.Do(d.request())
			if err != nil {
				t.Errorf("%s: every request is answered: %v", d.name, err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			res.mu.Lock()
			defer res.mu.Unlock()
			res.answered++
			res.latencies = append(res.latencies, time.Since(start))
			switch {
			case d.limited(resp.StatusCode, body):
				res.limited++
			case d.served(resp.StatusCode, body):
				res.served++
			default:
				t.Errorf("%s: neither served nor limited: %d %s", d.name, resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	slices.Sort(res.latencies)
	return res
}

// quantile returns the q-quantile of sorted latencies.
func (r *overloadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*q))]
}

// TestOverload sends each dialect five times its rate limit for a bounded
// time: the excess is refused with the dialect's own code, the rest served,
// and every request answered (none left hanging).
func TestOverload(t *testing.T) {
	p, dialects := overloadServer(t)
	rssBefore := residentKiB(t, p.cmd.Process.Pid)
	for _, d := range dialects {
		const seconds, rate = 3, 5 * overloadRate
		res := d.load(t, rate, seconds*time.Second)
		t.Logf("%s: %d requests at %d/s: %d served, %d limited; latency p50 %s, p99 %s, max %s", d.name, seconds*rate, rate,
			res.served, res.limited, res.quantile(0.5), res.quantile(0.99), res.quantile(1))
		require.Equal(t, seconds*rate, res.answered, d.name)
		// A bucket of overloadRate tokens refilled at overloadRate a second;
		// on a busy machine the requests spread over more than seconds.
		took := max(seconds, int(math.Ceil(res.elapsed.Seconds())))
		require.LessOrEqual(t, res.served, overloadRate*(took+1)+overloadRate/2, d.name)
		require.GreaterOrEqual(t, res.served, overloadRate*seconds/2, d.name)
		require.Positive(t, res.limited, d.name)
	}
	rssAfter := residentKiB(t, p.cmd.Process.Pid)
	t.Logf("server resident memory: %d KiB before the load, %d KiB after", rssBefore, rssAfter)
	require.Less(t, rssAfter, rssBefore+64<<10, "memory did not grow without limit")
	p.stop(t)
}

// TestOverloadLong is the long run of TestOverload, skipped unless
// TASKCENTER_LONG=1: all three dialects at once, each at five times its
// rate limit, for TASKCENTER_LONG_DURATION (default 4m), sampling the
// server's resident memory every 5 s. Memory must level off: over the
// second half of the run the samples stay within 16 MiB of each other, and
// the whole run adds at most 64 MiB. Latency must stay bounded: every
// request answered within the client's 10 s, and the 99th percentile of
// each dialect under 1 s.
func TestOverloadLong(t *testing.T) {
	if os.Getenv("TASKCENTER_LONG") != "1" {
		t.Skip("the long overload run: set TASKCENTER_LONG=1 (and TASKCENTER_LONG_DURATION, default 4m)")
	}
	length := 4 * time.Minute
	if s := os.Getenv("TASKCENTER_LONG_DURATION"); s != "" {
		var err error
		length, err = time.ParseDuration(s)
		require.NoError(t, err, "TASKCENTER_LONG_DURATION")
	}
	p, dialects := overloadServer(t)
	pid := p.cmd.Process.Pid
	rssBefore := residentKiB(t, pid)
	var samples []int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				samples = append(samples, residentKiB(t, pid))
			}
		}
	}()
	results := make([]*overloadResult, len(dialects))
	var wg sync.WaitGroup
	for i, d := range dialects {
		wg.Go(func() { results[i] = d.load(t, 5*overloadRate, length) })
	}
	wg.Wait()
	close(stop)
	<-sampled
	rssAfter := residentKiB(t, pid)

	for i, d := range dialects {
		res := results[i]
		t.Logf("%s: %d requests in %s (%.0f/s): %d served (%.1f/s), %d limited; latency p50 %s, p99 %s, max %s", d.name,
			res.answered, res.elapsed.Round(time.Second), float64(res.answered)/res.elapsed.Seconds(), res.served,
			float64(res.served)/res.elapsed.Seconds(), res.limited, res.quantile(0.5), res.quantile(0.99), res.quantile(1))
	}
	require.GreaterOrEqual(t, len(samples), 4)
	half := samples[len(samples)/2:]
	t.Logf("server resident memory (KiB): %d before; samples every 5 s: %v; %d after", rssBefore, samples, rssAfter)
	t.Logf("second half: min %d KiB, max %d KiB", slices.Min(half), slices.Max(half))
	for i, d := range dialects {
		res := results[i]
		require.Equal(t, int(length.Seconds())*5*overloadRate, res.answered, "%s: every request answered", d.name)
		require.Less(t, res.quantile(0.99), time.Second, "%s: latency stays bounded", d.name)
		// The bucket: its burst, then overloadRate a second for as long as the load lasted.
		require.LessOrEqual(t, res.served, overloadRate*(int(res.elapsed.Seconds())+2), d.name)
		require.Positive(t, res.limited, d.name)
	}
	require.Less(t, slices.Max(half)-slices.Min(half), 16<<10, "memory levels off over the second half")
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
