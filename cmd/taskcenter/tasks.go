package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/taskcenter/taskcenter/api"
	"github.com/taskcenter/taskcenter/client"
)

func tasksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: taskcenter tasks submit|get|list|events|watch|cancel|pause|resume")
	}
	switch args[0] {
	case "submit":
		return tasksSubmit(ctx, args[1:], stdout, stderr)
	case "get":
		return tasksGet(ctx, args[1:], stdout, stderr)
	case "list":
		return tasksList(ctx, args[1:], stdout, stderr)
	case "events":
		return tasksEvents(ctx, args[1:], stdout, stderr)
	case "watch":
		return tasksWatch(ctx, args[1:], stdout, stderr)
	case "cancel", "pause", "resume":
		return tasksAct(ctx, args[0], args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command tasks %q", args[0])
}

func tasksSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	var in api.SubmitTask
	var instances stringList
	fs.StringVar(&in.Tenant, "tenant", "", "tenant (admin tokens only)")
	fs.StringVar(&in.Type, "type", "", "task type, e.g. REBOOT or \"BATCH ROLLBACK\"")
	fs.Var(&instances, "instance", "instance id (repeatable)")
	fs.StringVar(&in.AsyncRequestID, "async-request-id", "", "idempotency key: a repeat returns the same task")
	taskCtx := fs.String("context", "", "task context: a JSON object, or @FILE to read one")
	runAfter := fs.String("run-after", "", "do not start before this RFC 3339 time")
	fs.IntVar(&in.MaxAttempts, "max-attempts", 0, "attempts before the task fails (default: the type's)")
	timeout := fs.Duration("timeout", 0, "timeout of one attempt, e.g. 30m (default: the type's)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	in.InstanceIDs = instances
	in.TimeoutSeconds = int64(timeout.Seconds())
	if *taskCtx != "" {
		raw, err := readContext(*taskCtx)
		if err != nil {
			return err
		}
		in.Context = raw
	}
	if *runAfter != "" {
		t, err := time.Parse(time.RFC3339, *runAfter)
		if err != nil {
			return fmt.Errorf("--run-after: %w", err)
		}
		in.RunAfter = &t
	}
	task, created, err := newClient().SubmitTask(ctx, in)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, task)
	}
	if !created {
		fmt.Fprintln(stderr, "a task with this async request id exists already:")
	}
	return printTask(stdout, task)
}

func readContext(arg string) (json.RawMessage, error) {
	b := []byte(arg)
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		var err error
		if b, err = os.ReadFile(name); err != nil {
			return nil, fmt.Errorf("--context: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, errors.New("--context: not valid JSON")
	}
	return b, nil
}

func tasksGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	tenant := fs.String("tenant", "", "tenant (admin tokens, optional)")
	id, err := taskIDArg(fs, args, "get")
	if err != nil {
		return err
	}
	task, err := newClient().GetTask(ctx, *tenant, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, task)
	}
	return printTask(stdout, task)
}

func tasksAct(ctx context.Context, action string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	tenant := fs.String("tenant", "", "tenant (admin tokens, optional)")
	id, err := taskIDArg(fs, args, action)
	if err != nil {
		return err
	}
	c := newClient()
	do := map[string]func(context.Context, string, int64) (*api.Task, error){
		"cancel": c.CancelTask, "pause": c.PauseTask, "resume": c.ResumeTask,
	}[action]
	task, err := do(ctx, *tenant, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, task)
	}
	return printTask(stdout, task)
}

func tasksEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	tenant := fs.String("tenant", "", "tenant (admin tokens, optional)")
	id, err := taskIDArg(fs, args, "events")
	if err != nil {
		return err
	}
	events, err := newClient().TaskEvents(ctx, *tenant, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, events)
	}
	rows := make([][]string, 0, len(events.Events))
	for _, e := range events.Events {
		from := string(e.From)
		if from == "" {
			from = "-"
		}
		rows = append(rows, []string{fmtTime(&e.At), from, string(e.To), strconv.Itoa(e.Progress) + "%", e.Actor, e.Message})
	}
	return table(stdout, []string{"AT", "FROM", "TO", "PROGRESS", "ACTOR", "MESSAGE"}, rows)
}

func taskIDArg(fs *flag.FlagSet, args []string, cmd string) (int64, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 {
		return 0, fmt.Errorf("usage: taskcenter tasks %s ID", cmd)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("task id %q is not a positive integer", pos[0])
	}
	return id, nil
}

func tasksList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	var f client.TaskFilter
	var types, statuses stringList
	fs.StringVar(&f.Tenant, "tenant", "", "tenant (admin tokens; default all)")
	fs.StringVar(&f.InstanceID, "instance", "", "only tasks on this instance")
	fs.Var(&types, "type", "task type (repeatable)")
	fs.Var(&statuses, "status", "status (repeatable), e.g. RUNNING")
	fs.StringVar(&f.AsyncRequestID, "async-request-id", "", "only the task with this async request id")
	after := fs.String("created-after", "", "created at or after this RFC 3339 time")
	before := fs.String("created-before", "", "created before this RFC 3339 time")
	fs.IntVar(&f.Limit, "limit", 0, "page size (default 50)")
	fs.StringVar(&f.Cursor, "cursor", "", "the next cursor of a previous page")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	f.Types, f.Statuses = types, statuses
	for _, tf := range []struct {
		flag string
		src  string
		dst  *time.Time
	}{{"--created-after", *after, &f.CreatedAfter}, {"--created-before", *before, &f.CreatedBefore}} {
		if tf.src == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, tf.src)
		if err != nil {
			return fmt.Errorf("%s: %w", tf.flag, err)
		}
		*tf.dst = t
	}
	list, err := newClient().ListTasks(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, list)
	}
	rows := make([][]string, 0, len(list.Tasks))
	for _, t := range list.Tasks {
		rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.Type, string(t.Status), strconv.Itoa(t.Progress) + "%",
			strings.Join(t.InstanceIDs, ","), fmtTime(&t.CreatedAt), fmtTime(t.EndedAt), resultOf(t)})
	}
	if err := table(stdout, []string{"ID", "TYPE", "STATUS", "PROGRESS", "INSTANCES", "CREATED", "ENDED", "RESULT"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d of %d tasks", len(list.Tasks), list.Total)
	if list.NextCursor != "" {
		fmt.Fprintf(stdout, "; more: --cursor %s", list.NextCursor)
	}
	fmt.Fprintln(stdout)
	return nil
}

func resultOf(t api.Task) string {
	if t.Code == 0 {
		return t.Message
	}
	return fmt.Sprintf("%d %s", t.Code, t.Message)
}

func printTask(w io.Writer, t *api.Task) error {
	ctxJSON, _ := json.Marshal(t.Context)
	rows := [][]string{
		{"id", strconv.FormatInt(t.ID, 10)},
		{"tenant", t.Tenant},
		{"type", t.Type},
		{"status", string(t.Status)},
		{"progress", strconv.Itoa(t.Progress) + "%"},
		{"result", resultOf(*t)},
		{"instances", strings.Join(t.InstanceIDs, ", ")},
		{"async request id", t.AsyncRequestID},
		{"created", fmtTime(&t.CreatedAt)},
		{"started", fmtTime(t.StartedAt)},
		{"ended", fmtTime(t.EndedAt)},
		{"attempts", fmt.Sprintf("%d of %d", t.Attempts, t.MaxAttempts)},
		{"context", string(ctxJSON)},
	}
	for _, a := range t.AttachInfo {
		rows = append(rows, []string{"attach " + a.Key, a.Value})
	}
	return table(w, []string{"FIELD", "VALUE"}, rows)
}
