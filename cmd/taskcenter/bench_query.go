package main

import (
	"context"
	"errors"
	"io"
)

func benchQueryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("bench query: not yet")
}
