// Command taskcenter is the task center of a database platform: the server
// (serve, migrate) and a command-line client of its native API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones also on hosts without a zone database

	tc "github.com/taskcenter/taskcenter"
)

const usage = `taskcenter records, runs and reports asynchronous operations on database instances.

Usage:
  taskcenter serve [flags]                 run the server
  taskcenter migrate [flags]               apply the store's migrations and exit
  taskcenter instances put ID [flags]      create or replace an instance
  taskcenter instances list [flags]        list instances
  taskcenter tasks submit [flags]          submit a task
  taskcenter tasks get ID                  show a task
  taskcenter tasks list [flags]            list tasks with filters and the exact total
  taskcenter tasks events ID               show a task's history
  taskcenter tasks watch ID                a live progress bar until the task ends
  taskcenter tasks cancel|pause|resume ID  act on a task
  taskcenter credentials create [flags]    create a credential (its secret is shown once)
  taskcenter call DIALECT ACTION [flags]   a signed call of a vendor API: tencent, qcloud, huawei
  taskcenter bench engine|query [flags]    measure engine throughput or list latency (docs/BENCHMARKS.md)

Run "taskcenter COMMAND -h" for the flags of a command.
`

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "taskcenter:", describe(err))
		}
		os.Exit(2)
	}
}

// run dispatches a command line; stdout gets results, stderr diagnostics.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, stderr)
	case "instances":
		return instancesCmd(ctx, rest, stdout, stderr)
	case "tasks":
		return tasksCmd(ctx, rest, stdout, stderr)
	case "credentials":
		return credentialsCmd(ctx, rest, stdout, stderr)
	case "call":
		return callCmd(ctx, rest, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// describe renders an error for a person: the field and message of a
// taskcenter error, the text of anything else.
func describe(err error) string {
	var e *tc.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return fmt.Sprintf("%s (%s: %s)", e.Message, e.Code, e.Field)
		}
		return fmt.Sprintf("%s (%s)", e.Message, e.Code)
	}
	return err.Error()
}
