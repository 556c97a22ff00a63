package huawei

import (
	"context"
	"strconv"

	tc "github.com/taskcenter/taskcenter"
)

// jobDetailResponse is the SDK's model.ShowJobDetailResponse.
type jobDetailResponse struct {
	Job jobDetail `json:"job"`
}

// jobDetail is the SDK's model.JobDetail: other names than JobInfo
// (created, ended) and the instance as an object.
type jobDetail struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Status     string      `json:"status"`
	Created    string      `json:"created"`
	Ended      string      `json:"ended"`
	Progress   string      `json:"progress"`
	Instance   jobInstance `json:"instance"`
	FailReason string      `json:"fail_reason"`
}

// jobInstance is the SDK's model.JobInstanceInfo.
type jobInstance struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// jobDetail answers ShowJobDetail. A task that does not exist, is of
// another tenant, was removed, or an id that cannot name one, is 400
// DBS.280016 Resource not found.
func (h *handler) jobDetail(ctx context.Context, tenant string, q query) (*jobDetailResponse, error) {
	raw, err := q.get("id", "id")
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, tc.Invalidf("id", "Parameter error: id is required.")
	}
	notFound := tc.Errorf(tc.ENOTFOUND, "Resource not found: there is no task %q.", clip(raw))
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound
	}
	task, err := h.svc.GetTask(ctx, tenant, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND || (err == nil && task.Status == tc.StatusRemoved) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	j, err := jobOf(ctx, h.svc, tenant, task, h.opts.Location)
	if err != nil {
		return nil, err
	}
	return &jobDetailResponse{Job: jobDetail{ID: j.id, Name: j.name, Status: j.status, Created: j.created, Ended: j.ended,
		Progress: j.progress, Instance: jobInstance{ID: j.instanceID, Name: j.instanceName}, FailReason: j.failReason}}, nil
}
