// Package api is the native REST API of taskcenter on /api/v1: JSON over
// HTTP, bearer tokens with roles, every answer scoped to the caller's tenant.
// It decodes requests, calls the taskcenter.Service and encodes the answers.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/strictjson"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Handler serves the native API.
type Handler struct {
	svc       tc.Service
	logger    *slog.Logger
	mux       *http.ServeMux
	watcher   tc.TaskWatcher
	keepalive time.Duration
	tickets   *tickets
}

// Option configures a Handler.
type Option func(*Handler)

// WithWatcher serves GET /api/v1/events from w (the engine's Feed); without
// it the stream answers 503.
func WithWatcher(w tc.TaskWatcher) Option { return func(h *Handler) { h.watcher = w } }

// WithHeartbeat sets how often an idle event stream sends a comment;
// HeartbeatInterval by default.
func WithHeartbeat(d time.Duration) Option { return func(h *Handler) { h.keepalive = d } }

// WithSharedTickets keeps the event stream tickets in s, a store that every
// replica shares, instead of the process: a stream may then be opened on
// another replica than the one that issued its ticket.
func WithSharedTickets(s tc.TicketStore) Option { return func(h *Handler) { h.tickets.shared = s } }

// Route is one operation of the API, as registered and as documented.
type Route struct {
	Method, Path string
	Role         tc.Role // the least role allowed; "" for no authentication
}

// NewHandler returns the native API over svc.
func NewHandler(svc tc.Service, logger *slog.Logger, opts ...Option) *Handler {
	h := &Handler{svc: svc, logger: logger, mux: http.NewServeMux(), keepalive: HeartbeatInterval, tickets: newTickets()}
	for _, o := range opts {
		o(h)
	}
	// paths matches by path alone, to tell a wrong method (405) from an
	// unknown path (404) in the catch-all below.
	paths := http.NewServeMux()
	methods := map[string][]string{}
	for _, r := range h.routes() {
		h.mux.Handle(r.Method+" "+r.Path, h.authorize(r.Role, r.ticket, r.fn))
		if methods[r.Path] == nil {
			paths.Handle(r.Path, http.NotFoundHandler())
		}
		methods[r.Path] = append(methods[r.Path], r.Method)
	}
	h.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := paths.Handler(r); pattern != "" {
			allow := strings.Join(methods[pattern], ", ")
			w.Header().Set("Allow", allow)
			h.writeError(w, r, tc.Errorf(EMETHOD, "%s %s is not allowed; use %s", r.Method, r.URL.Path, allow))
			return
		}
		h.writeError(w, r, tc.Errorf(tc.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
	})
	return h
}

type route struct {
	Route
	fn func(w http.ResponseWriter, r *http.Request) error
	// ticket accepts a stream ticket as the ticket parameter instead of the
	// Authorization header, for browsers' EventSource, which cannot send
	// one. The access log records the path only, never the query.
	ticket bool
}

func (h *Handler) routes() []route {
	return []route{
		{Route{"GET", "/api/v1/openapi.json", ""}, h.openAPI, false},
		{Route{"PUT", "/api/v1/instances/{id}", tc.RoleOperator}, h.putInstance, false},
		{Route{"GET", "/api/v1/instances/{id}", tc.RoleReader}, h.getInstance, false},
		{Route{"GET", "/api/v1/instances", tc.RoleReader}, h.listInstances, false},
		{Route{"POST", "/api/v1/tasks", tc.RoleOperator}, h.submitTask, false},
		{Route{"POST", "/api/v1/tasks/batch", tc.RoleOperator}, h.submitTasks, false},
		{Route{"GET", "/api/v1/tasks", tc.RoleReader}, h.listTasks, false},
		{Route{"GET", "/api/v1/tasks/counts", tc.RoleReader}, h.countTasks, false},
		{Route{"GET", "/api/v1/tasks/{id}", tc.RoleReader}, h.getTask, false},
		{Route{"GET", "/api/v1/tasks/{id}/events", tc.RoleReader}, h.taskEvents, false},
		{Route{"POST", "/api/v1/tasks/{id}/cancel", tc.RoleOperator}, h.cancelTask, false},
		{Route{"POST", "/api/v1/tasks/{id}/pause", tc.RoleOperator}, h.pauseTask, false},
		{Route{"POST", "/api/v1/tasks/{id}/resume", tc.RoleOperator}, h.resumeTask, false},
		{Route{"GET", "/api/v1/types", tc.RoleReader}, h.listTypes, false},
		{Route{"PUT", "/api/v1/types/{key}", tc.RoleAdmin}, h.putType, false},
		{Route{"POST", "/api/v1/credentials", tc.RoleOperator}, h.createCredential, false},
		{Route{"POST", "/api/v1/workers/claim", tc.RoleWorker}, h.claimTasks, false},
		{Route{"POST", "/api/v1/tasks/{id}/heartbeat", tc.RoleWorker}, h.heartbeat, false},
		{Route{"POST", "/api/v1/tasks/{id}/complete", tc.RoleWorker}, h.completeTask, false},
		{Route{"POST", "/api/v1/tasks/{id}/fail", tc.RoleWorker}, h.failTask, false},
		{Route{"POST", "/api/v1/tasks/{id}/release", tc.RoleWorker}, h.releaseTask, false},
		{Route: Route{"GET", "/api/v1/events", tc.RoleReader}, fn: h.events, ticket: true},
		{Route{"POST", "/api/v1/events/tickets", tc.RoleReader}, h.createTicket, false},
		{Route{"GET", "/api/v1/whoami", tc.RoleReader}, h.whoami, false},
	}
}

// Routes lists the operations the handler serves.
func (h *Handler) Routes() []Route {
	var out []Route
	for _, r := range h.routes() {
		out = append(out, r.Route)
	}
	return out
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// authorize authenticates the bearer token, checks the role and runs fn,
// writing any error it returns.
func (h *Handler) authorize(need tc.Role, ticket bool, fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if need != "" {
			cred, bound, err := h.authenticate(r, ticket)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			if !cred.Role.Can(need) {
				h.writeError(w, r, tc.Errorf(tc.EFORBIDDEN, "a %s token cannot do this; it needs %s", cred.Role, need))
				return
			}
			ctx := tc.WithCredential(r.Context(), cred)
			if bound != nil {
				ctx = context.WithValue(ctx, ticketTenantKey{}, *bound)
			}
			r = r.WithContext(ctx)
		}
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// authenticate returns the caller's credential: from the bearer token, or
// on a route that takes one and without an Authorization header, from a
// stream ticket, with the tenant the ticket binds the request to.
func (h *Handler) authenticate(r *http.Request, ticket bool) (*tc.Credential, *string, error) {
	header := r.Header.Get("Authorization")
	if ticket && header == "" && r.URL.Query().Has("ticket") {
		cred, tenant, err := h.ticketCredential(r, r.URL.Query().Get("ticket"))
		return cred, &tenant, err
	}
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return nil, nil, tc.Errorf(tc.EUNAUTHORIZED, "an Authorization: Bearer token is required")
	}
	cred, err := h.svc.Authenticate(r.Context(), tc.KindNative, strings.TrimSpace(token))
	return cred, nil, err
}

// ticketTenantKey marks a request authenticated by a stream ticket; its
// value is the tenant the ticket was issued for.
type ticketTenantKey struct{}

// tenantOf returns the tenant a request acts on: the caller's own, or for an
// administrator the one named (AllTenants when none is named and all is true).
func tenantOf(r *http.Request, named string, all bool) (string, error) {
	cred := tc.CredentialFrom(r.Context())
	if cred.Role != tc.RoleAdmin {
		if named != "" && named != cred.Tenant {
			return "", tc.Errorf(tc.EFORBIDDEN, "this token belongs to another tenant than %q", named)
		}
		return cred.Tenant, nil
	}
	if named != "" {
		return named, tc.ValidateTenant(named)
	}
	if all {
		return tc.AllTenants, nil
	}
	return "", tc.Invalidf("tenant", "tenant is required with an admin token")
}

// actor names the caller in task histories.
func actor(r *http.Request) string {
	if c := tc.CredentialFrom(r.Context()); c != nil {
		return c.ID
	}
	return ""
}

// decode reads a JSON body into v, refusing unknown fields, trailing data
// and bodies over MaxBodyBytes, with an error that names the problem.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(body) {
		return tc.Invalidf("body", "the body must be valid UTF-8")
	}
	// encoding/json would keep the last of two members of one name.
	if name, dup := strictjson.DuplicateKey(body); dup {
		return tc.Invalidf(name, "%q is given more than once", name)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return tc.Invalidf("body", "the body must hold one JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return tc.Invalidf("body", "the body must hold one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		typeErr *json.UnmarshalTypeError
		syntax  *json.SyntaxError
		tooBig  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &typeErr):
		return tc.Invalidf(typeErr.Field, "%s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntax):
		return tc.Invalidf("body", "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &tooBig):
		return tooLarge{tc.Invalidf("body", "the body must be at most %d bytes", MaxBodyBytes)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return tc.Invalidf("body", "the body must hold one JSON object")
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return tc.Invalidf(field, "unknown field %q", field)
	}
	var tErr *time.ParseError
	if errors.As(err, &tErr) {
		return tc.Invalidf("body", "times must be RFC 3339, like 2026-01-02T15:04:05Z")
	}
	return tc.Invalidf("body", "malformed JSON: %v", err)
}

// tooLarge marks the EINVALID error of an oversized body, answered with 413.
type tooLarge struct{ err *tc.Error }

func (e tooLarge) Error() string { return e.err.Error() }
func (e tooLarge) Unwrap() error { return e.err }

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// EMETHOD is the code of a known path called with the wrong method; it is
// particular to HTTP, so it lives here rather than among the domain's codes.
const EMETHOD = "method_not_allowed"

// statusOf maps error codes to HTTP statuses, in one table.
var statusOf = map[string]int{
	EMETHOD:          http.StatusMethodNotAllowed,
	tc.EINVALID:      http.StatusBadRequest,
	tc.EUNAUTHORIZED: http.StatusUnauthorized,
	tc.EFORBIDDEN:    http.StatusForbidden,
	tc.ENOTFOUND:     http.StatusNotFound,
	tc.ECONFLICT:     http.StatusConflict,
	tc.ERATELIMIT:    http.StatusTooManyRequests,
	tc.EUNAVAILABLE:  http.StatusServiceUnavailable,
	tc.EINTERNAL:     http.StatusInternalServerError,
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := tc.ErrorCode(err)
	if code == tc.EINTERNAL || code == tc.EUNAVAILABLE {
		h.logger.ErrorContext(r.Context(), "request failed", "err", err)
	}
	status := statusOf[code]
	if errors.As(err, new(tooLarge)) {
		status = http.StatusRequestEntityTooLarge
	}
	if code == tc.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="taskcenter"`)
	}
	_ = writeJSON(w, status, ErrorBody{Error: *errorDetail(err)})
}

func errorDetail(err error) *ErrorDetail {
	return &ErrorDetail{Code: tc.ErrorCode(err), Message: tc.ErrorMessage(err), Field: tc.ErrorField(err)}
}
