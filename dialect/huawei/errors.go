package huawei

import (
	"encoding/json"
	"net/http"

	tc "github.com/taskcenter/taskcenter"
)

// Fields that refine an error's code in errorTable. Most are the query
// parameter at fault; fieldTimeFormat and fieldRoute are not parameters.
const (
	fieldStartTime  = "start_time"
	fieldEndTime    = "end_time"
	fieldTimeFormat = "time_format" // start_time or end_time not in yyyy-mm-ddThh:mm:ssZ
	fieldLimit      = "limit"
	fieldOffset     = "offset"
	fieldRoute      = "route" // with ENOTFOUND: no such API, rather than no such task
)

type errorKey struct{ code, field string }

// errorEntry is how one kind of failure looks on the wire. Gateway errors are
// those API Gateway answers before the service is reached; their body also
// carries the request id.
type errorEntry struct {
	status  int
	code    string
	gateway bool
}

// errorTable is the one mapping of taskcenter errors to Huawei statuses and
// error codes (spec/huawei.md section 2). An entry with a field is preferred
// over the entry of the bare code; a code missing here is a server error.
var errorTable = map[errorKey]errorEntry{
	{tc.EINVALID, ""}:              {http.StatusBadRequest, "DBS.200001", false}, // Parameter error.
	{tc.EINVALID, fieldStartTime}:  {http.StatusBadRequest, "DBS.280067", false}, // Invalid start time.
	{tc.EINVALID, fieldEndTime}:    {http.StatusBadRequest, "DBS.280068", false}, // Invalid end time.
	{tc.EINVALID, fieldTimeFormat}: {http.StatusBadRequest, "DBS.280409", false}, // Invalid date.
	{tc.EINVALID, fieldLimit}:      {http.StatusBadRequest, "DBS.280439", false}, // Invalid limit.
	{tc.EINVALID, fieldOffset}:     {http.StatusBadRequest, "DBS.280440", false}, // Invalid offset.
	{tc.ENOTFOUND, ""}:             {http.StatusBadRequest, "DBS.280016", false}, // Resource not found.
	{tc.EFORBIDDEN, ""}:            {http.StatusForbidden, "DBS.280032", false},  // You do not have permission...
	{tc.EUNAUTHORIZED, ""}:         {http.StatusUnauthorized, "APIG.0301", true}, // Incorrect IAM authentication information
	{tc.ENOTFOUND, fieldRoute}:     {http.StatusNotFound, "APIG.0101", true},     // The API does not exist...
	{tc.ERATELIMIT, ""}:            {http.StatusTooManyRequests, "APIG.0308", true},
	{tc.EINTERNAL, ""}:             {http.StatusInternalServerError, "DBS.280005", false},
	{tc.EUNAVAILABLE, ""}:          {http.StatusInternalServerError, "DBS.280005", false},
}

// serverErrorMessage is the text of DBS.280005; a fault's own text stays in the log.
const serverErrorMessage = "Server error. Try again later."

// errorBody is the Huawei error envelope; the SDK reads error_code and
// error_msg into sdkerr.ServiceResponseError.
type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id,omitempty"`
}

// entryOf looks err up in errorTable.
func entryOf(err error) errorEntry {
	code := tc.ErrorCode(err)
	if e, ok := errorTable[errorKey{code, tc.ErrorField(err)}]; ok {
		return e
	}
	if e, ok := errorTable[errorKey{code, ""}]; ok {
		return e
	}
	return errorTable[errorKey{tc.EINTERNAL, ""}]
}

// writeError answers err in the Huawei envelope. The X-Request-Id header set
// by the server stays on the answer.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := entryOf(err)
	body := errorBody{ErrorCode: e.code, ErrorMsg: tc.ErrorMessage(err)}
	if e.status >= http.StatusInternalServerError {
		h.opts.Logger.ErrorContext(r.Context(), "huawei request failed", "err", err)
		body.ErrorMsg = serverErrorMessage
	} else {
		h.opts.Logger.DebugContext(r.Context(), "huawei request refused", "status", e.status, "error_code", e.code, "reason", body.ErrorMsg)
	}
	if e.gateway {
		body.RequestID = tc.RequestID(r.Context())
	}
	writeJSON(w, e.status, body)
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
