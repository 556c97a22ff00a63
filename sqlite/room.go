package sqlite

import (
	"context"
	"errors"

	"github.com/mattn/go-sqlite3"

	"github.com/taskcenter/taskcenter/internal/room"
)

// noteRoom records the outcome of a write that began with the mark at
// (room.Mark.Get): a write that found no room marks the database full.
// Only a write that took pages (the database grew, or reused free pages)
// clears the mark: at the limit the maintenance renews its lease every
// second in place, and a claim that finds nothing writes nothing, and
// neither says that a submission would fit.
func noteRoom(m *room.Mark, at int64, err error, took bool) {
	switch {
	case noRoom(err):
		m.Full()
	case err == nil && took:
		m.Proven(at)
	}
}

// noRoom reports whether err is SQLite's SQLITE_FULL: the disk is full, or
// the database reached its page limit.
func noRoom(err error) bool {
	var driver sqlite3.Error
	return errors.As(err, &driver) && driver.Code == sqlite3.ErrFull
}

// pages is the size of the database in pages and how many of them are free,
// as a transaction sees them.
type pages struct{ count, free int64 }

func readPages(ctx context.Context, tx querier) (pages, error) {
	var p pages
	err := tx.QueryRowContext(ctx, "SELECT page_count, freelist_count FROM pragma_page_count(), pragma_freelist_count()").
		Scan(&p.count, &p.free)
	return p, dbError("count pages", err)
}

// took reports whether the transaction took pages between before and p:
// the database grew, or free pages were used.
func (p pages) took(before pages) bool { return p.count > before.count || p.free < before.free }
