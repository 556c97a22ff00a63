package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/taskcenter/taskcenter/client"
)

// clientFlags declares the flags every client command shares and returns a
// function that makes the client once they are parsed.
func clientFlags(fs *flag.FlagSet) (newClient func() *client.Client, asJSON *bool) {
	endpoint := fs.String("endpoint", envOr("TASKCENTER_ENDPOINT", "http://127.0.0.1:8080"), "server `URL` (TASKCENTER_ENDPOINT)")
	token := fs.String("token", os.Getenv("TASKCENTER_TOKEN"), "bearer `token` (TASKCENTER_TOKEN)")
	asJSON = fs.Bool("json", false, "print JSON instead of a table")
	return func() *client.Client { return client.New(*endpoint, *token) }, asJSON
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// stringList is a flag that may repeat; each value may also be comma-separated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under a header, aligned in columns.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = printable(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printable replaces control characters, which a worker's message could use
// to move the cursor or rewrite the terminal, with a visible mark.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '�'
		}
		return r
	}, s)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// parseArgs parses flags that may come before or after positional
// arguments, as people type them, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
