package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/api"
)

func credentialsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: taskcenter credentials create --kind KIND [--role ROLE] [--tenant TENANT]")
	}
	fs := flag.NewFlagSet("credentials create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newClient, asJSON := clientFlags(fs)
	var in api.CreateCredential
	fs.StringVar(&in.Tenant, "tenant", "", "tenant the credential belongs to (admin tokens)")
	kind := fs.String("kind", "native", "tencent, huawei-aksk, huawei-token or native")
	role := fs.String("role", "reader", "admin, operator, reader or worker")
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return err
	}
	in.Kind, in.Role = tc.CredentialKind(*kind), tc.Role(*role)
	cred, err := newClient().CreateCredential(ctx, in)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, cred)
	}
	if err := table(stdout, []string{"ID", "SECRET", "TENANT", "KIND", "ROLE"},
		[][]string{{cred.ID, cred.Secret, cred.Tenant, string(cred.Kind), string(cred.Role)}}); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, "\nKeep the secret now: it is never shown again.")
	return err
}
