package pgtest

import (
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a private PostgreSQL server for one test, on its own port and
// data directory, so the test may stop and start it (a database outage)
// without touching the server other tests share.
type Cluster struct {
	tb   testing.TB
	bin  string // directory of initdb and pg_ctl
	dir  string
	port int
	as   string // the user the server runs as
}

// NewCluster initializes and starts a cluster, stopped again when the test
// ends. Without PostgreSQL's binaries the test is skipped, or fails under
// CI=true.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := serverBinaries()
	if bin == "" {
		unreachable(tb, "a private cluster", fmt.Errorf("initdb and pg_ctl not found"))
	}
	// Not under tb.TempDir: its parents are private to this user, and
	// PostgreSQL, which refuses to run as root, runs as postgres then.
	home, err := os.MkdirTemp("", "pgtest-cluster-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(home) })
	c := &Cluster{tb: tb, bin: bin, dir: filepath.Join(home, "pgdata"), port: freePort(tb)}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		c.as = "postgres"
		c.run("chown", "-R", "postgres", home)
	}
	c.pg("initdb", "-D", c.dir, "-A", "trust", "-U", "postgres", "--no-sync")
	c.Start()
	tb.Cleanup(func() { _ = c.command("pg_ctl", "-D", c.dir, "-m", "immediate", "stop") })
	return c
}

// URL is the connection URL of the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.tb.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off", c.port, filepath.Dir(c.dir))
	c.pg("pg_ctl", "-D", c.dir, "-o", opts, "-l", filepath.Join(filepath.Dir(c.dir), "log"), "-w", "start")
}

// Stop stops the server at once, as a crash of the database would:
// connections are cut and nothing is flushed politely.
func (c *Cluster) Stop() {
	c.tb.Helper()
	c.pg("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
}

func (c *Cluster) pg(name string, args ...string) {
	c.tb.Helper()
	if err := c.command(name, args...); err != nil {
		c.tb.Fatalf("pgtest: %s: %v", name, err)
	}
}

func (c *Cluster) command(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *osexec.Cmd
	if c.as != "" {
		cmd = osexec.Command("runuser", append([]string{"-u", c.as, "--", path}, args...)...)
	} else {
		cmd = osexec.Command(path, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func (c *Cluster) run(name string, args ...string) {
	c.tb.Helper()
	if out, err := osexec.Command(name, args...).CombinedOutput(); err != nil {
		c.tb.Fatalf("pgtest: %s: %v: %s", name, err, out)
	}
}

// serverBinaries finds the directory of initdb and pg_ctl: on PATH, or in
// Debian's /usr/lib/postgresql/<version>/bin.
func serverBinaries() string {
	if p, err := osexec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pgtest: free port: %v", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(port)
	return n
}
