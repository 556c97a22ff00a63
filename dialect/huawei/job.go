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
func jobOf(ctx context.Context, t *tc.Task, loc *time.Location, names *instanceNames) (job, error) {
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
		name, err := names.name(ctx, j.instanceID)
		if err != nil {
			return job{}, err
		}
		j.instanceName = name
	}
	return j, nil
}

// instanceNames looks each instance up once per answer.
type instanceNames struct {
	svc    tc.Service
	tenant string
	names  map[string]string
}

func newInstanceNames(svc tc.Service, tenant string) *instanceNames {
	return &instanceNames{svc: svc, tenant: tenant, names: map[string]string{}}
}

// load looks up the first instances of tasks in one read, rather than one
// read per task of the page.
func (n *instanceNames) load(ctx context.Context, tasks []*tc.Task) error {
	var ids []string
	for _, t := range tasks {
		if len(t.InstanceIDs) > 0 {
			ids = append(ids, t.InstanceIDs[0])
		}
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := n.svc.ListInstances(ctx, &tc.InstanceFilter{Tenant: n.tenant, IDs: ids})
	if err != nil {
		return err
	}
	for _, id := range ids {
		n.names[id] = "" // gone, unless listed
	}
	for _, inst := range list {
		n.names[inst.ID] = inst.Name
	}
	return nil
}

// name returns the instance's name, or "" when the instance is gone.
func (n *instanceNames) name(ctx context.Context, id string) (string, error) {
	if name, ok := n.names[id]; ok {
		return name, nil
	}
	inst, err := n.svc.GetInstance(ctx, n.tenant, id)
	switch {
	case tc.ErrorCode(err) == tc.ENOTFOUND:
		n.names[id] = ""
	case err != nil:
		return "", err
	default:
		n.names[id] = inst.Name
	}
	return n.names[id], nil
}
