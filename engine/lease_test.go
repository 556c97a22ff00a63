package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestStaleClaimRefused: when an attempt is given back (released, or paused
// and then settled by the worker's release or by the rescue of its lease)
// and the same worker claims the task again, the new claim has the same
// attempt as the one before; a late or repeated report of the earlier claim
// is still refused, whatever it says, and the current claim's reports go
// through.
func TestStaleClaimRefused(t *testing.T) {
	for _, c := range []struct {
		name     string
		giveBack func(t *testing.T, e *env, c *clock, lease tc.TaskLease)
	}{
		{"released", func(t *testing.T, e *env, c *clock, lease tc.TaskLease) {
			got, err := e.svc.ReleaseTask(e.ctx, &lease)
			require.NoError(t, err)
			require.Equal(t, tc.StatusInitial, got.Status)
		}},
		{"paused then released", func(t *testing.T, e *env, c *clock, lease tc.TaskLease) {
			e.pauseAndResume(t, lease.ID, func() {
				hb, err := e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: lease})
				require.NoError(t, err)
				require.True(t, hb.PauseRequested)
				got, err := e.svc.ReleaseTask(e.ctx, &lease)
				require.NoError(t, err)
				require.Equal(t, tc.StatusPaused, got.Status)
			})
		}},
		{"paused then rescued", func(t *testing.T, e *env, c *clock, lease tc.TaskLease) {
			e.pauseAndResume(t, lease.ID, func() {
				c.add(31 * time.Second) // the worker fell silent: its lease ran out
				require.Equal(t, 1, e.rescue(t))
				require.Equal(t, tc.StatusPaused, e.get(t, lease.ID).Status)
			})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open func(t *testing.T) tc.Store) {
				e, clk := clocked(t, open(t))
				task := e.submit(t, tc.TypeReboot, []string{"i0"}, func(p *tc.SubmitTaskParams) { p.MaxAttempts = 3 })
				first := e.claimOne(t, "w")
				stale := leaseOf(first, "w")
				c.giveBack(t, e, clk, stale)
				second := e.claimOne(t, "w")
				require.Equal(t, task.ID, second.ID)
				require.Equal(t, first.Attempts, second.Attempts, "the attempt was given back")
				require.Equal(t, first.Claims+1, second.Claims)

				for _, r := range []struct {
					name   string
					report func() error
				}{
					{"heartbeat", func() error {
						_, err := e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: stale, Progress: 90})
						return err
					}},
					{"fail", func() error {
						_, err := e.svc.FailTask(e.ctx, &tc.FailParams{TaskLease: stale, Code: 1, Message: "late", Retryable: true})
						return err
					}},
					{"release", func() error { _, err := e.svc.ReleaseTask(e.ctx, &stale); return err }},
					{"complete", func() error {
						_, err := e.svc.CompleteTask(e.ctx, &tc.CompleteParams{TaskLease: stale, Message: "late"})
						return err
					}},
				} {
					name := r.name
					require.Equal(t, tc.ECONFLICT, tc.ErrorCode(r.report()), "the first claim's %s", name)
					got := e.get(t, task.ID)
					require.Equal(t, tc.StatusRunning, got.Status, "after the first claim's %s", name)
					require.Equal(t, second.Claims, got.Claims)
					require.Equal(t, second.Progress, got.Progress)
				}

				current := leaseOf(second, "w")
				_, err := e.svc.Heartbeat(e.ctx, &tc.HeartbeatParams{TaskLease: current, Progress: 50})
				require.NoError(t, err)
				done, err := e.svc.CompleteTask(e.ctx, &tc.CompleteParams{TaskLease: current, Message: "done"})
				require.NoError(t, err)
				require.Equal(t, tc.StatusSucceed, done.Status)
				require.Equal(t, "done", done.Message)
			})
		})
	}
}

// leaseOf is the lease of a claimed task as a worker reports it.
func leaseOf(t *tc.Task, worker string) tc.TaskLease {
	return tc.TaskLease{Tenant: t.Tenant, ID: t.ID, WorkerID: worker, Attempt: t.Attempts, Claim: t.Claims}
}

// pauseAndResume pauses a running task, lets settle make it PAUSED, and
// resumes it: it is ready again, its attempt given back.
func (e *env) pauseAndResume(t *testing.T, id int64, settle func()) {
	t.Helper()
	asked, err := e.svc.PauseTask(e.ctx, "ta", id, "op")
	require.NoError(t, err)
	require.True(t, asked.PauseRequested)
	settle()
	resumed, err := e.svc.ResumeTask(e.ctx, "ta", id, "op")
	require.NoError(t, err)
	require.Equal(t, tc.StatusInitial, resumed.Status, "its instance is free")
	require.Zero(t, resumed.Attempts)
}
