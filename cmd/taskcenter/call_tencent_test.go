package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallTencent signs DescribeTasks calls with "taskcenter call tencent"
// against a real server, with flags and with the environment.
func TestCallTencent(t *testing.T) {
	bin := binary(t)
	const admin = "admin-token-for-call-tencent"
	p := start(t, bin, t.TempDir(), "TASKCENTER_ADMIN_TOKEN="+admin, "TASKCENTER_TIME_ZONE=Asia/Shanghai")
	endpoint := "http://" + p.addr
	cli := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	out, errOut, err := cli("credentials", "create", "--kind", "tencent", "--tenant", "acme", "--json", "--endpoint", endpoint, "--token", admin)
	require.NoError(t, err, errOut)
	var cred struct{ ID, Secret string }
	require.NoError(t, json.Unmarshal([]byte(out), &cred))
	_, errOut, err = cli("instances", "put", "cdb-1", "--tenant", "acme", "--endpoint", endpoint, "--token", admin)
	require.NoError(t, err, errOut)
	for _, async := range []string{"first", "second"} {
		_, errOut, err = cli("tasks", "submit", "--tenant", "acme", "--type", "REBOOT", "--instance", "cdb-1",
			"--async-request-id", async, "--endpoint", endpoint, "--token", admin)
		require.NoError(t, err, errOut)
	}

	type answer struct {
		Response struct {
			Error      *struct{ Code, Message string }
			TotalCount int
			Items      []struct {
				JobID          int64 `json:"JobId"`
				TaskType       string
				TaskStatus     string
				AsyncRequestID string   `json:"AsyncRequestId"`
				InstanceIDs    []string `json:"InstanceIds"`
				EndTime        string
			}
			RequestID string `json:"RequestId"`
		}
	}
	decode := func(out string) answer {
		var a answer
		require.NoError(t, json.Unmarshal([]byte(out), &a), out)
		require.NotEmpty(t, a.Response.RequestID)
		return a
	}

	out, errOut, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint, "--secret-id", cred.ID, "--secret-key", cred.Secret,
		"--InstanceId", "cdb-1", "--TaskTypes", "7,1", "--TaskTypes", "2",
		"--StartTimeBegin", "2000-01-01 00:00:00", "--StartTimeEnd", "2999-12-31 23:59:59", "--Offset", "0", "--Limit", "1")
	require.NoError(t, err, errOut)
	a := decode(out)
	require.Nil(t, a.Response.Error)
	require.Equal(t, 2, a.Response.TotalCount)
	require.Len(t, a.Response.Items, 1)
	require.Equal(t, "REBOOT", a.Response.Items[0].TaskType)
	require.Equal(t, "WAITING", a.Response.Items[0].TaskStatus, "a second reboot queues behind the first")
	require.Equal(t, "second", a.Response.Items[0].AsyncRequestID, "newest first")
	require.Equal(t, []string{"cdb-1"}, a.Response.Items[0].InstanceIDs)
	require.Equal(t, "0000-00-00 00:00:00", a.Response.Items[0].EndTime)

	out, errOut, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint, "--secret-id", cred.ID, "--secret-key", cred.Secret,
		"--TaskStatus", "0", "--TaskStatus", "-1")
	require.NoError(t, err, errOut)
	a = decode(out)
	require.Equal(t, 1, a.Response.TotalCount)
	require.Equal(t, "first", a.Response.Items[0].AsyncRequestID)

	t.Setenv("TASKCENTER_TENCENT_SECRET_ID", cred.ID)
	t.Setenv("TASKCENTER_TENCENT_SECRET_KEY", cred.Secret)
	out, errOut, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint)
	require.NoError(t, err, errOut)
	require.Equal(t, 2, decode(out).Response.TotalCount)

	// An error answer is printed, and the command fails with its code.
	out, _, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint, "--secret-key", "wrong", "--language", "zh-CN")
	require.ErrorContains(t, err, "AuthFailure.SignatureFailure")
	a = decode(out)
	require.Equal(t, "AuthFailure.SignatureFailure", a.Response.Error.Code)
	require.Contains(t, a.Response.Error.Message, "签名")
	_, _, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint, "--Limit", "101")
	require.ErrorContains(t, err, "InvalidParameterValue")
	_, _, err = cli("call", "tencent", "DescribeTask", "--endpoint", endpoint)
	require.ErrorContains(t, err, "InvalidAction")

	// Mistakes caught before anything is sent.
	_, _, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint, "--TaskTypes", "7,x")
	require.ErrorContains(t, err, "not an integer")
	_, _, err = cli("call", "tencent", "DescribeTasks", "--endpoint", "127.0.0.1:8080")
	require.ErrorContains(t, err, "not an http(s)://host[:port] URL")
	_, _, err = cli("call", "tencent", "--endpoint", endpoint)
	require.ErrorContains(t, err, "name the action")
	t.Setenv("TASKCENTER_TENCENT_SECRET_KEY", "")
	_, _, err = cli("call", "tencent", "DescribeTasks", "--endpoint", endpoint)
	require.ErrorContains(t, err, "--secret-key")
}
