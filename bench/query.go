package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are the tenant's keys the query benchmark signs with.
type Credentials struct {
	TencentID, TencentKey string // a tencent credential
	HuaweiAK, HuaweiSK    string // a huawei-aksk credential
	Token                 string // a native bearer token
}

// QueryConfig tunes a query benchmark.
type QueryConfig struct {
	Endpoint    string // the server, e.g. http://127.0.0.1:8080
	Target      Target
	Creds       Credentials
	Duration    time.Duration // per shape; default 2s
	Concurrency int           // requests in flight; default 4
	Only        string        // run only the shapes whose "dialect/shape" name contains this
	Pid         int           // the server's process, for its resident memory; 0 for none
	Out         io.Writer
}

// Target is what the shapes ask about: a tenant, one of its instances and
// one of its async request ids, and the end of the 30-day window.
type Target struct {
	Tenant, InstanceID, RequestID string
	End                           time.Time
}

// ShapeResult is what one shape measured.
type ShapeResult struct {
	Name     string
	Total    int // the exact total the answers carried
	Requests int
	P50, P99 time.Duration
	Rate     float64       // requests per second
	CPU      time.Duration // this process's CPU time (user and system) per request; 0 where the platform does not tell
}

// RunQuery runs every shape in turn and prints one line each, then the
// server's resident memory. A line's CPU is this process's: the server's
// and the load generator's when the server runs in it, the load
// generator's alone otherwise.
func RunQuery(ctx context.Context, cfg QueryConfig) ([]ShapeResult, error) {
	cfg.Duration = cmp.Or(cfg.Duration, 2*time.Second)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 4)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}, Timeout: exchangeFor}
	fmt.Fprintf(cfg.Out, "%-28s %10s %8s %9s %9s %10s %12s\n", "shape", "total", "requests", "p50", "p99", "req/s", "cpu µs/req")
	var results []ShapeResult
	for _, s := range shapes(&cfg) {
		if cfg.Only != "" && !strings.Contains(s.name, cfg.Only) {
			continue
		}
		r, err := runShape(ctx, client, &cfg, s)
		if err != nil {
			return results, fmt.Errorf("%s: %w", s.name, err)
		}
		cpu := "-"
		if r.CPU > 0 {
			cpu = strconv.FormatInt(r.CPU.Microseconds(), 10)
		}
		fmt.Fprintf(cfg.Out, "%-28s %10d %8d %9s %9s %10.0f %12s\n", r.Name, r.Total, r.Requests,
			r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Rate, cpu)
		results = append(results, *r)
	}
	if cfg.Pid > 0 {
		rss, err := ResidentMemory(cfg.Pid)
		if err != nil {
			return results, err
		}
		fmt.Fprintf(cfg.Out, "server resident memory (VmRSS of pid %d): %d MiB\n", cfg.Pid, rss>>20)
	}
	return results, nil
}

// shape is one filter shape through one dialect: a request maker and the
// reader of the exact total in its answer.
type shape struct {
	name  string
	req   func(ctx context.Context) (*http.Request, error)
	total func(body []byte) (int, error)
}

func runShape(ctx context.Context, client *http.Client, cfg *QueryConfig, s shape) (*ShapeResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(cfg.Duration)
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	total := -1
	var wg sync.WaitGroup
	start := time.Now()
	cpu0, cpuKnown := processCPU()
	for range cfg.Concurrency {
		wg.Go(func() {
			r := &requester{client: client}
			defer r.close()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				n, err := r.do(ctx, s)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil && first == nil:
					first = err
					cancel()
				case err == nil:
					lat = append(lat, d)
					total = n
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	if first != nil {
		return nil, first
	}
	slices.Sort(lat)
	r := &ShapeResult{Name: s.name, Total: total, Requests: len(lat), P50: quantile(lat, 0.50),
		P99: quantile(lat, 0.99), Rate: float64(len(lat)) / elapsed.Seconds()}
	if cpuKnown && len(lat) > 0 {
		r.CPU = (cpu1 - cpu0) / time.Duration(len(lat))
	}
	return r, nil
}

// requester sends one request at a time, each over the connection it keeps
// alive, with the standard library's writer and parser of HTTP/1.1
// (Request.Write, ReadResponse): the client's Transport runs two goroutines
// per connection and hands each request and answer between them, about a
// tenth of the shared machine's CPU in a per-instance run, which the server
// under test then lacks. An https endpoint goes through the client.
type requester struct {
	client *http.Client
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
}

func (r *requester) do(ctx context.Context, s shape) (int, error) {
	req, err := s.req(ctx)
	if err != nil {
		return 0, err
	}
	status, body, err := r.roundTrip(req)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %s", status, bytes.TrimSpace(body))
	}
	return s.total(body)
}

// roundTrip sends req and reads its whole answer. A connection the server
// closed while it was idle fails the next write or read; the request is
// then sent once more over a new connection.
func (r *requester) roundTrip(req *http.Request) (int, []byte, error) {
	if req.URL.Scheme != "http" {
		resp, err := r.client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}
	for retry := true; ; retry = false {
		reused := r.conn != nil
		if !reused {
			var d net.Dialer
			conn, err := d.DialContext(req.Context(), "tcp", req.URL.Host)
			if err != nil {
				return 0, nil, err
			}
			r.conn, r.br, r.bw = conn, bufio.NewReader(conn), bufio.NewWriter(conn)
		}
		status, body, err := r.exchange(req)
		if err == nil {
			return status, body, nil
		}
		r.close()
		if !reused || !retry || req.GetBody == nil && req.Body != nil {
			return 0, nil, err
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return 0, nil, err
			}
		}
	}
}

// exchangeFor bounds one request and its answer, as the client's Timeout
// does for https.
const exchangeFor = time.Minute

func (r *requester) exchange(req *http.Request) (int, []byte, error) {
	if err := r.conn.SetDeadline(time.Now().Add(exchangeFor)); err != nil {
		return 0, nil, err
	}
	if err := req.Write(r.bw); err != nil {
		return 0, nil, err
	}
	if err := r.bw.Flush(); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(r.br, req)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, nil, err
	}
	if resp.Close {
		r.close()
	}
	return resp.StatusCode, body, nil
}

func (r *requester) close() {
	if r.conn != nil {
		r.conn.Close()
		r.conn = nil
	}
}

// quantile returns the q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// ResidentMemory returns the VmRSS of a process, in bytes, from /proc.
func ResidentMemory(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// The totals of the dialects' answers. The load generator shares the
// machine with the server it measures, so it reads an answer token by token
// only as far as its total: the members before it on the total's path are
// skipped, those after it are not read at all. Decoding the whole answer
// into a struct of the total alone, which validates all of it first and
// then skips it, was 12% of the CPU of a per-instance run at 10M. A total
// that ends the answer, as the native and Huawei lists' do, is read from
// the end (lastMember): skipping the page before it token by token was
// 15-22% of the CPU of those shapes.

func tencentTotal(body []byte) (int, error) { return totalAt(body, "Response", "TotalCount") }

func nativeTotal(body []byte) (int, error) { return totalAt(body, "total") }

func huaweiTotal(body []byte) (int, error) { return totalAt(body, "total_count") }

// totalAt reads the integer at path, a member of an object in each object
// before it: an answer without an integer there is an error, not a total
// of 0.
func totalAt(body []byte, path ...string) (int, error) {
	if len(path) == 1 {
		if n, ok := lastMember(body, path[0]); ok {
			return n, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	fail := func() (int, error) {
		return 0, fmt.Errorf("no %s in %.200s", strings.Join(path, "."), body)
	}
	for _, key := range path {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return fail()
		}
		for {
			tok, err := dec.Token()
			name, ok := tok.(string)
			if err != nil || !ok {
				return fail()
			}
			if name == key {
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail()
			}
		}
	}
	tok, err := dec.Token()
	num, ok := tok.(json.Number)
	if err != nil || !ok {
		return fail()
	}
	n, err := strconv.Atoi(num.String())
	if err != nil {
		return fail()
	}
	return n, nil
}

// lastMember reads the value of the member key when it ends the object
// body and is a non-negative integer: `"key": 123}` at its end, after a
// comma or the object's opening brace. In JSON that member can only be the
// outermost object's, as a string's quotes inside it are escaped; the
// members before it are not read. Anything else is not found, for totalAt
// to read token by token.
func lastMember(body []byte, key string) (int, bool) {
	const space = " \t\r\n"
	b, ok := bytes.CutSuffix(bytes.TrimRight(body, space), []byte("}"))
	if !ok {
		return 0, false
	}
	b = bytes.TrimRight(b, space)
	digits := len(b) - len(bytes.TrimRight(b, "0123456789"))
	if digits == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[len(b)-digits:]))
	b = bytes.TrimRight(b[:len(b)-digits], space)
	if err != nil {
		return 0, false
	}
	if b, ok = bytes.CutSuffix(b, []byte(":")); !ok {
		return 0, false
	}
	if b, ok = bytes.CutSuffix(bytes.TrimRight(b, space), []byte(`"`+key+`"`)); !ok {
		return 0, false
	}
	b = bytes.TrimRight(b, space)
	if len(b) == 0 || b[len(b)-1] != ',' && b[len(b)-1] != '{' {
		return 0, false
	}
	return n, true
}
