package tencent

import (
	"fmt"
	"strings"

	tc "github.com/taskcenter/taskcenter"
)

// The error codes this dialect answers, as API 3.0 names them (spec §2). Every
// one comes with HTTP status 200 in the Response.Error envelope.
const (
	CodeInvalidAuthorization  = "AuthFailure.InvalidAuthorization"  // Authorization header is malformed
	CodeSecretIDNotFound      = "AuthFailure.SecretIdNotFound"      // no such SecretId
	CodeSignatureExpire       = "AuthFailure.SignatureExpire"       // timestamp outside the skew window
	CodeSignatureFailure      = "AuthFailure.SignatureFailure"      // the signature does not match
	CodeTokenFailure          = "AuthFailure.TokenFailure"          // X-TC-Token / Token given
	CodeUnauthorizedOperation = "AuthFailure.UnauthorizedOperation" // the credential may not do this
	CodeFailedOperation       = "FailedOperation"                   // the request clashes with a task's state
	CodeInternalError         = "InternalError"                     // a fault of the server
	CodeInvalidAction         = "InvalidAction"                     // no such Action
	CodeInvalidParameter      = "InvalidParameter"                  // a parameter's format or type is wrong
	CodeInstanceNotFound      = "InvalidParameter.InstanceNotFound" // the caller has no such instance
	CodeInvalidParameterValue = "InvalidParameterValue"             // a parameter's value is out of range
	CodeMissingParameter      = "MissingParameter"                  // a required parameter is absent
	CodeNoSuchVersion         = "NoSuchVersion"                     // Version is not 2017-03-20
	CodeRequestLimitExceeded  = "RequestLimitExceeded"              // past the per-credential, per-action rate
	CodeResourceNotFound      = "ResourceNotFound"                  // something else the caller does not have
	CodeUnknownParameter      = "UnknownParameter"                  // a parameter DescribeTasks does not take
	CodeUnsupportedProtocol   = "UnsupportedProtocol"               // a method or content type not served
)

// codeText is the one table of codes: the fixed English and Chinese text of
// each. An answer's Message is this text, then the error's own detail.
var codeText = map[string][2]string{
	CodeInvalidAuthorization:  {"The Authorization header does not follow the TC3-HMAC-SHA256 format.", "请求头部的 Authorization 不符合腾讯云标准。"},
	CodeSecretIDNotFound:      {"The SecretId is not found, please ensure that your SecretId is correct.", "密钥不存在，请检查 SecretId 是否正确。"},
	CodeSignatureExpire:       {"Signature expired: the timestamp must be within 5 minutes of the server time.", "签名过期，Timestamp 与服务器时间相差不得超过五分钟。"},
	CodeSignatureFailure:      {"The provided credentials could not be validated. Please check your signature is correct.", "请求签名验证失败，请检查您的签名计算是否正确。"},
	CodeTokenFailure:          {"The token is invalid: this endpoint issues no temporary credentials.", "Token 错误：本服务不签发临时密钥。"},
	CodeUnauthorizedOperation: {"The request is not authorized.", "请求未授权。"},
	CodeFailedOperation:       {"The operation failed.", "操作失败。"},
	CodeInternalError:         {"An internal error occurred.", "内部错误。"},
	CodeInvalidAction:         {"The action does not exist.", "接口不存在。"},
	CodeInvalidParameter:      {"A parameter is invalid.", "参数错误。"},
	CodeInstanceNotFound:      {"The instance does not exist.", "实例不存在。"},
	CodeInvalidParameterValue: {"A parameter value is invalid.", "参数取值错误。"},
	CodeMissingParameter:      {"A required parameter is missing.", "缺少必选参数。"},
	CodeNoSuchVersion:         {"The API version does not exist.", "接口版本不存在。"},
	CodeRequestLimitExceeded:  {"The request rate limit is exceeded.", "请求的次数超过了频率限制。"},
	CodeResourceNotFound:      {"The resource does not exist.", "资源不存在。"},
	CodeUnknownParameter:      {"An unknown parameter was given.", "未知参数错误。"},
	CodeUnsupportedProtocol:   {"Only GET and POST requests in the documented forms are supported.", "HTTP(S) 请求协议错误，只支持 GET 和 POST 请求。"},
}

// fromDomain maps the codes of taskcenter.Error, coming back from the
// service, to this dialect's codes.
var fromDomain = map[string]string{
	tc.EINVALID:      CodeInvalidParameterValue,
	tc.ENOTFOUND:     CodeResourceNotFound,
	tc.EUNAUTHORIZED: CodeUnauthorizedOperation,
	tc.EFORBIDDEN:    CodeUnauthorizedOperation,
	tc.ECONFLICT:     CodeFailedOperation,
	tc.ERATELIMIT:    CodeRequestLimitExceeded,
	tc.EUNAVAILABLE:  CodeInternalError,
	tc.EINTERNAL:     CodeInternalError,
}

// apiError is an answer in the Response.Error envelope: a code of the table
// and an optional detail in both languages.
type apiError struct {
	code   string
	detail [2]string // English, Chinese
	cause  error     // for the log only
}

func (e *apiError) Error() string {
	return fmt.Sprintf("tencent: %s: %s", e.code, e.message(langEN))
}

// message is the text shown to the caller in language l.
func (e *apiError) message(l lang) string {
	text := codeText[e.code][l]
	if d := e.detail[l]; d != "" {
		if l == langZH {
			return text + d // Chinese puts no space after a full stop
		}
		return text + " " + d
	}
	return text
}

// newError returns an error with the given code and a detail in English
// and Chinese; "" leaves the fixed text of the code alone.
func newError(code, en, zh string) *apiError {
	return &apiError{code: code, detail: [2]string{en, zh}}
}

// missing reports an absent required parameter.
func missing(name string) *apiError {
	return newError(CodeMissingParameter, "The request is missing the parameter `"+name+"`.", "缺少参数 `"+name+"`。")
}

// invalidValue reports a parameter whose value is out of range.
func invalidValue(name, en, zh string) *apiError {
	return newError(CodeInvalidParameterValue, "Parameter `"+name+"`: "+en, "参数 `"+name+"`："+zh)
}

// invalidParam reports a parameter of the wrong form or type.
func invalidParam(name, en, zh string) *apiError {
	return newError(CodeInvalidParameter, "Parameter `"+name+"`: "+en, "参数 `"+name+"`："+zh)
}

// clip shortens caller input quoted back in messages.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "..."
	}
	return s
}

// asAPIError turns any error into an answer: an apiError as it is, a
// taskcenter.Error through fromDomain, anything else as InternalError.
func asAPIError(err error) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	code, ok := fromDomain[tc.ErrorCode(err)]
	if !ok {
		code = CodeInternalError
	}
	e := &apiError{code: code, cause: err}
	if code != CodeInternalError {
		msg := tc.ErrorMessage(err)
		e.detail = [2]string{msg, msg}
	}
	return e
}
