package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
)

// TestSecretsNeverLogged drives every way in with every kind of secret,
// good and bad, at debug level, and scans the whole log for them.
func TestSecretsNeverLogged(t *testing.T) {
	bin := binary(t)
	const admin = "admin-secret-for-the-log-scan"
	p := start(t, bin, t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin, "TASKCENTER_LOG_LEVEL=debug")
	endpoint := "http://" + p.addr
	ctx := context.Background()
	c := client.New(endpoint, admin)
	_, err := c.PutInstance(ctx, "cdb-1", api.PutInstance{Tenant: "acme", Name: "orders"})
	require.NoError(t, err)
	_, _, err = c.SubmitTask(ctx, api.SubmitTask{Tenant: "acme", Type: tc.TypeReboot, InstanceIDs: []string{"cdb-1"}})
	require.NoError(t, err)
	secrets := []string{admin}
	creds := map[tc.CredentialKind]*api.NewCredential{}
	for _, kind := range []tc.CredentialKind{tc.KindNative, tc.KindTencent, tc.KindHuaweiAKSK, tc.KindHuaweiToken} {
		cred, err := c.CreateCredential(ctx, api.CreateCredential{Tenant: "acme", Kind: kind, Role: tc.RoleReader})
		require.NoError(t, err)
		creds[kind] = cred
		secrets = append(secrets, cred.Secret)
	}

	cli := func(args ...string) {
		var out, errOut bytes.Buffer
		_ = run(ctx, append(args, "--endpoint", endpoint), &out, &errOut) // bad keys fail, as they should
	}
	ten, hw := creds[tc.KindTencent], creds[tc.KindHuaweiAKSK]
	now := time.Now().UTC()
	window := []string{"--start-time", now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), "--end-time", now.Add(time.Hour).Format("2006-01-02T15:04:05Z")}
	for _, key := range []string{ten.Secret, ten.Secret + "x"} {
		cli("call", "tencent", "DescribeTasks", "--secret-id", ten.ID, "--secret-key", key)
		cli("call", "qcloud", "GetCdbRollbackJob", "--cdbInstanceId", "cdb-1", "--secret-id", ten.ID, "--secret-key", key)
	}
	for _, key := range []string{hw.Secret, hw.Secret + "x"} {
		cli(append([]string{"call", "huawei", "ListTasks", "--ak", hw.ID, "--sk", key, "--project-id", "acme"}, window...)...)
	}
	get := func(path string, header ...string) {
		req, err := http.NewRequest(http.MethodGet, endpoint+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond) // the event stream stays open
		defer cancel()
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	token := creds[tc.KindHuaweiToken].Secret
	get(fmt.Sprintf("/v3.1/acme/jobs?start_time=%s&end_time=%s", window[1], window[3]), "X-Auth-Token", token)
	get("/v3.1/acme/jobs", "X-Auth-Token", token+"x")
	native := creds[tc.KindNative].Secret
	get("/api/v1/tasks", "Authorization", "Bearer "+native)
	get("/api/v1/tasks", "Authorization", "Bearer "+native+"x")
	// The event stream: a ticket asked with the token, used, then reused.
	req, err := http.NewRequest(http.MethodPost, endpoint+"/api/v1/events/tickets", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+native)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var ticket api.StreamTicket
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ticket))
	resp.Body.Close()
	require.NotEmpty(t, ticket.Ticket)
	secrets = append(secrets, ticket.Ticket)
	get("/api/v1/events?ticket=" + ticket.Ticket)
	get("/api/v1/events?ticket=" + ticket.Ticket)
	get("/api/v1/events?ticket=" + ticket.Ticket + "x")
	p.stop(t)

	logs := p.stdout.String()
	require.Greater(t, strings.Count(logs, `"msg":"request"`), 12, "the calls were logged")
	for _, path := range []string{`"path":"/"`, `"path":"/v2/index.php"`, `"path":"/v3.1/acme/jobs"`, `"path":"/api/v1/events"`} {
		require.Contains(t, logs, path, "every way in was tried")
	}
	for _, s := range secrets {
		require.NotContains(t, logs, s)
		require.NotContains(t, logs, s[:len(s)-2], "not even most of it")
	}
}
