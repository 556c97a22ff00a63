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
	_ = rest
	switch dialect {
	// call: tencent
	// call: qcloud
	// call: huawei
	}
	return fmt.Errorf("unknown dialect %q: use tencent, qcloud or huawei", dialect)
}
