package qcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Paging of GetCdbRollbackJob, as its document states.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// TimeLayout is the layout of startTime and endTime.
const TimeLayout = "2006-01-02 15:04:05"

// NotEnded is the endTime of a task that has not ended: the zero of the
// MySQL DATETIME behind the legacy API, in the same fixed width.
const NotEnded = "0000-00-00 00:00:00"

// RollbackJobList is the answer of GetCdbRollbackJob. Types follow the
// parameter tables of its document; its example shows some of the numbers
// as strings (see docs/qcloud.md).
type RollbackJobList struct {
	Code     int            `json:"code"`
	Message  string         `json:"message"`
	CodeDesc string         `json:"codeDesc"`
	Data     RollbackJobSet `json:"data"`
}

// RollbackJobSet is the data of GetCdbRollbackJob: one page of tasks and the
// total number of the caller's rollback tasks on the instance.
type RollbackJobSet struct {
	TaskCount int           `json:"taskCount"`
	TaskList  []RollbackJob `json:"taskList"`
}

// RollbackJob is one ROLLBACK (type "1") or BATCH ROLLBACK (type "10") task.
type RollbackJob struct {
	Code         string              `json:"code"`
	Message      string              `json:"message"`
	JobID        string              `json:"jobId"`
	StartTime    string              `json:"startTime"`
	EndTime      string              `json:"endTime"`
	Name         string              `json:"name"`
	NewName      string              `json:"newName"`
	Progress     string              `json:"progress"`
	Status       int                 `json:"status"`
	TaskMessage  string              `json:"taskMessage"`
	TaskProgress string              `json:"taskProgress"`
	TaskStatus   string              `json:"taskStatus"`
	Type         string              `json:"type"`
	TaskContext  RollbackTaskContext `json:"taskContext"`
}

// RollbackTaskContext wraps the task's context as the document nests it.
type RollbackTaskContext struct {
	Data RollbackContextData `json:"data"`
}

// RollbackContextData is the context a rollback task was submitted with,
// plus the instance it ran on.
type RollbackContextData struct {
	Operator     string             `json:"operator"`
	RollbackTime string             `json:"rollbackTime"`
	DBs          []tc.RollbackDB    `json:"dbs,omitempty"`
	Tables       []tc.RollbackTable `json:"tables,omitempty"`
	UInstanceID  string             `json:"uInstanceId"`
	Strategy     string             `json:"strategy,omitempty"`
}

// Legacy task statuses, from the API 2.0 task list (GetCdbJobList), whose
// document is the only one to define them: 0 running, 2 succeeded, 3 failed,
// 4 terminated, 5 deleted (6, terminating, has no taskcenter counterpart).
const (
	LegacyRunning    = 0
	LegacySucceeded  = 2
	LegacyFailed     = 3
	LegacyTerminated = 4
	LegacyDeleted    = 5
)

// legacyStatus maps every taskcenter status to the legacy one: a task that
// has not ended, waiting, paused or running, is running to API 2.0.
var legacyStatus = map[tc.Status]int{
	tc.StatusWaiting: LegacyRunning,
	tc.StatusInitial: LegacyRunning,
	tc.StatusRunning: LegacyRunning,
	tc.StatusPaused:  LegacyRunning,
	tc.StatusSucceed: LegacySucceeded,
	tc.StatusFailed:  LegacyFailed,
	tc.StatusKilled:  LegacyTerminated,
	tc.StatusRemoved: LegacyDeleted,
}

// rollbackTypes are the task types GetCdbRollbackJob lists.
var rollbackTypes = []string{tc.TypeRollback, tc.TypeBatchRollback}

// getCdbRollbackJob lists the caller's rollback tasks of one instance, newest first.
func (h *Handler) getCdbRollbackJob(ctx context.Context, cred *tc.Credential, p url.Values) (any, error) {
	id := param(p, "cdbInstanceId")
	if id == "" {
		return nil, fail(codeInvalidParameter, "cdbInstanceId is required")
	}
	if tc.ValidateInstanceID("cdbInstanceId", id) != nil {
		return nil, fail(codeInvalidParameter, "cdbInstanceId %q is not an instance id", clip(id))
	}
	offset, err := intParam(p, "offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(p, "limit", DefaultLimit)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fail(codeBadParameter, "offset must not be negative")
	}
	if limit < 1 || limit > MaxLimit {
		return nil, fail(codeBadParameter, "limit must be between 1 and %d", MaxLimit)
	}
	inst, err := h.svc.GetInstance(ctx, cred.Tenant, id)
	if err != nil {
		return nil, fromService(stepInstance, err)
	}
	if inst.Status != tc.InstanceNormal {
		return nil, fail(codeIncorrectInstanceStatus, "instance %s is %s, not %s", inst.ID, inst.Status, tc.InstanceNormal)
	}
	page, err := h.svc.ListTasks(ctx, &tc.TaskFilter{
		Tenant: cred.Tenant, InstanceID: inst.ID, Types: rollbackTypes, Offset: offset, Limit: limit,
	})
	if err != nil {
		return nil, fromService(stepTasks, err)
	}
	out := RollbackJobList{Code: codeSuccess, CodeDesc: codeDesc[codeSuccess],
		Data: RollbackJobSet{TaskCount: page.Total, TaskList: make([]RollbackJob, 0, len(page.Tasks))}}
	for _, t := range page.Tasks {
		job, err := h.rollbackJob(t, inst.ID)
		if err != nil {
			return nil, &apiError{code: codeSystemError, message: internalMessages[codeSystemError], cause: err}
		}
		out.Data.TaskList = append(out.Data.TaskList, job)
	}
	return out, nil
}

// parameters are the parameters of each action beside the common ones.
// The actions read them through param, which refuses a name not declared
// here, so this list is what the code reads: the bad-input catalogue checks
// it has a row for each.
var parameters = map[string][]string{
	"GetCdbRollbackJob": {"cdbInstanceId", "offset", "limit"},
}

// Parameters returns the parameters an action takes beside the common ones.
func Parameters(action string) []string { return slices.Clone(parameters[action]) }

// param returns a declared action parameter; an undeclared name is a
// programming error and reads as "".
func param(p url.Values, name string) string {
	for _, names := range parameters {
		if slices.Contains(names, name) {
			return p.Get(name)
		}
	}
	return ""
}

// intParam parses an optional integer parameter; empty means def.
func intParam(p url.Values, name string, def int) (int, error) {
	s := param(p, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fail(codeInvalidParameter, "%s must be an integer", name)
	}
	return int(n), nil
}

// rollbackJob renders one task; its context is the taskContext.data.
func (h *Handler) rollbackJob(t *tc.Task, instanceID string) (RollbackJob, error) {
	var rc tc.RollbackContext
	if err := json.NewDecoder(bytes.NewReader(t.Context)).Decode(&rc); err != nil {
		return RollbackJob{}, fmt.Errorf("task %d: context is not a rollback context: %w", t.ID, err)
	}
	typ, _ := tc.BuiltinType(t.Type)
	status := legacyStatus[t.Status]
	job := RollbackJob{
		Code:         strconv.Itoa(t.Code),
		JobID:        strconv.FormatInt(t.ID, 10),
		StartTime:    h.wallClock(t.CreatedAt),
		EndTime:      h.wallClock(t.EndedAt),
		Progress:     strconv.Itoa(t.Progress),
		Status:       status,
		TaskMessage:  t.Message,
		TaskProgress: strconv.Itoa(t.Progress),
		TaskStatus:   strconv.Itoa(status),
		Type:         strconv.Itoa(typ.TencentCode),
		TaskContext: RollbackTaskContext{Data: RollbackContextData{
			Operator: rc.Operator, RollbackTime: rc.RollbackTime, DBs: rc.DBs, Tables: rc.Tables,
			UInstanceID: instanceID, Strategy: rc.Strategy,
		}},
	}
	// message is the rollback's error message: empty unless it failed.
	if t.Code != 0 || t.Status == tc.StatusFailed {
		job.Message = t.Message
	}
	job.Name, job.NewName = names(&rc)
	return job, nil
}

// names lists what a rollback restores and under which new names, as the
// document's example does ("test, test_bak"): databases, then tables as
// db.table.
func names(rc *tc.RollbackContext) (name, newName string) {
	var olds, news []string
	for _, db := range rc.DBs {
		olds, news = append(olds, db.DBName), append(news, db.NewName)
	}
	for _, t := range rc.Tables {
		for _, tt := range t.Table {
			olds, news = append(olds, t.DB+"."+tt.TableName), append(news, t.DB+"."+tt.NewName)
		}
	}
	return strings.Join(olds, ", "), strings.Join(news, ", ")
}

// wallClock formats a time in the configured zone; the zero time is NotEnded.
func (h *Handler) wallClock(t time.Time) string {
	if t.IsZero() {
		return NotEnded
	}
	return t.In(h.opts.Location).Format(TimeLayout)
}
