package postgres

import (
	"context"
	"embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// migrateLockClass is the first key of the advisory lock that serializes
// migrations; the second is a hash of the schema, so distinct schemas of one
// database migrate independently.
const migrateLockClass = 0x7461736b // "task"

// migration is one embedded SQL file, NNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the embedded migrations that the schema lacks, each once,
// and records their versions in schema_migrations. It runs in one transaction
// under an advisory lock, so replicas that start together wait for the first
// one and then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		applied, err := lockMigrations(ctx, tx)
		if err != nil {
			return err
		}
		for v := range applied {
			if !slices.ContainsFunc(migrations, func(m migration) bool { return m.version == v }) {
				return fmt.Errorf("the schema has migration %d, which this build of taskcenter does not know: "+
					"a newer taskcenter migrated it; run that one (or a later one)", v)
			}
		}
		for _, m := range migrations {
			if applied[m.version] {
				continue
			}
			if err := applyMigration(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return storeErr("migrate", err)
}

// lockMigrations takes the migration lock for the transaction, creates
// schema_migrations when missing and returns the versions already applied.
func lockMigrations(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	const lock = `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`
	if _, err := tx.Exec(ctx, lock, migrateLockClass); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := tx.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// applyMigration runs one migration and records its version.
func applyMigration(ctx context.Context, tx pgx.Tx, m migration) error {
	// Exec without arguments uses the simple protocol, which runs a file of
	// several statements.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("apply %s: %w", m.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fmt.Errorf("record %s: %w", m.name, err)
	}
	return nil
}

// loadMigrations reads the embedded migrations, ordered by version.
func loadMigrations() ([]migration, error) {
	entries, err := migrationFS.ReadDir("migration")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		m, err := readMigration(e.Name())
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && out[len(out)-1].version == m.version {
			return nil, fmt.Errorf("migration %s: version %d is used twice", m.name, m.version)
		}
		out = append(out, m)
	}
	// ReadDir sorts by name; the numeric order must agree.
	if !slices.IsSortedFunc(out, func(a, b migration) int { return a.version - b.version }) {
		return nil, fmt.Errorf("migrations: names must sort in version order")
	}
	return out, nil
}

// readMigration reads one embedded file and parses its version.
func readMigration(name string) (migration, error) {
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 {
		return migration{}, fmt.Errorf("migration %s: name must be NNN_name.sql", name)
	}
	body, err := migrationFS.ReadFile(path.Join("migration", name))
	if err != nil {
		return migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	return migration{version: version, name: name, sql: string(body)}, nil
}
