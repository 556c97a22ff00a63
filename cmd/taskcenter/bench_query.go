package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/bench"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/server"
)

func benchQueryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := benchFlags(fs)
	var gen bench.GenerateConfig
	fs.IntVar(&gen.Tasks, "tasks", 0, "generate this many tasks first; 0 queries the data already in the store")
	fs.IntVar(&gen.Instances, "instances", 0, "instances of the generated data (default 100000)")
	fs.IntVar(&gen.Tenants, "tenants", 0, "tenants of the generated data (default 1000)")
	var cfg bench.QueryConfig
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "a running server to query; default one started in this process")
	fs.IntVar(&cfg.Pid, "pid", 0, "with --endpoint: the server's process id, for its resident memory")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long each shape runs (default 2s)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "requests in flight (default 4)")
	fs.StringVar(&cfg.Only, "only", "", `run only the shapes whose name contains this, e.g. "tencent/" or "instance"`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, name, closeStore, err := common.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	fmt.Fprintf(stdout, "query benchmark on %s\n", name)
	if gen.Tasks > 0 {
		if err := generate(ctx, store, gen, stdout); err != nil {
			return err
		}
	}
	svc := engine.New(store, engine.Config{})
	if cfg.Target, err = benchTarget(ctx, svc); err != nil {
		return err
	}
	if cfg.Creds, err = benchCredentials(ctx, svc, cfg.Target.Tenant); err != nil {
		return err
	}
	if cfg.Endpoint == "" {
		stop, endpoint, err := serveInProcess(svc)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Endpoint, cfg.Pid = endpoint, os.Getpid()
	}
	cfg.Out = stdout
	fmt.Fprintf(stdout, "tenant %s, instance %s, request %s, window ending %s, concurrency %d\n", cfg.Target.Tenant,
		cfg.Target.InstanceID, cfg.Target.RequestID, cfg.Target.End.Format(time.RFC3339), max(cfg.Concurrency, 4))
	_, err = bench.RunQuery(ctx, cfg)
	return err
}

func generate(ctx context.Context, store tc.Store, gen bench.GenerateConfig, stdout io.Writer) error {
	loader, ok := store.(bench.Loader)
	if !ok {
		return errors.New("bench query: this store cannot bulk load")
	}
	gen.Out = stdout
	start := time.Now()
	if _, err := bench.Generate(ctx, loader, gen); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generation: %s\n", time.Since(start).Round(time.Millisecond))
	// What the maintenance and autovacuum would do soon after a load.
	start = time.Now()
	if err := store.TaskCountsCompact(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "counts folded: %s\n", time.Since(start).Round(time.Millisecond))
	if a, ok := store.(interface{ Analyze(context.Context) error }); ok {
		start = time.Now()
		if err := a.Analyze(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "vacuum analyze: %s\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// benchTarget picks the biggest tenant's newest task: its instance, its
// request id and its creation time as the end of the window.
func benchTarget(ctx context.Context, svc *engine.Service) (bench.Target, error) {
	tenant := bench.Tenant(0)
	page, err := svc.ListTasks(ctx, &tc.TaskFilter{Tenant: tenant, Limit: 1})
	if err != nil {
		return bench.Target{}, err
	}
	if len(page.Tasks) == 0 {
		return bench.Target{}, fmt.Errorf("bench query: tenant %s has no task: generate with --tasks", tenant)
	}
	t := page.Tasks[0]
	return bench.Target{Tenant: tenant, InstanceID: t.InstanceIDs[0], RequestID: t.AsyncRequestID,
		End: t.CreatedAt.Add(time.Second).Truncate(time.Second)}, nil
}

// benchCredentials creates a reader credential of every kind the shapes sign with.
func benchCredentials(ctx context.Context, svc *engine.Service, tenant string) (bench.Credentials, error) {
	var c bench.Credentials
	for _, k := range []struct {
		kind     tc.CredentialKind
		id, key  *string
		onlyOnce bool
	}{{tc.KindTencent, &c.TencentID, &c.TencentKey, false}, {tc.KindHuaweiAKSK, &c.HuaweiAK, &c.HuaweiSK, false},
		{tc.KindNative, nil, &c.Token, false}} {
		cred, secret, err := svc.CreateCredential(ctx, &tc.CreateCredentialParams{Tenant: tenant, Kind: k.kind, Role: tc.RoleReader})
		if err != nil {
			return c, fmt.Errorf("bench query: credential: %w", err)
		}
		if k.id != nil {
			*k.id = cred.ID
		}
		*k.key = secret
	}
	return c, nil
}

// serveInProcess serves the native API and the dialects, without rate limit,
// on a free port of 127.0.0.1.
func serveInProcess(svc *engine.Service) (stop func(), endpoint string, err error) {
	logger := slog.New(slog.DiscardHandler)
	cfg := &Config{RateLimit: -1, TimeZone: "UTC", location: time.UTC}
	srv := server.New(server.Config{Logger: logger, Registry: prometheus.NewRegistry(), Ready: svc.Ping})
	srv.Handle("/api/v1/", api.NewHandler(svc, logger))
	mountDialects(srv, svc, nil, cfg, logger)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	go srv.Serve(l)
	return func() { srv.Shutdown(context.Background()) }, "http://" + l.Addr().String(), nil
}
