package huawei

import (
	"context"
	"strconv"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The three task statuses of the Huawei API, in filters and answers.
const (
	StatusRunning   = "Running"
	StatusCompleted = "Completed"
	StatusFailed    = "Failed"
)

// statusMap is the mapping of DESIGN section 3, the one place it is written:
// Running is every state that has not ended, Failed includes canceled tasks.
// REMOVED tasks are hidden, as everywhere.
var statusMap = map[string][]tc.Status{
	StatusRunning:   {tc.StatusWaiting, tc.StatusInitial, tc.StatusRunning, tc.StatusPaused},
	StatusCompleted: {tc.StatusSucceed},
	StatusFailed:    {tc.StatusFailed, tc.StatusKilled},
}

// huaweiStatus returns the Huawei status of s, or "" for REMOVED.
func huaweiStatus(s tc.Status) string {
	for name, states := range statusMap {
		for _, st := range states {
			if st == s {
				return name
			}
		}
	}
	return ""
}

// job is what both actions show of a task, before each names the fields its way.
type job struct {
	id, name, status, progress, failReason string
	created, ended                         string
	instanceID, instanceName               string
}

// jobOf renders a task: progress "NN%" only while it runs, the task's
// message as fail_reason only when it failed, times in loc, and its first
// instance.
func jobOf(ctx context.Context, svc tc.Service, tenant string, t *tc.Task, loc *time.Location) (job, error) {
	j := job{id: strconv.FormatInt(t.ID, 10), name: t.Type, status: huaweiStatus(t.Status),
		created: formatTime(t.CreatedAt, loc), ended: formatTime(t.EndedAt, loc)}
	switch j.status {
	case StatusRunning:
		j.progress = strconv.Itoa(t.Progress) + "%"
	case StatusFailed:
		j.failReason = t.Message
	}
	if len(t.InstanceIDs) > 0 {
		j.instanceID = t.InstanceIDs[0]
		name, err := firstInstanceName(ctx, svc, tenant, t)
		if err != nil {
			return job{}, err
		}
		j.instanceName = name
	}
	return j, nil
}

// firstInstanceName returns the name of the task's first instance, or ""
// when the instance is gone: from the task when its list read the names
// (TaskFilter.InstanceNames), else from the tenant's instances.
func firstInstanceName(ctx context.Context, svc tc.Service, tenant string, t *tc.Task) (string, error) {
	if len(t.InstanceNames) > 0 {
		return t.InstanceNames[0], nil
	}
	inst, err := svc.GetInstance(ctx, tenant, t.InstanceIDs[0])
	switch {
	case tc.ErrorCode(err) == tc.ENOTFOUND:
		return "", nil
	case err != nil:
		return "", err
	}
	return inst.Name, nil
}
