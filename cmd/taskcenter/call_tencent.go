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
	"strconv"
	"strings"
	"time"

	"github.com/taskcenter/taskcenter/dialect/tencent"
)

const callTencentUsage = `usage: taskcenter call tencent ACTION --secret-id ID --secret-key KEY [flags]

Calls Tencent Cloud API 3.0 (service cdb, version 2017-03-20) on a taskcenter
server, signed with TC3-HMAC-SHA256 as tencentcloud-sdk-go signs, and prints
the JSON answer. DescribeTasks takes --InstanceId, --AsyncRequestId,
--TaskTypes 1,7, --TaskStatus 0,1, --StartTimeBegin, --StartTimeEnd
("2017-12-31 10:40:01"), --Offset and --Limit; only the ones given are sent.
`

// callTencent makes a signed API 3.0 call, like tccli, and prints the answer.
// An answer with Response.Error is printed too, and returned as an error.
func callTencent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, callTencentUsage)
		return errors.New("call tencent: name the action, e.g. DescribeTasks")
	}
	action := args[0]
	fs := flag.NewFlagSet("call tencent "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, callTencentUsage); fs.PrintDefaults() }
	endpoint := fs.String("endpoint", envOr("TASKCENTER_ENDPOINT", "http://127.0.0.1:8080"), "server `URL` (TASKCENTER_ENDPOINT)")
	secretID := fs.String("secret-id", os.Getenv("TASKCENTER_TENCENT_SECRET_ID"), "SecretId of a tencent credential (TASKCENTER_TENCENT_SECRET_ID)")
	secretKey := fs.String("secret-key", os.Getenv("TASKCENTER_TENCENT_SECRET_KEY"), "its SecretKey (TASKCENTER_TENCENT_SECRET_KEY)")
	region := fs.String("region", "ap-guangzhou", "X-TC-Region")
	language := fs.String("language", "", "X-TC-Language: zh-CN or en-US (messages in English when empty)")
	version := fs.String("version", tencent.Version, "X-TC-Version")
	timeout := fs.Duration("timeout", 30*time.Second, "time to wait for the answer")
	params := map[string]any{}
	for _, name := range []string{"InstanceId", "AsyncRequestId", "StartTimeBegin", "StartTimeEnd"} {
		fs.Func(name, "DescribeTasks' "+name, func(v string) error { params[name] = v; return nil })
	}
	for _, name := range []string{"Offset", "Limit"} {
		fs.Func(name, "DescribeTasks' "+name+", an integer", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			params[name] = n
			return err
		})
	}
	for _, name := range []string{"TaskTypes", "TaskStatus"} {
		fs.Func(name, "DescribeTasks' "+name+": integers, comma-separated or repeated", func(v string) error {
			list, _ := params[name].([]int64)
			for _, part := range strings.Split(v, ",") {
				n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not an integer", part)
				}
				list = append(list, n)
			}
			params[name] = list
			return nil
		})
	}
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return err
	}
	if *secretID == "" || *secretKey == "" {
		return errors.New("call tencent: --secret-id and --secret-key are required (or TASKCENTER_TENCENT_SECRET_ID and TASKCENTER_TENCENT_SECRET_KEY)")
	}
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := tencentRequest(ctx, *endpoint, body, map[string]string{
		"X-TC-Action": action, "X-TC-Version": *version, "X-TC-Region": *region, "X-TC-Language": *language,
	})
	if err != nil {
		return err
	}
	tencent.SignTC3(req, body, tencent.Service, *secretID, *secretKey, time.Now())
	answer, err := sendTencent(req, *timeout)
	if err != nil {
		return err
	}
	return printTencentAnswer(stdout, answer)
}

// tencentRequest is a POST of a JSON body to the endpoint's "/", with the
// given X-TC-* headers (empty ones left out), ready to be signed.
func tencentRequest(ctx context.Context, endpoint string, body []byte, headers map[string]string) (*http.Request, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("call tencent: --endpoint %q is not an http(s)://host[:port] URL", endpoint)
	}
	u.Path, u.RawQuery = "/", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	return req, nil
}

// sendTencent sends a signed request and returns the body of a 200 answer.
func sendTencent(req *http.Request, timeout time.Duration) ([]byte, error) {
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("call tencent: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("call tencent: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("call tencent: HTTP %s: %s", resp.Status, bytes.TrimSpace(answer))
	}
	return answer, nil
}

// printTencentAnswer prints the answer indented, and returns its
// Response.Error as an error.
func printTencentAnswer(stdout io.Writer, answer []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, answer, "", "  "); err != nil {
		return fmt.Errorf("call tencent: the answer is not JSON: %q", answer)
	}
	if _, err := stdout.Write(bytes.TrimSpace(out.Bytes())); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	var envelope struct {
		Response struct {
			Error     *struct{ Code, Message string }
			RequestID string `json:"RequestId"`
		}
	}
	if err := json.Unmarshal(answer, &envelope); err != nil {
		return fmt.Errorf("call tencent: %w", err)
	}
	if e := envelope.Response.Error; e != nil {
		return fmt.Errorf("%s: %s (RequestId %s)", e.Code, e.Message, envelope.Response.RequestID)
	}
	return nil
}
