package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
)

// tasksWatch shows a task's progress as a live bar until the task ends; it
// fails when the task ends other than SUCCEED, so scripts can wait on it.
func tasksWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, _ := clientFlags(fs)
	tenant := fs.String("tenant", "", "tenant (admin tokens, optional)")
	every := fs.Duration("interval", 500*time.Millisecond, "how often to look")
	id, err := taskIDArg(fs, args, "watch")
	if err != nil {
		return err
	}
	c := newClient()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		task, err := c.GetTask(ctx, *tenant, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\r\033[K%s", progressLine(task))
		if task.Status.Terminal() {
			fmt.Fprintln(stdout)
			if task.Status != tc.StatusSucceed {
				return fmt.Errorf("task %d ended %s: %s", id, task.Status, resultOf(*task))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// progressLine renders a task as one line with a 30-cell progress bar.
func progressLine(t *api.Task) string {
	const width = 30
	filled := t.Progress * width / 100
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	return fmt.Sprintf("task %d %s [%s] %3d%% %-8s %s", t.ID, printable(t.Type), bar, t.Progress, t.Status, printable(t.Message))
}
