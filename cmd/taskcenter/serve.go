package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/console"
	"github.com/taskcenter/taskcenter/engine"
	"github.com/taskcenter/taskcenter/postgres"
	"github.com/taskcenter/taskcenter/server"
	"github.com/taskcenter/taskcenter/sqlite"
)

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config()
	if err != nil {
		return err
	}
	logger := newLogger(stdout, cfg.LogLevel)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	svc := engine.New(store, engine.Config{Lease: cfg.Lease})
	if err := bootstrapAdmin(ctx, svc, cfg, stderr); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&server.TaskCollector{Counts: func(ctx context.Context) (map[tc.Status]int, error) {
			return svc.CountTasks(ctx, tc.AllTenants)
		}, Logger: logger},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "taskcenter_claims_waiting",
			Help: "Workers' claims waiting for work in this process (long polls)."},
			func() float64 { return float64(svc.WaitingClaims()) }))
	maintenance := svc.NewMaintenance(engine.MaintenanceConfig{Retention: cfg.Retention, Logger: logger})
	maintenance.Start(ctx)
	defer maintenance.Stop()
	if cfg.Demo {
		demo, err := startDemo(ctx, svc, cfg, stderr, logger)
		if err != nil {
			return err
		}
		// Deferred after the maintenance, so it stops first and its
		// running tasks are given back before the store closes.
		defer demo.Stop()
	}

	// One feed per process tails the store's events for every event stream.
	feed := svc.NewFeed(engine.FeedConfig{Logger: logger})
	feed.Start(ctx)
	defer feed.Stop()

	srv := server.New(server.Config{Logger: logger, Registry: reg, Ready: svc.Ping})
	// Shutdown waits for requests in flight; stopping the feed ends the
	// event streams, which would otherwise never finish.
	srv.OnShutdown(feed.Stop)
	// Nor would workers' long polls before their wait runs out.
	srv.OnShutdown(svc.Drain)
	apiOpts := []api.Option{api.WithWatcher(feed)}
	// PostgreSQL is shared by the replicas: so are the stream tickets and
	// the Nonces of signed requests.
	shared, _ := store.(tc.SharedStore)
	if shared != nil {
		apiOpts = append(apiOpts, api.WithSharedTickets(shared))
	}
	srv.Handle("/api/v1/", api.NewHandler(svc, logger, apiOpts...))
	// TASKCENTER_CONSOLE_DIR serves the console from a directory (e.g.
	// console/static) instead of the embedded copy, for development.
	consoleHandler := console.Handler(os.Getenv("TASKCENTER_CONSOLE_DIR"))
	srv.Handle("GET /console/", consoleHandler)
	srv.Handle("GET /console", consoleHandler)
	mountDialects(srv, svc, shared, cfg, logger)

	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("taskcenter listening", "addr", l.Addr().String(), "store", storeName(cfg), "data_dir", cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrated %s\n", storeName(cfg))
	return store.Close()
}

// openStore opens and migrates the configured store: SQLite in the data
// directory, or PostgreSQL.
func openStore(ctx context.Context, cfg *Config) (tc.Store, error) {
	type migrator interface {
		tc.Store
		Migrate(context.Context) error
	}
	var (
		store migrator
		err   error
	)
	if cfg.Store == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		store, err = sqlite.Open(filepath.Join(cfg.DataDir, "taskcenter.db"))
	} else {
		store, err = postgres.Open(ctx, cfg.Store)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return store, nil
}

// bootstrapAdmin creates the first admin token on an empty store: the one in
// TASKCENTER_ADMIN_TOKEN, or a random one printed once and written to
// <data dir>/admin-token with mode 0600.
func bootstrapAdmin(ctx context.Context, svc *engine.Service, cfg *Config, stderr io.Writer) error {
	token, created, err := svc.BootstrapAdmin(ctx, cfg.AdminToken)
	if err != nil || !created || cfg.AdminToken != "" {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "admin-token")
	// Shown first: should the file fail, the token is not lost.
	fmt.Fprintf(stderr, "Created the admin token (shown once, also in %s):\n  %s\n", path, token)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	_, err = fmt.Fprintln(f, token)
	if err := errors.Join(err, f.Chmod(0o600), f.Close()); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // Validate accepted it
	return slog.New(server.LogHandler{Handler: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}

// storeName describes the store without the passwords of its URL: the
// user's, and those libpq takes as parameters.
func storeName(cfg *Config) string {
	if cfg.Store == "" {
		return "sqlite"
	}
	u, err := url.Parse(cfg.Store)
	if err != nil {
		return "postgres"
	}
	q := u.Query()
	for _, secret := range []string{"password", "sslpassword"} {
		if q.Has(secret) {
			q.Set(secret, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return "postgres " + u.Redacted()
}
