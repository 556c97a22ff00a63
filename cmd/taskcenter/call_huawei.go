package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/taskcenter/taskcenter/dialect/huawei"
)

const callHuaweiUsage = `usage: taskcenter call huawei ListTasks|ShowJobDetail [flags]

  ListTasks      --start-time T --end-time T [--status S] [--name N] [--id ID] [--offset N] [--limit N]
  ShowJobDetail  --id ID

Times are yyyy-mm-ddThh:mm:ssZ with an offset: 2026-05-01T00:00:00+0800.
Every call needs --project-id and an access key: --ak and --sk, or
TASKCENTER_HUAWEI_AK and TASKCENTER_HUAWEI_SK.`

// callHuawei makes a Huawei DDS call signed with SDK-HMAC-SHA256, like the
// vendor's SDK, and prints the JSON answer. An error answer is printed too,
// and makes the command fail.
func callHuawei(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != huawei.ActionListTasks && args[0] != huawei.ActionShowJobDetail) {
		return errors.New(callHuaweiUsage)
	}
	action := args[0]
	fs := flag.NewFlagSet("call huawei "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", envOr("TASKCENTER_ENDPOINT", "http://127.0.0.1:8080"), "server `URL` (TASKCENTER_ENDPOINT)")
	ak := fs.String("ak", os.Getenv("TASKCENTER_HUAWEI_AK"), "access `key` (TASKCENTER_HUAWEI_AK)")
	sk := fs.String("sk", os.Getenv("TASKCENTER_HUAWEI_SK"), "secret `key` (TASKCENTER_HUAWEI_SK)")
	projectID := fs.String("project-id", "", "project `id`: the tenant of the access key")
	params := map[string]*string{"id": fs.String("id", "", "task `id`")}
	if action == huawei.ActionListTasks {
		for _, p := range []struct{ name, usage string }{
			{"start-time", "`time` the window starts, e.g. 2026-05-01T00:00:00+0800 (required)"},
			{"end-time", "`time` the window ends, at most 30 days after the start (required)"},
			{"status", "Running, Completed or Failed"},
			{"name", "task `name`, e.g. RestartInstance"},
			{"offset", "jobs to skip (default 0)"},
			{"limit", "jobs per page, 1 to 100 (default 100)"},
		} {
			params[strings.ReplaceAll(p.name, "-", "_")] = fs.String(p.name, "", p.usage)
		}
	}
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	req, err := huaweiRequest(ctx, action, *endpoint, *projectID, params)
	if err != nil {
		return err
	}
	if err := huawei.Sign(req, *ak, *sk, time.Now()); err != nil {
		return fmt.Errorf("%w: use --ak and --sk, or TASKCENTER_HUAWEI_AK and TASKCENTER_HUAWEI_SK", err)
	}
	return doHuawei(req, action, stdout)
}

// huaweiRequest builds the GET of an action, its query escaped as the SDK
// escapes it, with the headers the SDK sends.
func huaweiRequest(ctx context.Context, action, endpoint, projectID string, params map[string]*string) (*http.Request, error) {
	if projectID == "" {
		return nil, errors.New("--project-id is required")
	}
	path := "/v3.1/" + url.PathEscape(projectID) + "/jobs"
	switch {
	case action == huawei.ActionShowJobDetail:
		path = "/v3/" + url.PathEscape(projectID) + "/jobs"
		if *params["id"] == "" {
			return nil, errors.New("--id is required")
		}
	case *params["start_time"] == "" || *params["end_time"] == "":
		return nil, errors.New("--start-time and --end-time are required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+path, nil)
	if err != nil {
		return nil, fmt.Errorf("--endpoint: %w", err)
	}
	req.URL.RawQuery = encodeHuaweiQuery(params)
	req.Header.Set("User-Agent", "taskcenter-cli")
	req.Header.Set("X-Project-Id", projectID)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// encodeHuaweiQuery writes the parameters that are set, sorted, with '+' as
// %2B and ' ' as %20, as the SDK does.
func encodeHuaweiQuery(params map[string]*string) string {
	var pairs []string
	for k, v := range params {
		if *v != "" {
			pairs = append(pairs, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(*v), "+", "%20"))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// doHuawei sends the request and prints the answer, indented when it is JSON.
func doHuawei(req *http.Request, action string, stdout io.Writer) error {
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = append(pretty.Bytes(), '\n')
	}
	if _, err := stdout.Write(body); err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		if json.Unmarshal(body, &e) != nil || e.Code == "" {
			return fmt.Errorf("%s: HTTP %d (request id %s)", action, resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
		return fmt.Errorf("%s: HTTP %d %s %s (request id %s)", action, resp.StatusCode, e.Code, e.Msg, resp.Header.Get("X-Request-Id"))
	}
	return nil
}
