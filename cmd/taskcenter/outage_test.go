package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/dialect/tencent"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestDatabaseOutage stops PostgreSQL under load. While it is down every
// way in answers its documented internal error at once, and the engine
// keeps trying; once it is back, everything resumes with nothing lost.
func TestDatabaseOutage(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	bin := binary(t)
	p := startArgs(t, bin, t.TempDir(), []string{"--demo", "--store", cluster.URL()}, crashEnv...)
	load := startLoad(t, p.addr)
	ctx := context.Background()
	admin := client.New("http://"+p.addr, crashAdmin)
	creds := map[tc.CredentialKind]*api.NewCredential{}
	for _, kind := range []tc.CredentialKind{tc.KindTencent, tc.KindHuaweiAKSK} {
		cred, err := admin.CreateCredential(ctx, api.CreateCredential{Tenant: demoTenant, Kind: kind})
		require.NoError(t, err)
		creds[kind] = cred
	}
	time.Sleep(time.Second) // work in flight when the database goes

	cluster.Stop()
	probes := outageProbes(t, "http://"+p.addr, creds)
	deadline := time.Now().Add(3 * time.Second)
	slowest := map[string]time.Duration{}
	for time.Now().Before(deadline) {
		for name, probe := range probes {
			start := time.Now()
			status, body := probe()
			took := time.Since(start)
			require.Less(t, took, 5*time.Second, "%s hung while the database was down", name)
			require.True(t, outageAnswer(name, status, body), "%s: %d %s", name, status, body)
			slowest[name] = max(slowest[name], took)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("slowest answers while the database was down: %v", slowest)
	resp, err := http.Get("http://" + p.addr + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "not ready without its database")

	cluster.Start()
	time.Sleep(2 * time.Second) // work resumes
	load.stop()
	store, err := postgres.Open(ctx, cluster.URL())
	require.NoError(t, err)
	defer store.Close()
	checkAfterCrashes(t, store, load, p)
	p.stop(t)
}

// outageProbes are one request of every way in, by name.
func outageProbes(t *testing.T, endpoint string, creds map[tc.CredentialKind]*api.NewCredential) map[string]func() (int, string) {
	do := func(r *http.Request) (int, string) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(r)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ten, hw := creds[tc.KindTencent], creds[tc.KindHuaweiAKSK]
	return map[string]func() (int, string){
		"native": func() (int, string) {
			r, _ := http.NewRequest(http.MethodGet, endpoint+"/api/v1/tasks?tenant=demo", nil)
			r.Header.Set("Authorization", "Bearer "+crashAdmin)
			return do(r)
		},
		"tencent": func() (int, string) {
			body := []byte(`{}`)
			r, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", "DescribeTasks")
			r.Header.Set("X-TC-Version", tencent.Version)
			tencent.SignTC3(r, body, tencent.Service, ten.ID, ten.Secret, time.Now())
			return do(r)
		},
		"qcloud": func() (int, string) {
			s := &qcloud.Signer{SecretID: ten.ID, SecretKey: ten.Secret}
			r, _ := s.NewRequest(context.Background(), http.MethodGet, endpoint, "GetCdbRollbackJob", url.Values{"cdbInstanceId": {"cdb-demo01"}})
			return do(r)
		},
		"huawei": func() (int, string) {
			now := time.Now().UTC()
			q := "end_time=" + now.Format("2006-01-02T15:04:05Z") + "&start_time=" + now.Add(-time.Hour).Format("2006-01-02T15:04:05Z")
			r, _ := http.NewRequest(http.MethodGet, endpoint+"/v3.1/demo/jobs?"+q, nil)
			require.NoError(t, huawei.Sign(r, hw.ID, hw.Secret, time.Now()))
			return do(r)
		},
	}
}

// outageAnswer reports whether an answer is the dialect's documented one
// for a fault of the server.
func outageAnswer(name string, status int, body string) bool {
	switch name {
	case "native":
		return status == http.StatusServiceUnavailable && strings.Contains(body, `"code":"unavailable"`)
	case "tencent":
		return status == http.StatusOK && tencentCode([]byte(body)) == tencent.CodeInternalError
	case "qcloud":
		return qcloudCode([]byte(body)) == 6000
	case "huawei":
		return status == http.StatusInternalServerError && strings.Contains(body, "DBS.280005")
	}
	return false
}
