package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
	"github.com/taskcenter/taskcenter/server"
)

// open opens an event stream with the query alone, and returns its status.
func (e *env) open(query string) int {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+"/api/v1/events?"+query, nil)
	require.NoError(e.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// sseMessage is one message of an event stream.
type sseMessage struct {
	ID, Event string
	Change    api.TaskChange
}

// ticket asks for a stream ticket with token, for tenant when not "".
func (e *env) ticket(token, tenant string) string {
	e.t.Helper()
	path := "/api/v1/events/tickets"
	if tenant != "" {
		path += "?tenant=" + tenant
	}
	var out api.StreamTicket
	e.call(token, "POST", path, nil, 201, &out)
	require.NotEmpty(e.t, out.Ticket)
	require.WithinDuration(e.t, time.Now().Add(api.TicketTTL), out.ExpiresAt, 5*time.Second)
	return out.Ticket
}

// stream opens GET /api/v1/events with a ticket of token in the query, as
// the console does, and returns its messages as they arrive. A query
// naming a tenant asks for the ticket of that tenant.
func (e *env) stream(token, query, lastID string) <-chan sseMessage {
	e.t.Helper()
	q, err := url.ParseQuery(strings.TrimPrefix(query, "&"))
	require.NoError(e.t, err)
	ticket := e.ticket(token, q.Get("tenant"))
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+"/api/v1/events?ticket="+ticket+query, nil)
	require.NoError(e.t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	require.Equal(e.t, 200, resp.StatusCode)
	require.Equal(e.t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseMessage, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.Event != "" {
					out <- m
				}
				m = sseMessage{}
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Event = line[7:]
			case strings.HasPrefix(line, "data: ") && m.Event == "task":
				_ = json.Unmarshal([]byte(line[6:]), &m.Change)
			}
		}
	}()
	return out
}

// next waits for the next message of a stream.
func next(t *testing.T, msgs <-chan sseMessage) sseMessage {
	t.Helper()
	select {
	case m, ok := <-msgs:
		require.True(t, ok, "the stream ended")
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return sseMessage{}
}

// none requires that no message arrives on a stream before a marker does on
// another of the same feed: both read the same changes in the same order.
func none(t *testing.T, msgs <-chan sseMessage) {
	t.Helper()
	select {
	case m := <-msgs:
		t.Fatalf("unexpected message %+v", m)
	default:
	}
}

func TestEventsStreamTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	streamA := e.stream(e.readA, "", "")
	streamB := e.stream(e.readB, "", "")
	streamAdminB := e.stream(e.admin, "&tenant=tb", "")

	a := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	m := next(t, streamA)
	require.Equal(t, "task", m.Event)
	require.Equal(t, a.ID, m.Change.Task.ID)
	require.Equal(t, "ta", m.Change.Task.Tenant)
	require.Equal(t, m.ID, jsonInt(m.Change.Seq))

	b := e.submit(e.opB, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-b1"}})
	for _, s := range []<-chan sseMessage{streamB, streamAdminB} {
		m := next(t, s)
		require.Equal(t, b.ID, m.Change.Task.ID, "tb's streams see tb's task first: never ta's")
		require.Equal(t, "tb", m.Change.Task.Tenant)
	}
	e.call(e.opA, "POST", "/api/v1/tasks/"+jsonInt(a.ID)+"/cancel", nil, 200, nil)
	m = next(t, streamA)
	require.Equal(t, tc.StatusKilled, m.Change.To)
	require.Equal(t, tc.StatusKilled, m.Change.Task.Status)
	e.call(e.opB, "POST", "/api/v1/tasks/"+jsonInt(b.ID)+"/cancel", nil, 200, nil)
	require.Equal(t, tc.StatusKilled, next(t, streamB).Change.To)
	none(t, streamA)
	none(t, streamB)

	code, _ := e.raw(e.readA, "GET", "/api/v1/events?tenant=tb", nil)
	require.Equal(t, 403, code, "a tenant's token cannot name another tenant")
	require.NotContains(t, e.logs.String(), e.readA, "the token never reaches the log")
}

// TestEventsStreamTickets: the stream takes a ticket once, within its
// time, bound to the tenant it was issued for; never a token in the query.
func TestEventsStreamTickets(t *testing.T) {
	t.Parallel()
	e := setup(t)
	open := e.open
	ticket := e.ticket(e.readA, "")
	require.Equal(t, 200, open("ticket="+ticket))
	require.Equal(t, 401, open("ticket="+ticket), "a ticket opens one stream")
	require.Equal(t, 401, open("ticket="), "an empty ticket")
	require.Equal(t, 401, open("ticket=AAAA"), "a made-up ticket")
	require.Equal(t, 401, open("access_token="+e.readA), "the token in the query is not taken any more")
	require.Equal(t, 403, open("tenant=tb&ticket="+e.ticket(e.readA, "")), "a tenant's ticket cannot name another")
	e.call(e.readA, "POST", "/api/v1/events/tickets?tenant=tb", nil, 403, nil)
	e.call("", "POST", "/api/v1/events/tickets", nil, 401, nil)

	// An administrator's ticket for tb shows tb only, whatever the stream
	// names: naming ta is refused, naming nothing is tb.
	require.Equal(t, 403, open("tenant=ta&ticket="+e.ticket(e.admin, "tb")))
	adminB := e.ticket(e.admin, "tb")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+"/api/v1/events?ticket="+adminB, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, 200, resp.StatusCode)
	e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	b := e.submit(e.opB, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-b1"}})
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var c api.TaskChange
			require.NoError(t, json.Unmarshal([]byte(line), &c))
			require.Equal(t, b.ID, c.Task.ID, "ta's task, submitted first, is not shown")
			break
		}
	}

	// Unused tickets are bounded per credential.
	for range 16 {
		e.call(e.readB, "POST", "/api/v1/events/tickets", nil, 201, nil)
	}
	e.call(e.readB, "POST", "/api/v1/events/tickets", nil, 429, nil)
	require.NotContains(t, e.logs.String(), ticket, "tickets never reach the log")

	// And per tenant: ta's operator, however many credentials it makes,
	// cannot take the tickets of tb or of the administrators.
	for range 512 / 16 {
		reader := e.credential(e.opA, "", tc.RoleReader)
		for range 16 {
			e.call(reader, "POST", "/api/v1/events/tickets", nil, 201, nil)
		}
	}
	e.call(e.credential(e.opA, "", tc.RoleReader), "POST", "/api/v1/events/tickets", nil, 429, nil)
	e.call(e.credential(e.opB, "", tc.RoleReader), "POST", "/api/v1/events/tickets", nil, 201, nil)
	e.call(e.admin, "POST", "/api/v1/events/tickets", nil, 201, nil)
}

func TestEventsStreamFiltersAndResume(t *testing.T) {
	t.Parallel()
	e := setup(t)
	onA2 := e.stream(e.readA, "&instance_id=cdb-a2", "")
	killed := e.stream(e.readA, "&status=KILLED", "")
	all := e.stream(e.readA, "", "")

	t1 := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a1"}})
	first := next(t, all)
	t2 := e.submit(e.opA, api.SubmitTask{Type: "REBOOT", InstanceIDs: []string{"cdb-a2"}})
	require.Equal(t, t2.ID, next(t, onA2).Change.Task.ID, "the instance filter skips cdb-a1's task")
	require.Equal(t, t2.ID, next(t, all).Change.Task.ID)
	e.call(e.opA, "POST", "/api/v1/tasks/"+jsonInt(t1.ID)+"/cancel", nil, 200, nil)
	m := next(t, killed)
	require.Equal(t, t1.ID, m.Change.Task.ID, "the status filter passes the change to KILLED only")
	require.Equal(t, tc.StatusKilled, next(t, all).Change.To)
	none(t, onA2)

	// A reconnect with Last-Event-ID replays what came after it.
	resumed := e.stream(e.readA, "", first.ID)
	require.Equal(t, t2.ID, next(t, resumed).Change.Task.ID)
	again := next(t, resumed)
	require.Equal(t, t1.ID, again.Change.Task.ID)
	require.Equal(t, tc.StatusKilled, again.Change.To)

	code, body := e.apiError(e.readA, "GET", "/api/v1/events?limit=3", nil)
	require.Equal(t, 400, code)
	require.Equal(t, "limit", body.Field)
	// An id names the stream's seq, then the seqs below it not stored yet.
	for _, id := range []string{"x", "12.13", "12.5.4", "12.9-3"} {
		code, body = e.apiError(e.readA, "GET", "/api/v1/events?last_event_id="+id, nil)
		require.Equal(t, 400, code, id)
		require.Equal(t, "last_event_id", body.Field, id)
	}
}

func TestWhoami(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var who api.Whoami
	e.call(e.readA, "GET", "/api/v1/whoami", nil, 200, &who)
	require.Equal(t, "ta", who.Tenant)
	require.Equal(t, tc.RoleReader, who.Role)
	require.Equal(t, tc.KindNative, who.Kind)
	require.NotEmpty(t, who.ID)
	e.call(e.admin, "GET", "/api/v1/whoami", nil, 200, &who)
	require.Equal(t, tc.RoleAdmin, who.Role)
	require.Empty(t, who.Tenant)
	code, _ := e.raw("", "GET", "/api/v1/whoami?access_token="+e.readA, nil)
	require.Equal(t, 401, code, "the query token is for the event stream only")
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// replica serves the native API on e's service as another replica would,
// with its own feed and the stream tickets kept in the shared store.
func (e *env) replica(t *testing.T, shared tc.TicketStore) *env {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	feed := e.svc.NewFeed(engine.FeedConfig{Logger: logger})
	feed.Start(context.Background())
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry(), Ready: e.svc.Ping})
	srv.Handle("/api/v1/", api.NewHandler(e.svc, logger, api.WithWatcher(feed), api.WithSharedTickets(shared)))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(feed.Stop)
	r := *e
	r.url = hs.URL
	return &r
}

// TestEventsStreamTicketsShared: with the tickets in a store the replicas
// share, a ticket issued by one opens a stream on another, once; the
// bound on unused tickets counts those of every replica.
func TestEventsStreamTicketsShared(t *testing.T) {
	t.Parallel()
	e := setup(t)
	pg, err := postgres.Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close() })
	require.NoError(t, pg.Migrate(context.Background()))
	a, b := e.replica(t, pg), e.replica(t, pg)
	ticket := a.ticket(e.readA, "")
	require.Equal(t, 200, b.open("ticket="+ticket), "issued by a, spent on b")
	require.Equal(t, 401, a.open("ticket="+ticket), "once")
	require.Equal(t, 401, b.open("ticket="+ticket))
	require.Equal(t, 403, b.open("tenant=tb&ticket="+a.ticket(e.admin, "ta")), "bound to its tenant on b too")

	for range 8 {
		a.call(e.readB, "POST", "/api/v1/events/tickets", nil, 201, nil)
		b.call(e.readB, "POST", "/api/v1/events/tickets", nil, 201, nil)
	}
	a.call(e.readB, "POST", "/api/v1/events/tickets", nil, 429, nil)
	b.call(e.readB, "POST", "/api/v1/events/tickets", nil, 429, nil)
}
