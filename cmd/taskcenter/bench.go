package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/taskcenter/taskcenter/bench"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("bench: name a benchmark: engine or query")
	}
	switch args[0] {
	case "engine":
		return benchEngineCmd(ctx, args[1:], stdout, stderr)
	case "query":
		return benchQueryCmd(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("bench: unknown benchmark %q: engine or query", args[0])
}

// benchStore opens and migrates the store of a benchmark: SQLite in dataDir
// (a new temporary directory when empty, removed afterwards) or PostgreSQL.
func benchStore(ctx context.Context, store, dataDir string) (cfg *Config, cleanup func(), err error) {
	cleanup = func() {}
	if store == "" && dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "taskcenter-bench-"); err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(dataDir) }
	}
	return &Config{Store: store, DataDir: dataDir}, cleanup, nil
}

func benchEngineCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "", `"" for SQLite in --data-dir, or a postgres:// URL (use a dedicated database)`)
	dataDir := fs.String("data-dir", "", "SQLite directory; default a new temporary one, removed afterwards")
	var cfg bench.EngineConfig
	fs.DurationVar(&cfg.Duration, "duration", 0, "continuous mode: how long to run (default 10s)")
	fs.IntVar(&cfg.Tasks, "tasks", 0, "burn-down mode: submit this many tasks first, then drain them")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "handlers running at once per worker (default 64)")
	fs.IntVar(&cfg.Workers, "workers", 0, "workers (default 1)")
	fs.IntVar(&cfg.Submitters, "submitters", 0, "goroutines submitting tasks (default 4)")
	fs.IntVar(&cfg.Instances, "instances", 0, "instances the exclusive tasks are spread over (default 1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conf, cleanup, err := benchStore(ctx, *storeURL, *dataDir)
	if err != nil {
		return err
	}
	defer cleanup()
	store, err := openStore(ctx, conf)
	if err != nil {
		return err
	}
	defer store.Close()
	cfg.Store, cfg.Out = store, stdout
	fmt.Fprintf(stdout, "engine benchmark on %s\n", storeName(conf))
	_, err = bench.RunEngine(ctx, cfg)
	return err
}
