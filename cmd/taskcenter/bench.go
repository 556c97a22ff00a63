package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	tc "github.com/taskcenter/taskcenter"
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

// benchCommon are the flags every benchmark takes: where its store is, and
// where its CPU profile goes.
type benchCommon struct {
	storeURL, dataDir, cpuProfile *string
}

func benchFlags(fs *flag.FlagSet) *benchCommon {
	return &benchCommon{
		storeURL:   fs.String("store", "", `"" for SQLite in --data-dir, or a postgres:// URL (use a dedicated database)`),
		dataDir:    fs.String("data-dir", "", "SQLite directory; default a new temporary one, removed afterwards"),
		cpuProfile: fs.String("cpuprofile", "", "write a CPU profile of the run (data generation included) to this file"),
	}
}

// open starts the profile, then opens and migrates the store: a postgres://
// URL, SQLite in the data directory, or SQLite in a new temporary directory.
// closeFn closes the store, removes that directory and ends the profile.
func (c *benchCommon) open(ctx context.Context) (store tc.Store, name string, closeFn func(), err error) {
	stopProfile := func() {}
	if *c.cpuProfile != "" {
		f, err := os.Create(*c.cpuProfile)
		if err != nil {
			return nil, "", nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, "", nil, err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	dataDir, removeDir := *c.dataDir, func() {}
	if *c.storeURL == "" && dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "taskcenter-bench-"); err != nil {
			stopProfile()
			return nil, "", nil, err
		}
		removeDir = func() { os.RemoveAll(dataDir) }
	}
	conf := &Config{Store: *c.storeURL, DataDir: dataDir}
	if store, err = openStore(ctx, conf); err != nil {
		removeDir()
		stopProfile()
		return nil, "", nil, err
	}
	return store, storeName(conf), func() { store.Close(); removeDir(); stopProfile() }, nil
}

func benchEngineCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := benchFlags(fs)
	var cfg bench.EngineConfig
	fs.DurationVar(&cfg.Duration, "duration", 0, "continuous mode: how long to run (default 10s)")
	fs.IntVar(&cfg.Tasks, "tasks", 0, "burn-down mode: submit this many tasks first, then drain them")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "handlers running at once per worker (default 64)")
	fs.IntVar(&cfg.Workers, "workers", 0, "workers (default 1)")
	fs.IntVar(&cfg.Submitters, "submitters", 0, "goroutines submitting tasks (default 4)")
	fs.IntVar(&cfg.SubmitBatch, "submit-batch", 0, "tasks per submission, 1 for one at a time (default 100)")
	fs.IntVar(&cfg.Flushers, "flushers", 0, "batches of writes the engine writes at once (default 1)")
	fs.IntVar(&cfg.Instances, "instances", 0, "instances the exclusive tasks are spread over (default 1000)")
	fs.IntVar(&cfg.Tenants, "tenants", 0, "tenants the instances belong to, in turn (default 1)")
	fs.BoolVar(&cfg.NoMaintenance, "no-maintenance", false, "leave out the maintenance, which folds the counts every second")
	fs.BoolVar(&cfg.Watch, "watch", false, "run the event feed with one subscriber of every tenant, as an open console would")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, name, closeStore, err := common.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	cfg.Store, cfg.Out = store, stdout
	fmt.Fprintf(stdout, "engine benchmark on %s\n", name)
	_, err = bench.RunEngine(ctx, cfg)
	return err
}
