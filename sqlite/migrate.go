package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrations are the schema changes, named NNN_name.sql and applied in
// order. The postgres store numbers its own the same way.
//
//go:embed migration/*.sql
var migrations embed.FS

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// Migrate applies the embedded migrations the database lacks, each in its own
// transaction, and records their versions in schema_migrations. Running it
// again, or from several processes at once, changes nothing more.
func (s *Store) Migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migration/*.sql") // sorted by name
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	known := map[int]bool{}
	for _, name := range names {
		v, err := migrationVersion(name)
		if err != nil {
			return err
		}
		known[v] = true
	}
	err = s.write(ctx, func(tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			if !known[v] {
				return newerSchema(v)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one migration file unless its version is recorded.
func (s *Store) applyMigration(ctx context.Context, name string) error {
	version, err := migrationVersion(name)
	if err != nil {
		return err
	}
	script, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.write(ctx, func(tx *writeTx) error {
		var applied int
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&applied)
		if err != nil || applied > 0 {
			return dbError("migrate", err)
		}
		if _, err := tx.ExecContext(ctx, string(script)); err != nil {
			return fmt.Errorf("migrate %s: %w", path.Base(name), err)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			version, path.Base(name), time.Now().UnixMilli())
		return dbError("migrate", err)
	})
}

// newerSchema is the error of a database migrated by a later taskcenter: this
// build does not know what the schema holds.
func newerSchema(version int) error {
	return fmt.Errorf("migrate: the database has migration %d, which this build of taskcenter does not know: "+
		"a newer taskcenter migrated it; run that one (or a later one)", version)
}

// migrationVersion parses the number that starts a migration's file name.
func migrationVersion(name string) (int, error) {
	prefix, _, _ := strings.Cut(path.Base(name), "_")
	v, err := strconv.Atoi(prefix)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("migrate: %s does not start with a version number", name)
	}
	return v, nil
}
