package api

import (
	"net/http"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// MaxClaimWait bounds the long poll of a claim.
const MaxClaimWait = 60

func (h *Handler) claimTasks(w http.ResponseWriter, r *http.Request) error {
	var body ClaimRequest
	if err := decode(w, r, &body); err != nil {
		return err
	}
	tenant, err := tenantOf(r, body.Tenant, true)
	if err != nil {
		return err
	}
	if body.WaitSeconds < 0 || body.WaitSeconds > MaxClaimWait {
		return tc.Invalidf("wait_seconds", "wait_seconds must be between 0 and %d", MaxClaimWait)
	}
	max := body.Max
	if max == 0 {
		max = 1
	}
	if err := checkWorkerID(body.WorkerID); err != nil {
		return err
	}
	if err := h.knownTypes(r.Context(), "types", body.Types); err != nil {
		return err
	}
	tasks, err := h.svc.ClaimTasks(r.Context(), &tc.ClaimParams{Tenant: tenant, WorkerID: leaseOwner(r, body.WorkerID),
		Types: body.Types, Max: max, Wait: time.Duration(body.WaitSeconds) * time.Second})
	if err != nil {
		return err
	}
	out := ClaimResponse{Tasks: []Task{}}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, FromTask(t))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) heartbeat(w http.ResponseWriter, r *http.Request) error {
	var body HeartbeatRequest
	lease, err := h.leaseOf(w, r, &body, &body.WorkerID, &body.Attempt, &body.Claim)
	if err != nil {
		return err
	}
	res, err := h.svc.Heartbeat(r.Context(), &tc.HeartbeatParams{TaskLease: lease, Progress: body.Progress, Message: body.Message})
	if err != nil {
		return err
	}
	out := HeartbeatResponse{CancelRequested: res.CancelRequested, PauseRequested: res.PauseRequested}
	if !res.LeaseExpiresAt.IsZero() {
		out.LeaseExpiresAt = &res.LeaseExpiresAt
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) completeTask(w http.ResponseWriter, r *http.Request) error {
	var body CompleteRequest
	lease, err := h.leaseOf(w, r, &body, &body.WorkerID, &body.Attempt, &body.Claim)
	if err != nil {
		return err
	}
	p := &tc.CompleteParams{TaskLease: lease, Code: body.Code, Message: body.Message}
	for _, a := range body.AttachInfo {
		p.AttachInfo = append(p.AttachInfo, tc.Attach{Key: a.Key, Value: a.Value})
	}
	task, err := h.svc.CompleteTask(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTask(task))
}

func (h *Handler) failTask(w http.ResponseWriter, r *http.Request) error {
	var body FailRequest
	lease, err := h.leaseOf(w, r, &body, &body.WorkerID, &body.Attempt, &body.Claim)
	if err != nil {
		return err
	}
	task, err := h.svc.FailTask(r.Context(), &tc.FailParams{TaskLease: lease, Code: body.Code,
		Message: body.Message, Retryable: body.Retryable})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTask(task))
}

func (h *Handler) releaseTask(w http.ResponseWriter, r *http.Request) error {
	var body ReleaseRequest
	lease, err := h.leaseOf(w, r, &body, &body.WorkerID, &body.Attempt, &body.Claim)
	if err != nil {
		return err
	}
	task, err := h.svc.ReleaseTask(r.Context(), &lease)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromTask(task))
}

// leaseOf decodes a worker's body and names the task it acts on and the
// lease it reports for: worker, attempt and claim point into body.
func (h *Handler) leaseOf(w http.ResponseWriter, r *http.Request, body any, worker *string, attempt *int, claim *int64) (tc.TaskLease, error) {
	tenant, id, err := taskRef(r)
	if err != nil {
		return tc.TaskLease{}, err
	}
	if err := decode(w, r, body); err != nil {
		return tc.TaskLease{}, err
	}
	if err := checkWorkerID(*worker); err != nil {
		return tc.TaskLease{}, err
	}
	if *attempt < 0 {
		return tc.TaskLease{}, tc.Invalidf("attempt", "attempt must not be negative")
	}
	if *claim < 0 {
		return tc.TaskLease{}, tc.Invalidf("claim", "claim must not be negative")
	}
	return tc.TaskLease{Tenant: tenant, ID: id, WorkerID: leaseOwner(r, *worker), Attempt: *attempt, Claim: *claim}, nil
}

func checkWorkerID(id string) error {
	if id == "" || len(id) > 100 {
		return tc.Invalidf("worker_id", "worker_id must be 1 to 100 bytes")
	}
	return nil
}

// leaseOwner binds a remote worker's id to its credential: a lease taken
// with one token can be reported on only with the same token, whatever
// worker_id another caller of the tenant sends.
func leaseOwner(r *http.Request, workerID string) string {
	return tc.CredentialFrom(r.Context()).ID + "/" + workerID
}
