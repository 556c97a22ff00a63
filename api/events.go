package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// HeartbeatInterval is how often an idle event stream sends a comment, so
// that proxies keep it open and clients notice a dead connection.
const HeartbeatInterval = 15 * time.Second

// streamWriteTimeout bounds one write to a stream: a client that stops
// reading is dropped instead of holding the handler forever.
const streamWriteTimeout = 30 * time.Second

// streamChunk is about the most a stream holds before it writes.
const streamChunk = 64 << 10

// events streams the changes of the caller's tenant's tasks as server-sent
// events: "task" messages whose id is the stream's cursor after them (so a
// reconnect's Last-Event-ID resumes there: tc.EventCursor), heartbeat comments, and a final "reset"
// when the stream cannot go on without the client reloading. It ends when
// the client leaves or the server shuts down (the feed stops).
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant", "instance_id", "type*", "status*", "async_request_id",
		"created_after", "created_before", "ticket", "last_event_id")
	if err != nil {
		return err
	}
	f, err := h.taskFilter(r, q)
	if err != nil {
		return err
	}
	// A ticket shows the tenant it was issued for, and no other.
	if bound, ok := r.Context().Value(ticketTenantKey{}).(string); ok {
		if named := q.get("tenant"); named != "" && named != bound {
			return tc.Errorf(tc.EFORBIDDEN, "this ticket was issued for another tenant than %q", named)
		}
		f.Tenant = bound
	}
	// last_event_id is Last-Event-ID for a client that opens a new stream
	// (with a new ticket) rather than letting EventSource reconnect.
	var after tc.EventCursor
	for _, in := range []struct{ name, value string }{
		{"Last-Event-ID", r.Header.Get("Last-Event-ID")}, {"last_event_id", q.get("last_event_id")},
	} {
		if id := strings.TrimSpace(in.value); id != "" {
			if after, err = tc.ParseEventCursor(id); err != nil {
				return tc.Invalidf(in.name, "%s must be an id this stream sent", in.name)
			}
			break
		}
	}
	if h.watcher == nil {
		return tc.Errorf(tc.EUNAVAILABLE, "the event stream is not enabled on this server")
	}
	watch, err := h.watcher.WatchTasks(r.Context(), &tc.WatchParams{Filter: *f, After: after})
	if err != nil {
		return err
	}
	defer watch.Close()

	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise end the stream: its
	// deadline covers the connection's background read as well.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(msg string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := fmt.Fprint(w, msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n: connected\n\n") {
		return nil
	}
	heartbeat := time.NewTicker(h.keepalive)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-heartbeat.C:
			if !send(": heartbeat\n\n") {
				return nil
			}
		case <-watch.Ready():
			changes, err := watch.Next()
			if err != nil {
				send("event: reset\ndata: " + mustJSON(ErrorDetail{Code: tc.ErrorCode(err), Message: tc.ErrorMessage(err)}) + "\n\n")
				return nil
			}
			// Sent in parts of about streamChunk bytes: a replay of many
			// large tasks would otherwise be held in memory whole.
			var b strings.Builder
			for i, c := range changes {
				fmt.Fprintf(&b, "id: %s\nevent: task\ndata: %s\n\n", c.Cursor, mustJSON(FromTaskChange(c)))
				if b.Len() >= streamChunk || i == len(changes)-1 {
					if !send(b.String()) {
						return nil
					}
					b.Reset()
				}
			}
		}
	}
}

// mustJSON encodes v on one line, as an event's data must be.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only wire types of this package are encoded
	}
	return string(b)
}
