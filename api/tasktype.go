package api

import (
	"net/http"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// maxTimeoutSeconds bounds the timeouts callers may set: a week.
const maxTimeoutSeconds = 7 * 24 * 3600

func (h *Handler) listTypes(w http.ResponseWriter, r *http.Request) error {
	if _, err := newQuery(r); err != nil {
		return err
	}
	types, err := h.svc.TaskTypes(r.Context())
	if err != nil {
		return err
	}
	out := TaskTypeList{Types: []TaskType{}}
	for _, t := range types {
		out.Types = append(out.Types, FromTaskType(t))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) putType(w http.ResponseWriter, r *http.Request) error {
	var body PutTaskType
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Builtin {
		return tc.Invalidf("builtin", "builtin is read-only: only the built-in types are built in")
	}
	if body.Key != "" && body.Key != r.PathValue("key") {
		return tc.Invalidf("key", "key in the body differs from the path")
	}
	if body.TimeoutSeconds < 0 || body.TimeoutSeconds > maxTimeoutSeconds {
		return tc.Invalidf("timeout_seconds", "timeout_seconds must be between 0 and %d", maxTimeoutSeconds)
	}
	t := tc.TaskType{
		Key: r.PathValue("key"), TencentCode: body.TencentCode, Description: body.Description,
		Exclusive: body.Exclusive == nil || *body.Exclusive, Timeout: time.Duration(body.TimeoutSeconds) * time.Second,
		MaxAttempts: body.MaxAttempts,
	}
	if err := h.svc.PutTaskType(r.Context(), &t); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTaskType(t))
}
