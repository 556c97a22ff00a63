package qcloud

import (
	"fmt"

	tc "github.com/taskcenter/taskcenter"
)

// The codes of the {code, message, codeDesc} envelope: the common codes of
// API 2.0 (4000 to 6000) and the business codes of GetCdbRollbackJob (9xxx).
const (
	codeSuccess                 = 0
	codeInvalidParameter        = 4000 // a required parameter is missing or malformed
	codeAuthFailure             = 4100 // the signature does not match
	codeUnauthorizedAPI         = 4101 // the key may not call this API
	codeUnauthorizedResource    = 4102 // never sent: a foreign instance is answered as an unknown one
	codeUnauthorizedOperated    = 4103 // never sent, for the same reason
	codeSecretIDNotFound        = 4104 // no such SecretId, or not an API 2.0 key
	codeTokenFailure            = 4105 // a Token was sent; taskcenter has no temporary keys
	codeQuotaExceeded           = 4400 // the request rate of the key and action is exceeded
	codeReplayAttack            = 4500 // a reused Nonce, or a Timestamp outside the skew window
	codeUnsupportedProtocol     = 4600 // an HTTP method other than GET and POST
	codeInternal                = 6000 // a fault before the action ran
	codeBadParameter            = 9003 // a parameter value the action refuses
	codeDatabaseError           = 9006 // reading the instance failed
	codeSystemError             = 9013 // a stored task could not be rendered
	codeDESError                = 9016 // DES system error: taskcenter has no DES, never sent
	codeTaskDBError             = 9590 // reading the task list failed
	codeIncorrectInstanceStatus = 9593 // the instance's status is not normal
)

// codeDesc is the one table of the envelope's codes: the codeDesc each
// carries. The 9xxx values are the "Error Message" column of the
// GetCdbRollbackJob document; the others follow the API 3.0 names of the
// same failures.
var codeDesc = map[int]string{
	codeSuccess:                 "Success",
	codeInvalidParameter:        "InvalidParameter",
	codeAuthFailure:             "AuthFailure",
	codeUnauthorizedAPI:         "UnauthorizedOperation",
	codeUnauthorizedResource:    "UnauthorizedOperation.Resource",
	codeUnauthorizedOperated:    "UnauthorizedOperation.OperatedResource",
	codeSecretIDNotFound:        "AuthFailure.SecretIdNotFound",
	codeTokenFailure:            "AuthFailure.TokenFailure",
	codeQuotaExceeded:           "RequestLimitExceeded",
	codeReplayAttack:            "ReplayAttack",
	codeUnsupportedProtocol:     "UnsupportedProtocol",
	codeInternal:                "InternalError",
	codeBadParameter:            "InvalidParameter",
	codeDatabaseError:           "InternalError",
	codeSystemError:             "InternalError",
	codeDESError:                "InternalError",
	codeTaskDBError:             "InternalFailure",
	codeIncorrectInstanceStatus: "IncorrectInstanceStatus",
}

// step names where in a request a Service call failed; the same domain
// error means a different legacy code at each.
type step int

const (
	stepCredential step = iota // looking up the SecretId
	stepInstance               // reading the cdbInstanceId
	stepTasks                  // listing the rollback tasks
)

// serviceCodes maps the taskcenter.Error codes the Service returns at each
// step to the envelope's codes; "" is the code of any other failure.
var serviceCodes = map[step]map[string]int{
	stepCredential: {tc.ENOTFOUND: codeSecretIDNotFound, "": codeInternal},
	stepInstance:   {tc.ENOTFOUND: codeBadParameter, tc.EINVALID: codeBadParameter, "": codeDatabaseError},
	stepTasks:      {tc.EINVALID: codeBadParameter, "": codeTaskDBError},
}

// internalMessages are what the caller reads for the codes of server
// faults, whose causes stay in the log.
var internalMessages = map[int]string{
	codeInternal:      "internal error",
	codeDatabaseError: "database internal error",
	codeSystemError:   "system internal error",
	codeDESError:      "DES system internal error",
	codeTaskDBError:   "task database access error",
}

// apiError is a failure as the envelope shows it. cause, when set, is
// logged and never shown.
type apiError struct {
	code    int
	message string
	cause   error
}

func (e *apiError) Error() string {
	return fmt.Sprintf("qcloud: %d %s: %s", e.code, codeDesc[e.code], e.message)
}

func (e *apiError) Unwrap() error { return e.cause }

// fail returns the error of code with a formatted message for the caller.
func fail(code int, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// fromService turns what the Service returned at step s into the envelope's
// code: a domain error keeps its caller-safe message, a fault gets a generic
// one and keeps its cause for the log.
func fromService(s step, err error) *apiError {
	codes := serviceCodes[s]
	code, ok := codes[tc.ErrorCode(err)]
	if !ok {
		code = codes[""]
	}
	if msg, internal := internalMessages[code]; internal {
		return &apiError{code: code, message: msg, cause: err}
	}
	return &apiError{code: code, message: tc.ErrorMessage(err)}
}
