package tencent

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// DescribeTasks' limits (spec §1.2).
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// timeLayout is "yyyy-MM-dd HH:mm:ss", the form of every time of API 3.0.
const timeLayout = time.DateTime

// NoEndTime is the EndTime of a task that has not ended: the zero
// DATETIME that Tencent's database APIs answer for a time not yet reached.
const NoEndTime = "0000-00-00 00:00:00"

// describeTasksInput holds DescribeTasks' parameters; nil means not given.
type describeTasksInput struct {
	InstanceID     *string  `json:"InstanceId"`
	AsyncRequestID *string  `json:"AsyncRequestId"`
	TaskTypes      []*int64 `json:"TaskTypes"`
	TaskStatus     []*int64 `json:"TaskStatus"`
	StartTimeBegin *string  `json:"StartTimeBegin"`
	StartTimeEnd   *string  `json:"StartTimeEnd"`
	Offset         *int64   `json:"Offset"`
	Limit          *int64   `json:"Limit"`
}

// Parameters returns the parameters an action takes beside the common
// ones: the json names of its input struct, which decodeParams reads by.
func Parameters(action string) []string {
	if action != "DescribeTasks" {
		return nil
	}
	t := reflect.TypeFor[describeTasksInput]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// describeTasksResponse is the Response of DescribeTasks.
type describeTasksResponse struct {
	TotalCount int          `json:"TotalCount"`
	Items      []taskDetail `json:"Items"`
	RequestID  string       `json:"RequestId"`
}

// taskDetail is one task as DescribeTasks shows it, fields in the SDK's order.
type taskDetail struct {
	Code           int          `json:"Code"`
	Message        string       `json:"Message"`
	JobID          int64        `json:"JobId"`
	Progress       int          `json:"Progress"`
	TaskStatus     string       `json:"TaskStatus"`
	TaskType       string       `json:"TaskType"`
	StartTime      string       `json:"StartTime"`
	EndTime        string       `json:"EndTime"`
	InstanceIDs    []string     `json:"InstanceIds"`
	AsyncRequestID string       `json:"AsyncRequestId"`
	TaskAttachInfo []attachInfo `json:"TaskAttachInfo"`
}

type attachInfo struct {
	AttachKey   string `json:"AttachKey"`
	AttachValue string `json:"AttachValue"`
}

// describeTasks lists the caller's tasks, newest first, with the exact total.
func (h *handler) describeTasks(ctx context.Context, cred *tc.Credential, c *call) (any, error) {
	var in describeTasksInput
	if err := decodeParams(c, &in); err != nil {
		return nil, err
	}
	f, err := h.taskFilter(ctx, cred.Tenant, &in)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.ListTasks(ctx, f)
	if err != nil {
		return nil, err
	}
	// Tasks are listed under an instance only if it is the tenant's (no
	// instance is ever deleted), so only an empty answer needs the check.
	if f.InstanceID != "" && page.Total == 0 {
		if err := h.ownInstance(ctx, f.Tenant, f.InstanceID); err != nil {
			return nil, err
		}
	}
	resp := &describeTasksResponse{TotalCount: page.Total, Items: make([]taskDetail, 0, len(page.Tasks)), RequestID: requestID(ctx)}
	for _, t := range page.Tasks {
		resp.Items = append(resp.Items, h.detail(t))
	}
	return resp, nil
}

// taskFilter checks the parameters and turns them into a filter of the tenant's tasks.
func (h *handler) taskFilter(ctx context.Context, tenant string, in *describeTasksInput) (*tc.TaskFilter, error) {
	f := &tc.TaskFilter{Tenant: tenant, Limit: DefaultLimit, Summary: true}
	if in.Offset != nil {
		if *in.Offset < 0 {
			return nil, invalidValue("Offset", "must not be negative.", "不能为负数。")
		}
		f.Offset = int(*in.Offset)
	}
	if in.Limit != nil {
		if *in.Limit < 0 || *in.Limit > MaxLimit {
			return nil, invalidValue("Limit", fmt.Sprintf("must be between 0 and %d.", MaxLimit), fmt.Sprintf("取值范围为 0 到 %d。", MaxLimit))
		}
		f.Limit = int(*in.Limit)
	}
	if in.InstanceID != nil && *in.InstanceID != "" {
		if tc.ValidateInstanceID("InstanceId", *in.InstanceID) != nil {
			return nil, instanceNotFound(*in.InstanceID)
		}
		f.InstanceID = *in.InstanceID
	}
	if in.AsyncRequestID != nil {
		if !tc.ValidAsyncRequestID(*in.AsyncRequestID) {
			return nil, invalidValue("AsyncRequestId", fmt.Sprintf("must be at most %d bytes.", tc.MaxAsyncRequestIDLen),
				fmt.Sprintf("长度不得超过 %d 字节。", tc.MaxAsyncRequestIDLen))
		}
		f.AsyncRequestID = *in.AsyncRequestID
	}
	var err error
	if f.Types, err = h.taskTypes(ctx, in.TaskTypes); err != nil {
		return nil, err
	}
	if f.Statuses, err = taskStatuses(in.TaskStatus); err != nil {
		return nil, err
	}
	if err := h.timeRange(f, in.StartTimeBegin, in.StartTimeEnd); err != nil {
		return nil, err
	}
	return f, nil
}

// ownInstance answers InvalidParameter.InstanceNotFound for an instance the
// tenant does not have, whether it is another tenant's or nobody's.
func (h *handler) ownInstance(ctx context.Context, tenant, id string) error {
	_, err := h.svc.GetInstance(ctx, tenant, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return instanceNotFound(id)
	}
	return err
}

// instanceNotFound is the error of an instance the tenant does not have.
func instanceNotFound(id string) error {
	return newError(CodeInstanceNotFound, "No instance `"+clip(id)+"`.", "实例 `"+clip(id)+"` 不存在。")
}

// taskTypes maps TaskTypes' integer codes to type keys through the catalog,
// operators' own types with a Tencent code included.
func (h *handler) taskTypes(ctx context.Context, codes []*int64) ([]string, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	catalog, err := h.svc.TaskTypes(ctx)
	if err != nil {
		return nil, err
	}
	byCode := map[int64]string{}
	for _, t := range catalog {
		if t.TencentCode > 0 {
			byCode[int64(t.TencentCode)] = t.Key
		}
	}
	keys := make([]string, 0, len(codes))
	for _, code := range codes {
		key, ok := byCode[*code]
		if !ok {
			return nil, invalidValue("TaskTypes", fmt.Sprintf("%d is not a task type.", *code), fmt.Sprintf("%d 不是有效的任务类型。", *code))
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// taskStatuses maps TaskStatus' integer codes (-1 to 6) to statuses. WAITING
// has no code; UNDEFINED (-1) is never stored and so matches nothing.
func taskStatuses(codes []*int64) ([]tc.Status, error) {
	out := make([]tc.Status, 0, len(codes))
	for _, code := range codes {
		s, ok := tc.StatusFromCode(int(*code))
		if !ok || int64(int(*code)) != *code {
			return nil, invalidValue("TaskStatus", fmt.Sprintf("%d is not a task status; use -1 to 6.", *code), fmt.Sprintf("%d 不是有效的任务状态，取值范围为 -1 到 6。", *code))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// timeRange sets the filter's creation-time bounds from StartTimeBegin and
// StartTimeEnd, both inclusive to the second, read in the configured zone.
func (h *handler) timeRange(f *tc.TaskFilter, begin, end *string) error {
	if begin != nil && *begin != "" {
		t, err := h.parseTime("StartTimeBegin", *begin)
		if err != nil {
			return err
		}
		f.CreatedAfter = t
	}
	if end != nil && *end != "" {
		t, err := h.parseTime("StartTimeEnd", *end)
		if err != nil {
			return err
		}
		f.CreatedBefore = t.Add(time.Second)
	}
	if !f.CreatedAfter.IsZero() && !f.CreatedBefore.IsZero() && !f.CreatedAfter.Before(f.CreatedBefore) {
		return invalidValue("StartTimeBegin", "must not be after StartTimeEnd.", "不能晚于 StartTimeEnd。")
	}
	return nil
}

func (h *handler) parseTime(name, s string) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, s, h.opts.Location)
	if err != nil || len(s) != len(timeLayout) {
		return time.Time{}, invalidValue(name, "must be a time like 2017-12-31 10:40:01.", "格式应为 yyyy-MM-dd HH:mm:ss，例如 2017-12-31 10:40:01。")
	}
	return t, nil
}

// detail shows a task as DescribeTasks does; times are in the configured zone.
func (h *handler) detail(t *tc.Task) taskDetail {
	d := taskDetail{
		Code: t.Code, Message: t.Message, JobID: t.ID, Progress: t.Progress,
		TaskStatus: string(t.Status), TaskType: t.Type,
		StartTime: t.CreatedAt.In(h.opts.Location).Format(timeLayout), EndTime: NoEndTime,
		InstanceIDs: t.InstanceIDs, AsyncRequestID: t.AsyncRequestID, TaskAttachInfo: []attachInfo{},
	}
	if !t.EndedAt.IsZero() {
		d.EndTime = t.EndedAt.In(h.opts.Location).Format(timeLayout)
	}
	if d.InstanceIDs == nil {
		d.InstanceIDs = []string{}
	}
	for _, a := range t.AttachInfo {
		d.TaskAttachInfo = append(d.TaskAttachInfo, attachInfo{AttachKey: a.Key, AttachValue: a.Value})
	}
	return d
}
