package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// callCmd makes a signed call of a vendor API, like the vendors' own CLIs,
// and prints the JSON answer.
func callCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: taskcenter call tencent|qcloud|huawei ACTION [flags]")
	}
	dialect, rest := args[0], args[1:]
	switch dialect {
	case "tencent":
		return callTencent(ctx, rest, stdout, stderr)
	case "qcloud":
		return callQcloud(ctx, rest, stdout, stderr)
	case "huawei":
		return callHuawei(ctx, rest, stdout, stderr)
	}
	return fmt.Errorf("unknown dialect %q: use tencent, qcloud or huawei", dialect)
}
