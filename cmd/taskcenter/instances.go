package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/taskcenter/taskcenter/api"
)

func instancesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: taskcenter instances put|list")
	}
	switch args[0] {
	case "put":
		return instancesPut(ctx, args[1:], stdout, stderr)
	case "list":
		return instancesList(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command instances %q", args[0])
}

func instancesPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("instances put", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	var in api.PutInstance
	fs.StringVar(&in.Tenant, "tenant", "", "tenant (admin tokens only)")
	fs.StringVar(&in.Name, "name", "", "instance name")
	fs.StringVar(&in.Engine, "engine", "", "database engine, e.g. mysql")
	fs.StringVar(&in.Region, "region", "", "region")
	fs.StringVar(&in.Status, "status", "", "instance status (default normal)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: taskcenter instances put ID [flags]")
	}
	inst, err := newClient().PutInstance(ctx, pos[0], in)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, inst)
	}
	return printInstances(stdout, []api.Instance{*inst})
}

func instancesList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("instances list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	tenant := fs.String("tenant", "", "tenant (admin tokens only)")
	limit := fs.Int("limit", 0, "page size (default 50)")
	cursor := fs.String("cursor", "", "the next cursor of a previous page")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	list, err := newClient().ListInstances(ctx, *tenant, *limit, *cursor)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, list)
	}
	if err := printInstances(stdout, list.Instances); err != nil {
		return err
	}
	if list.NextCursor != "" {
		fmt.Fprintf(stdout, "\nmore: --cursor %s\n", list.NextCursor)
	}
	return nil
}

func printInstances(w io.Writer, list []api.Instance) error {
	rows := make([][]string, 0, len(list))
	for _, i := range list {
		rows = append(rows, []string{i.ID, i.Tenant, i.Name, i.Engine, i.Region, i.Status})
	}
	return table(w, []string{"ID", "TENANT", "NAME", "ENGINE", "REGION", "STATUS"}, rows)
}
