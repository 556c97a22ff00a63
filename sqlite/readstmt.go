package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxReadStmts bounds the distinct queries whose statements the readers
// keep; the lists' queries vary with the filter's shape, not its values, so
// a few hundred cover them, and any beyond are prepared each time.
const maxReadStmts = 512

// stmtCache holds statements prepared on the reader pool. database/sql
// prepares each on a connection the first time it runs there and keeps it:
// preparing costs more than a small query runs.
//
// A query not prepared yet runs unprepared while its statement is prepared
// in the background: preparing needs a free connection of the pool, which a
// caller holding one in a transaction must not wait for.
type stmtCache struct {
	db        *sql.DB
	mu        sync.Mutex
	stmts     map[string]*sql.Stmt // nil while being prepared
	closed    bool
	preparing sync.WaitGroup // the background preparations, which close waits for
}

// get returns the statement of q, or nil when it is not prepared (yet).
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stmts[q]
	if ok || c.closed || len(c.stmts) >= maxReadStmts {
		return st
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = nil
	c.preparing.Go(func() { c.prepare(q) })
	return nil
}

func (c *stmtCache) prepare(q string) {
	st, err := c.db.Prepare(q)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		delete(c.stmts, q) // the query itself reports the error; a later one tries again
	case c.closed:
		st.Close()
	default:
		c.stmts[q] = st
	}
}

// close closes the statements and waits for those being prepared, which
// close themselves: one still preparing once the pool closes could open a
// connection after it, creating the database's files again.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	for _, st := range c.stmts {
		if st != nil {
			st.Close()
		}
	}
	c.mu.Unlock()
	c.preparing.Wait()
}

// QueryRowContext runs a one-row query on the reader pool.
func (c *stmtCache) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := c.get(q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, q, args...)
}

// QueryContext runs a query on the reader pool.
func (c *stmtCache) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.get(q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, q, args...)
}

// readTx is a read transaction whose queries run from the reader's
// statements.
type readTx struct {
	*sql.Tx
	stmts *stmtCache
}

// QueryContext executes a query that returns rows.
func (tx *readTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := tx.stmts.get(q); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext executes a query that returns at most one row.
func (tx *readTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := tx.stmts.get(q); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}
