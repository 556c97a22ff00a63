package taskcenter

import (
	"errors"
	"fmt"
)

// Error codes. Every failure that crosses a package boundary carries one of them;
// each transport maps them to its own status codes in one table.
const (
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EINTERNAL     = "internal"     // a fault of the server or its store
	EINVALID      = "invalid"      // bad input; Field names the culprit
	ENOTFOUND     = "not_found"    // no such thing visible to the caller
	EUNAUTHORIZED = "unauthorized" // missing or bad credentials
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed
	ERATELIMIT    = "rate_limited" // too many requests
	EUNAVAILABLE  = "unavailable"  // the store cannot be reached right now
)

// Error is the one error type of taskcenter. Code is one of the E* constants,
// Field names the input that caused an EINVALID error, and Message is safe to
// show to the caller.
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("taskcenter: %s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("taskcenter: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID *Error that names the offending field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the message of an
// *Error, and a generic text for anything else so internals never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by an EINVALID error, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrNotFound is the error the stores return when a row does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
