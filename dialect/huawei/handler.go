// Package huawei serves the task APIs of Huawei Cloud DDS, so that
// huaweicloud-sdk-go-v3 and other Huawei clients work against taskcenter
// unchanged but for the endpoint: ListTasks (GET /v3.1/{project_id}/jobs)
// and ShowJobDetail (GET /v3/{project_id}/jobs?id=), authenticated by AK/SK
// SDK-HMAC-SHA256 signatures or X-Auth-Token, with errors as
// {"error_code", "error_msg"}. The project is the tenant of the credential.
// The wire format is spec/huawei.md; docs/huawei.md is the user's guide.
package huawei

import (
	"net/http"
	"strings"

	tc "github.com/taskcenter/taskcenter"
)

// The actions, named as the SDK names them. They key the rate limit.
const (
	ActionListTasks     = "ListTasks"
	ActionShowJobDetail = "ShowJobDetail"
)

// handler serves both actions on /v3/ and /v3.1/.
type handler struct {
	svc  tc.Service
	opts Options
}

// NewHandler returns the Huawei dialect over svc. Mount it on "/v3/" and
// "/v3.1/": it answers every path below them, unknown ones with 404 APIG.0101.
func NewHandler(svc tc.Service, opts Options) http.Handler {
	return &handler{svc: svc, opts: opts.WithDefaults()}
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.writeError(w, r, err)
	}
}

// serve routes, authenticates, checks the project and the rate, then runs
// the action, in the order API Gateway and then DDS would refuse a request.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) error {
	project, version, ok := routeOf(r)
	if !ok {
		return &tc.Error{Code: tc.ENOTFOUND, Field: fieldRoute,
			Message: "The API does not exist or has not been published in the environment."}
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	action := ActionListTasks
	if version == "v3" && q.has("id") {
		action = ActionShowJobDetail
	}
	cred, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if err := checkProject(r, cred, project); err != nil {
		return err
	}
	if h.opts.Limiter != nil && !h.opts.Limiter.Allow("huawei:"+cred.ID+":"+action) {
		return tc.Errorf(tc.ERATELIMIT, "The throttling threshold has been reached: policy user over ratelimit, action:%s", action)
	}
	ctx := tc.WithCredential(r.Context(), cred)
	var out any
	if action == ActionShowJobDetail {
		out, err = h.jobDetail(ctx, cred.Tenant, q)
	} else {
		out, err = h.listTasks(ctx, cred.Tenant, q)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// routeOf matches GET /v3.1/{project_id}/jobs and GET /v3/{project_id}/jobs.
func routeOf(r *http.Request) (project, version string, ok bool) {
	parts := strings.Split(r.URL.Path, "/")
	if r.Method != http.MethodGet || len(parts) != 4 || parts[0] != "" || parts[2] == "" || parts[3] != "jobs" {
		return "", "", false
	}
	if parts[1] != "v3" && parts[1] != "v3.1" {
		return "", "", false
	}
	return parts[2], parts[1], true
}

// authenticate finds the caller: X-Auth-Token when sent, else the AK/SK
// signature of the Authorization header.
func (h *handler) authenticate(r *http.Request) (*tc.Credential, error) {
	if token := r.Header.Get("X-Auth-Token"); token != "" {
		return h.authenticateToken(r.Context(), token)
	}
	if r.Header.Get("Authorization") == "" {
		return nil, unauthorized("x-auth-token not found")
	}
	var cred *tc.Credential
	err := Verify(r, h.opts.Now(), func(ak string) (string, error) {
		c, err := h.svc.Credential(r.Context(), ak)
		if tc.ErrorCode(err) == tc.ENOTFOUND || (err == nil && c.Kind != tc.KindHuaweiAKSK) {
			return "", unauthorized("Get secretKey failed,ak:******,err:ak not exist")
		}
		if err != nil {
			return "", err
		}
		cred = c
		return c.Secret, nil
	})
	if err != nil {
		return nil, err
	}
	return cred, nil
}

// checkProject requires the project of the path to be the credential's
// tenant, and X-Project-Id, when sent, to name it too.
func checkProject(r *http.Request, cred *tc.Credential, project string) error {
	if cred.Tenant == "" || cred.Tenant == tc.AllTenants || !cred.Role.Can(tc.RoleReader) {
		return tc.Errorf(tc.EFORBIDDEN, "You do not have permission to perform this operation: this credential cannot read tasks.")
	}
	if cred.Tenant != project {
		return tc.Errorf(tc.EFORBIDDEN, "You do not have permission to perform this operation: the credential does not belong to project %q.", clip(project))
	}
	if p := r.Header.Get("X-Project-Id"); p != "" && p != project {
		return tc.Errorf(tc.EFORBIDDEN, "You do not have permission to perform this operation: X-Project-Id %q is not the project %q of the path.", clip(p), clip(project))
	}
	return nil
}
