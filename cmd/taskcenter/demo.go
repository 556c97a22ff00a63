package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/worker"
)

// demoTenant is the tenant serve --demo fills.
const demoTenant = "demo"

// demoCredentials are the demo tenant's credentials. Their ids are fixed, in
// the format of their kinds, so that a restart on the same store, or another
// replica starting the demo on it, finds the ones made first instead of
// adding more; their secrets are random, and shown only by the start that
// made them.
var demoCredentials = []struct {
	id   string
	kind tc.CredentialKind
	role tc.Role
}{
	{"tok-DEMOOPERATOR0000", tc.KindNative, tc.RoleOperator},
	{"AKIDdemoReader0000000000000000000000", tc.KindTencent, tc.RoleReader},
	{"DEMOREADER0000000000", tc.KindHuaweiAKSK, tc.RoleReader},
}

// startDemo makes the demo tenant with instances and credentials, prints the
// credentials (the secrets of those it made), starts the simulated executor
// on the tenant's tasks, and submits a few tasks so that something moves
// from the first second.
func startDemo(ctx context.Context, svc *engine.Service, cfg *Config, out io.Writer, logger *slog.Logger) (*worker.Worker, error) {
	for i, name := range []string{"orders", "billing", "catalog", "sessions"} {
		_, err := svc.PutInstance(ctx, &tc.Instance{ID: fmt.Sprintf("cdb-demo%02d", i+1), Tenant: demoTenant,
			Name: name, Engine: "mysql", Region: "ap-guangzhou"})
		if err != nil {
			return nil, fmt.Errorf("demo instance: %w", err)
		}
	}
	fmt.Fprintf(out, "Demo tenant %q: tasks of this tenant are run by a SIMULATED executor (no database is touched).\n", demoTenant)
	found := false
	for _, c := range demoCredentials {
		_, secret, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{ID: c.id, Tenant: demoTenant, Kind: c.kind, Role: c.role})
		switch {
		case tc.ErrorCode(err) == tc.ECONFLICT:
			// Made by an earlier start or another replica, which showed
			// its secret; a secret is shown once.
			found = true
			fmt.Fprintf(out, "  %-12s %-8s id %s  (made by an earlier start, which showed its secret)\n", c.kind, c.role, c.id)
		case err != nil:
			return nil, fmt.Errorf("demo credential: %w", err)
		default:
			fmt.Fprintf(out, "  %-12s %-8s id %s  secret %s\n", c.kind, c.role, c.id, secret)
		}
	}
	if found {
		fmt.Fprintf(out, "  An admin makes others with: taskcenter credentials create --tenant %s --kind KIND --role ROLE\n", demoTenant)
	}

	// Each replica's executor has its own id: leases name the process.
	host, _ := os.Hostname()
	// On shutdown it waits for its running tasks no longer than the
	// server's grace, then gives them back.
	grace := max(min(cfg.ShutdownTimeout, 10*time.Second), time.Millisecond)
	w := worker.New(svc, worker.Config{ID: fmt.Sprintf("simulator-%s-%d", host, os.Getpid()), Tenant: demoTenant,
		Concurrency: 16, Heartbeat: cfg.Lease / 3, Grace: grace, Logger: logger})
	sim := simulator{step: cfg.DemoStep}
	for _, t := range tc.BuiltinTypes() {
		w.Handle(t.Key, sim.run)
	}
	w.Start(ctx)

	for i, typ := range []string{tc.TypeReboot, tc.TypeModifyParam, tc.TypeImportData, tc.TypeUpgradeMaster, tc.TypeOpenGTID} {
		inst := fmt.Sprintf("cdb-demo%02d", i%4+1)
		if _, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: demoTenant, Type: typ,
			InstanceIDs: []string{inst}, Actor: "demo"}); err != nil {
			return nil, fmt.Errorf("demo task: %w", err)
		}
	}
	rollback, _ := json.Marshal(tc.RollbackContext{Operator: "demo", RollbackTime: time.Now().Add(-time.Hour).Format(time.DateTime),
		DBs: []tc.RollbackDB{{DBName: "orders", NewName: "orders_bak"}, {DBName: "users", NewName: "users_bak"}}})
	if _, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: demoTenant, Type: tc.TypeBatchRollback,
		InstanceIDs: []string{"cdb-demo01"}, Context: rollback, Actor: "demo"}); err != nil {
		return nil, fmt.Errorf("demo task: %w", err)
	}
	return w, nil
}

// simulator is the demo's simulated executor: it pretends to run a task in
// 5 to 14 steps of about step each (10 s with the default), reporting
// progress after each, and fails one attempt in ten (retryably) so the demo
// shows retries and failures too.
type simulator struct{ step time.Duration }

func (s simulator) run(ctx context.Context, task *tc.Task, report worker.Reporter) (*worker.Result, error) {
	steps := 5 + rand.IntN(10)
	for i := 1; i <= steps; i++ {
		pause := time.Duration(float64(s.step) * (0.7 + 0.6*rand.Float64()))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		if i == steps/2 && rand.IntN(10) == 0 {
			return nil, &worker.Failure{Code: 9013, Message: "simulated failure: the instance did not answer", Retryable: true}
		}
		report(100*i/(steps+1), fmt.Sprintf("simulated step %d of %d", i, steps))
	}
	return &worker.Result{Message: "simulated: done"}, nil
}
