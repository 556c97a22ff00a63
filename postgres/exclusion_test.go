package postgres_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestExclusionAcrossStores runs the life of many exclusive tasks on one
// instance through two stores with pools of their own on one schema, as two
// server processes would: concurrent submissions (some not due yet), claims,
// releases, pauses and resumes, completions and promotions of due tasks.
// After every step it reads the statuses: at most one task of the instance
// is INITIAL or RUNNING. At the end the event history must show that no two
// tasks ever held the instance, or ran on it, at the same time.
func TestExclusionAcrossStores(t *testing.T) {
	t.Parallel()
	const (
		rounds      = 12
		submitters  = 8
		total       = rounds * submitters
		workers     = 6
		instance    = "cdb-x"
		tenant      = "ta"
		pauseBudget = 10
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	stores := []*postgres.Store{setup(t, url), setup(t, url)}
	_, err := stores[0].InstancePut(ctx, &tc.Instance{ID: instance, Tenant: tenant, Status: tc.InstanceNormal})
	require.NoError(t, err)

	var violations atomic.Int32
	// fail reports an error, but not the ones of a run already stopped.
	fail := func(format string, args ...any) {
		if ctx.Err() == nil {
			t.Errorf(format, args...)
		}
	}
	// check reads the statuses of the instance's tasks in one snapshot.
	check := func(s *postgres.Store, step string) {
		page, err := s.TaskList(ctx, &tc.TaskFilter{Tenant: tenant, InstanceID: instance,
			Statuses: []tc.Status{tc.StatusInitial, tc.StatusRunning}, Limit: 10})
		if err != nil {
			fail("%s: list: %v", step, err)
			return
		}
		if page.Total > 1 {
			violations.Add(1)
			cancel() // stop at the first violation
			ids := make([]string, len(page.Tasks))
			for i, task := range page.Tasks {
				ids[i] = fmt.Sprintf("%d:%s", task.ID, task.Status)
			}
			t.Errorf("after %s: %d tasks hold the instance: %v", step, page.Total, ids)
		}
	}
	update := func(s *postgres.Store, id int64, actor string, fn func(*tc.Task) error) (*tc.Task, error) {
		return s.TaskUpdate(ctx, &tc.TaskUpdateParams{Tenant: tenant, ID: id, Actor: actor, Now: time.Now(), Update: fn})
	}

	var mu sync.Mutex
	var ids []int64
	var finished atomic.Int32
	var wg sync.WaitGroup
	// Submissions come in rounds of concurrent inserts, half of them on a
	// drained queue, where every insert finds the instance free but one.
	wg.Go(func() {
		for round := range rounds {
			start := make(chan struct{})
			var inserts sync.WaitGroup
			for i := range submitters {
				inserts.Go(func() {
					s := stores[i%2]
					task := &tc.Task{Tenant: tenant, Type: tc.TypeReboot, Status: tc.StatusWaiting, Exclusive: true,
						InstanceIDs: []string{instance}, CreatedAt: time.Now(), Context: []byte(`{}`), MaxAttempts: 3}
					if i%4 == 1 && round%2 == 1 {
						task.RunAfter = time.Now().Add(20 * time.Millisecond) // for TaskPromoteDue
					}
					<-start
					got, _, err := s.TaskInsert(ctx, &tc.TaskInsertParams{Task: task, Actor: "submitter"})
					if err != nil {
						fail("insert: %v", err)
						return
					}
					mu.Lock()
					ids = append(ids, got.ID)
					mu.Unlock()
					check(s, "insert")
				})
			}
			close(start)
			inserts.Wait()
			for round%2 == 0 && int(finished.Load()) < (round+1)*submitters && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
		}
	})

	var pauses atomic.Int32
	done := func() bool { return finished.Load() == total || ctx.Err() != nil }
	// finish ends the attempt of a claimed task in one of several ways, and
	// reports whether the run goes on.
	finish := func(s, other *postgres.Store, worker string, task *tc.Task) bool {
		time.Sleep(time.Millisecond) // the work
		var to tc.Status
		switch {
		case task.ID%5 == 0 && task.Attempts == 1:
			to = tc.StatusInitial // released for another attempt
		case task.ID%7 == 3 && pauses.Add(1) <= pauseBudget:
			to = tc.StatusPaused
		case task.ID%3 == 0:
			to = tc.StatusFailed
		default:
			to = tc.StatusSucceed
		}
		_, err := update(s, task.ID, worker, func(t *tc.Task) error { return t.Transition(to, time.Now()) })
		if err != nil {
			fail("%s: %v", to, err)
			return false
		}
		check(s, string(to))
		switch to {
		case tc.StatusPaused: // resumed through the other process
			_, err = update(other, task.ID, "operator", func(t *tc.Task) error { return t.Transition(tc.StatusWaiting, time.Now()) })
			if err != nil {
				fail("resume: %v", err)
				return false
			}
			check(other, "resume")
		case tc.StatusSucceed, tc.StatusFailed:
			finished.Add(1)
		}
		return true
	}
	for w := range workers {
		wg.Go(func() {
			s, other := stores[w%2], stores[(w+1)%2]
			worker := fmt.Sprint("worker-", w)
			for !done() {
				claimed, err := s.TaskClaim(ctx, &tc.TaskClaimParams{Tenant: tenant, WorkerID: worker,
					Types: []string{tc.TypeReboot}, Max: 2, Lease: time.Minute, Now: time.Now()})
				if err != nil {
					fail("claim: %v", err)
					return
				}
				check(s, "claim")
				if len(claimed) > 1 {
					t.Errorf("claimed %d exclusive tasks of one instance at once", len(claimed))
				}
				if len(claimed) == 0 {
					time.Sleep(2 * time.Millisecond)
					continue
				}
				for _, task := range claimed {
					if !finish(s, other, worker, task) {
						return
					}
				}
			}
		})
	}
	wg.Go(func() { // maintenance, on either process
		for i := 0; !done(); i++ {
			s := stores[i%2]
			if _, err := s.TaskPromoteDue(ctx, time.Now()); err != nil {
				fail("promote due: %v", err)
				return
			}
			check(s, "promote due")
			time.Sleep(5 * time.Millisecond)
		}
	})
	wg.Wait()
	require.Zero(t, violations.Load(), "exclusion violated")
	require.NoError(t, ctx.Err(), "the tasks did not all end in time")
	require.Len(t, ids, total)
	require.EqualValues(t, total, finished.Load())

	// The history: every event that starts or ends a hold of the instance
	// was written under the instance's lock, so seq orders them as they
	// happened; a claim comes after its task's hold began and before it ended.
	holding := []tc.Status{tc.StatusInitial, tc.StatusRunning}
	running := []tc.Status{tc.StatusRunning}
	var holds, runs []interval
	for _, id := range ids {
		events, err := stores[id%2].TaskEvents(ctx, tenant, id)
		require.NoError(t, err)
		require.True(t, events[len(events)-1].To.Terminal(), "task %d ended", id)
		holds = append(holds, intervals(id, events, holding)...)
		runs = append(runs, intervals(id, events, running)...)
	}
	require.NotEmpty(t, runs)
	requireDisjoint(t, "held", holds)
	requireDisjoint(t, "ran", runs)
}

// interval is a span of event seqs in which a task was in some statuses.
type interval struct {
	task       int64
	start, end int64
}

// intervals returns the spans of a task's history in which its status was
// one of in.
func intervals(task int64, events []*tc.Event, in []tc.Status) []interval {
	var out []interval
	open := int64(-1)
	for _, e := range events {
		was, is := slices.Contains(in, e.From), slices.Contains(in, e.To)
		switch {
		case !was && is:
			open = e.Seq
		case was && !is:
			out = append(out, interval{task, open, e.Seq})
			open = -1
		}
	}
	if open >= 0 {
		out = append(out, interval{task, open, 1<<63 - 1})
	}
	return out
}

// requireDisjoint fails when two of the intervals overlap.
func requireDisjoint(t *testing.T, what string, list []interval) {
	t.Helper()
	slices.SortFunc(list, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(list); i++ {
		prev, cur := list[i-1], list[i]
		require.Greater(t, cur.start, prev.end, "tasks %d and %d %s the instance at the same time: seqs %d-%d and %d-%d",
			prev.task, cur.task, what, prev.start, prev.end, cur.start, cur.end)
	}
}
