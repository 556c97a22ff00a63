package qcloud_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// specClient calls API 2.0 as spec/tencent.md section 4.1 describes it,
// with none of the code of the package under test: its own string to sign,
// its own HMAC, its own encoding.
type specClient struct {
	endpoint  string // http://host:port
	secretID  string
	secretKey string
}

// call is one request; the zero value is a GET of GetCdbRollbackJob signed
// with HmacSHA1 (no SignatureMethod), now, with a random Nonce.
type call struct {
	method    string            // GET (default) or POST
	sigMethod string            // the SignatureMethod parameter; empty sends none
	params    map[string]string // the action's parameters, and any common one to override
	timestamp int64             // 0 means now
	nonce     string            // "" means a random one
	signAs    string            // the HTTP method in the string to sign; default method
	secretKey string            // signs with this key instead of the client's
	tamper    func(q url.Values)
	paramsIn  string // "query" or "body"; default: query for GET, body for POST
}

// values returns the signed parameters of c.
func (sc *specClient) values(c call) url.Values {
	method := cmpOr(c.method, http.MethodGet)
	q := url.Values{}
	q.Set("Action", "GetCdbRollbackJob")
	q.Set("Region", "ap-guangzhou")
	q.Set("SecretId", sc.secretID)
	ts := c.timestamp
	if ts == 0 {
		ts = time.Now().Unix()
	}
	q.Set("Timestamp", strconv.FormatInt(ts, 10))
	q.Set("Nonce", cmpOr(c.nonce, strconv.FormatUint(rand.Uint64N(1<<40)+1, 10)))
	if c.sigMethod != "" {
		q.Set("SignatureMethod", c.sigMethod)
	}
	for k, v := range c.params {
		q.Set(k, v)
	}
	u, _ := url.Parse(sc.endpoint)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+q.Get(k))
	}
	toSign := strings.ToUpper(cmpOr(c.signAs, method)) + u.Host + "/v2/index.php?" + strings.Join(parts, "&")
	var h func() hash.Hash = sha1.New
	if c.sigMethod == "HmacSHA256" {
		h = sha256.New
	}
	m := hmac.New(h, []byte(cmpOr(c.secretKey, sc.secretKey)))
	m.Write([]byte(toSign))
	q.Set("Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	if c.tamper != nil {
		c.tamper(q)
	}
	return q
}

// send makes the request of c and returns the raw answer.
func (sc *specClient) send(t *testing.T, c call) (status int, body []byte) {
	t.Helper()
	method := cmpOr(c.method, http.MethodGet)
	q := sc.values(c)
	where := c.paramsIn
	if where == "" {
		where = map[string]string{http.MethodGet: "query", http.MethodPost: "body"}[method]
	}
	target := sc.endpoint + "/v2/index.php"
	var rd io.Reader
	if where == "query" {
		target += "?" + q.Encode()
	} else {
		rd = strings.NewReader(q.Encode())
	}
	req, err := http.NewRequest(method, target, rd)
	require.NoError(t, err)
	if where == "body" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// wireList is GetCdbRollbackJob's answer with the types of the document's
// parameter tables: decoding fails if a field has another JSON type.
type wireList struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	CodeDesc string `json:"codeDesc"`
	Data     *struct {
		TaskCount int        `json:"taskCount"`
		TaskList  []wireTask `json:"taskList"`
	} `json:"data"`
}

type wireTask struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	JobID        string `json:"jobId"`
	StartTime    string `json:"startTime"`
	EndTime      string `json:"endTime"`
	Name         string `json:"name"`
	NewName      string `json:"newName"`
	Progress     string `json:"progress"`
	Status       int    `json:"status"`
	TaskMessage  string `json:"taskMessage"`
	TaskProgress string `json:"taskProgress"`
	TaskStatus   string `json:"taskStatus"`
	Type         string `json:"type"`
	TaskContext  struct {
		Data struct {
			Operator     string `json:"operator"`
			RollbackTime string `json:"rollbackTime"`
			DBs          []struct {
				DBName  string `json:"dbname"`
				NewName string `json:"newname"`
			} `json:"dbs"`
			Tables []struct {
				DB    string `json:"db"`
				Table []struct {
					TableName string `json:"tablename"`
					NewName   string `json:"newname"`
				} `json:"table"`
			} `json:"tables"`
			UInstanceID string `json:"uInstanceId"`
		} `json:"data"`
	} `json:"taskContext"`
}

// get sends c and decodes the answer, which must come with HTTP 200.
func (sc *specClient) get(t *testing.T, c call) wireList {
	t.Helper()
	status, body := sc.send(t, c)
	require.Equal(t, http.StatusOK, status, string(body))
	var out wireList
	dec := json.NewDecoder(strings.NewReader(string(body)))
	require.NoError(t, dec.Decode(&out), string(body))
	return out
}

// ok sends c and requires a success.
func (sc *specClient) ok(t *testing.T, c call) wireList {
	t.Helper()
	out := sc.get(t, c)
	require.Equal(t, 0, out.Code, "%+v", out)
	require.Equal(t, "Success", out.CodeDesc)
	require.NotNil(t, out.Data)
	return out
}

// fails sends c and requires the error code, with no data.
func (sc *specClient) fails(t *testing.T, code int, c call) wireList {
	t.Helper()
	out := sc.get(t, c)
	require.Equal(t, code, out.Code, "%+v", out)
	require.NotEmpty(t, out.Message)
	require.NotEmpty(t, out.CodeDesc)
	require.Nil(t, out.Data)
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
