package sqlite

import (
	"context"
	"database/sql"
)

// hotQueries are the statements of the batch writes. The writer prepares
// them once and reuses them in every transaction: with SQLite,
// preparing is a fair share of what a small statement costs.
var hotQueries = []string{
	insertTaskSQL, linkInstancesSQL, tasksByRequestSQL, unknownInstancesSQL,
	saveStateSQL, saveProgressSQL, tasksByIDSQL, appendEventSQL, appendEventsSQL, claimEventsSQL,
	queueTasksSQL, dequeueTasksSQL, queueOnSQL, blockedSQL, promoteSQL, promoteEventsSQL,
	claimSQL[0][0], claimSQL[0][1], claimSQL[1][0], claimIDsSQL, readyOfTypeSQL, addDeltaSQL, addDeltasSQL,
}

// writeTx is a transaction of the writer, on its held connection. Its
// ExecContext, QueryContext and PrepareContext run the hotQueries from the
// store's prepared statements, and prepare any other query on the
// connection.
//
// These statements run on the caller's context without its cancellation:
// the driver runs every Exec it could interrupt in a goroutine of its own
// and waits for it, and database/sql watches every query's rows from a
// goroutine of their own when the context can be canceled; on the writer,
// which runs one statement after another, each hand-over costs as much as a
// small statement. A canceled context still ends the transaction: each
// statement first returns the context's error, and write does not commit.
// Only a statement already running is not interrupted; the writer's
// statements are each bounded by a batch.
type writeTx struct {
	conn     *sql.Conn
	prepared map[string]*sql.Stmt
	counts   map[countKey]int // changes to the counts, added before the commit
}

// ExecContext executes a query that returns no rows.
func (tx *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	if st := tx.prepared[query]; st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.conn.ExecContext(ctx, query, args...)
}

// QueryContext executes a query that returns rows.
func (tx *writeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	if st := tx.prepared[query]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext executes a query that returns at most one row; a context
// already canceled is the row's error.
func (tx *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() != nil {
		return tx.conn.QueryRowContext(ctx, query, args...) // fails with the context's error
	}
	ctx = context.WithoutCancel(ctx)
	if st := tx.prepared[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.conn.QueryRowContext(ctx, query, args...)
}

// PrepareContext returns a statement of the transaction, for a query run
// many times in it. The caller closes it.
func (tx *writeTx) PrepareContext(ctx context.Context, query string) (*writeStmt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if st := tx.prepared[query]; st != nil {
		return &writeStmt{st: st}, nil
	}
	st, err := tx.conn.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	return &writeStmt{st: st, owned: true}, nil
}

// writeStmt is a statement of a writeTx, run as the writeTx runs its own:
// one of the store's prepared statements, or one prepared for the
// transaction (owned), which Close closes.
type writeStmt struct {
	st    *sql.Stmt
	owned bool
}

// ExecContext executes the statement, which returns no rows.
func (st *writeStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return st.st.ExecContext(context.WithoutCancel(ctx), args...)
}

// Close closes a statement prepared for the transaction; the store's stay.
func (st *writeStmt) Close() error {
	if !st.owned {
		return nil
	}
	return st.st.Close()
}

// preparedQueries returns the writer's prepared hotQueries, preparing them
// on the first call that can: until Migrate has created the tables, none
// can be prepared and writes prepare their statements as they go. They are
// prepared on the writer's held connection, by a write before it begins.
func (s *Store) preparedQueries(ctx context.Context) map[string]*sql.Stmt {
	if m := s.prepared.Load(); m != nil {
		return *m
	}
	s.prepareMu.Lock()
	defer s.prepareMu.Unlock()
	if m := s.prepared.Load(); m != nil {
		return *m
	}
	m := make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		st, err := s.wconn.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			closeStmts(m)
			return nil
		}
		m[q] = st
	}
	s.prepared.Store(&m)
	return m
}

func closeStmts(m map[string]*sql.Stmt) {
	for _, st := range m {
		st.Close()
	}
}

// execRows inserts rows in order: chunk rows at a time through many, a
// statement of that many rows, and the rest one by one through one.
func execRows(ctx context.Context, tx *writeTx, one, many string, chunk int, rows [][]any) error {
	for len(rows) >= chunk {
		args := make([]any, 0, len(rows[0])*chunk)
		for _, row := range rows[:chunk] {
			args = append(args, row...)
		}
		if _, err := tx.ExecContext(ctx, many, args...); err != nil {
			return err
		}
		rows = rows[chunk:]
	}
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, one)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return err
		}
	}
	return nil
}
