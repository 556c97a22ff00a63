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

	"github.com/taskcenter/taskcenter/dialect/qcloud"
)

const qcloudUsage = "usage: taskcenter call qcloud GetCdbRollbackJob --cdbInstanceId ID [flags]"

// callQcloud makes a signed API 2.0 call, as the legacy SDKs did, and prints
// the answer. A non-zero code in the answer is an error.
func callQcloud(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(qcloudUsage)
	}
	if args[0] != "GetCdbRollbackJob" {
		return fmt.Errorf("action %q: taskcenter serves only GetCdbRollbackJob on API 2.0", args[0])
	}
	fs := flag.NewFlagSet("call qcloud GetCdbRollbackJob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", envOr("TASKCENTER_ENDPOINT", "http://127.0.0.1:8080"), "server `URL` (TASKCENTER_ENDPOINT); the path defaults to /v2/index.php")
	secretID := fs.String("secret-id", os.Getenv("TASKCENTER_TENCENT_SECRET_ID"), "SecretId of a tencent credential (TASKCENTER_TENCENT_SECRET_ID)")
	secretKey := fs.String("secret-key", os.Getenv("TASKCENTER_TENCENT_SECRET_KEY"), "its SecretKey (TASKCENTER_TENCENT_SECRET_KEY)")
	instance := fs.String("cdbInstanceId", "", "instance whose rollback tasks to list (required)")
	offset := fs.Int("offset", -1, "tasks to skip (the server's default: 0)")
	limit := fs.Int("limit", -1, "tasks to return, at most 100 (the server's default: 50)")
	region := fs.String("region", "ap-guangzhou", "the Region common parameter")
	method := fs.String("method", http.MethodGet, "GET (parameters in the query) or POST (in a form body)")
	sigMethod := fs.String("signature-method", qcloud.HmacSHA256, "HmacSHA1 or HmacSHA256")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return fmt.Errorf("unexpected argument %q; %s", pos[0], qcloudUsage)
	case *instance == "":
		return errors.New("--cdbInstanceId is required")
	case *secretID == "" || *secretKey == "":
		return errors.New("--secret-id and --secret-key (or TASKCENTER_TENCENT_SECRET_ID and TASKCENTER_TENCENT_SECRET_KEY) are required")
	}
	params := url.Values{"cdbInstanceId": {*instance}}
	if *region != "" {
		params.Set("Region", *region)
	}
	if *offset >= 0 {
		params.Set("offset", strconv.Itoa(*offset))
	}
	if *limit >= 0 {
		params.Set("limit", strconv.Itoa(*limit))
	}
	signer := &qcloud.Signer{SecretID: *secretID, SecretKey: *secretKey, SignatureMethod: *sigMethod}
	req, err := signer.NewRequest(ctx, *method, *endpoint, "GetCdbRollbackJob", params)
	if err != nil {
		return err
	}
	return doQcloud(&http.Client{Timeout: *timeout}, req, stdout)
}

// doQcloud sends a signed request, prints the JSON answer indented, and
// turns a non-zero code into an error.
func doQcloud(hc *http.Client, req *http.Request, stdout io.Writer) error {
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	var head struct {
		Code     json.Number `json:"code"`
		Message  string      `json:"message"`
		CodeDesc string      `json:"codeDesc"`
	}
	// Indent keeps the fields in the server's order, as the document shows them.
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil || json.Unmarshal(body, &head) != nil {
		return fmt.Errorf("the server answered HTTP %d, not an API 2.0 envelope: %.200s", resp.StatusCode, body)
	}
	pretty.WriteByte('\n')
	if _, err := stdout.Write(pretty.Bytes()); err != nil {
		return err
	}
	if head.Code != "0" {
		return fmt.Errorf("code %s (%s): %s", head.Code, head.CodeDesc, head.Message)
	}
	return nil
}
