// Package pgtest gives each test its own schema in a PostgreSQL database, so
// tests of any package can run in parallel against one server.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the URL of the test database.
const EnvURL = "TASKCENTER_TEST_POSTGRES"

// DefaultURL is the test database used when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL creates a uniquely named, empty schema in the test database and returns
// a connection URL whose search_path is that schema; tb.Cleanup drops it.
// When the server cannot be reached the test is skipped, or fails when the
// environment variable CI is "true".
func URL(tb testing.TB) string {
	tb.Helper()
	base := cmp.Or(os.Getenv(EnvURL), DefaultURL)
	schema := schemaName(tb.Name())
	if err := exec(base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		unreachable(tb, base, err)
	}
	tb.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// unreachable skips the test, loudly, or fails it on CI, where a database
// must always be there.
func unreachable(tb testing.TB, base string, err error) {
	tb.Helper()
	where := redact(base)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("pgtest: PostgreSQL at %s is required on CI (CI=true) but unusable: %v", where, err)
	}
	tb.Skipf("POSTGRES TESTS SKIPPED: cannot use PostgreSQL at %s (%v); start one or set %s", where, err, EnvURL)
}

// exec runs one statement on a short-lived connection to the database at url.
func exec(url, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

var unsafeRE = regexp.MustCompile(`[^a-z0-9]+`)

// schemaName derives a schema name from the test name, unique by a random
// suffix and within PostgreSQL's 63-byte limit.
func schemaName(testName string) string {
	name := strings.Trim(unsafeRE.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	return "test_" + name + "_" + hex.EncodeToString(suffix)
}

// withSearchPath returns the connection string base with search_path set to
// schema, for URLs and key=value strings alike.
func withSearchPath(base, schema string) string {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return base + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redact hides the password of a connection URL for messages.
func redact(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		return "the configured server"
	}
	return u.Redacted()
}
