package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	tc "github.com/taskcenter/taskcenter"
)

// noRoomFor is how long Ping reports the database full after a write found
// no room, when no write has taken room since. A server that is not ready
// gets no traffic from a load balancer, and without writes it could not
// learn that space was freed; after this long it answers ready again and the
// next write that needs room decides.
const noRoomFor = 30 * time.Second

// room remembers whether the last write that needed room in the database
// found it, for Ping: a full disk (or the page limit) refuses the writes
// that grow the database while reads, and writes that rewrite rows in
// place, go on.
//
// A write that found no room marks the database full. Only a write that took
// pages (the database grew, or reused free pages) clears the mark: the
// maintenance renews its lease every second in place, and a claim that finds
// nothing writes nothing, and neither says that a submission would fit.
type room struct {
	now    func() time.Time // time.Now when nil
	fullAt atomic.Int64     // unix nanoseconds of the last write that found no room; 0 when none since one took room
}

func (r *room) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// mark returns the mark as it is, for note, and whether the database is
// marked full: the writes then count the pages they take.
func (r *room) mark() (int64, bool) {
	at := r.fullAt.Load()
	return at, at != 0
}

// note records the outcome of a write that began with the mark at: a write
// that found no room marks the database full, and one that took pages
// clears the mark unless a later write marked it again.
func (r *room) note(at int64, err error, took bool) {
	switch {
	case noRoom(err):
		r.fullAt.Store(r.clock().UnixNano())
	case err == nil && took && at != 0:
		r.fullAt.CompareAndSwap(at, 0)
	}
}

// err is EUNAVAILABLE while the database is marked full, for at most
// noRoomFor.
func (r *room) err() error {
	at := r.fullAt.Load()
	if at == 0 || r.clock().Sub(time.Unix(0, at)) >= noRoomFor {
		return nil
	}
	return tc.Errorf(tc.EUNAVAILABLE, "database full")
}

// noRoom reports whether err is SQLite's SQLITE_FULL: the disk is full, or
// the database reached its page limit.
func noRoom(err error) bool {
	var driver *sqlite.Error
	return errors.As(err, &driver) && driver.Code()&0xff == sqlite3.SQLITE_FULL
}

// pages is the size of the database in pages and how many of them are free,
// as a transaction sees them.
type pages struct{ count, free int64 }

func readPages(ctx context.Context, tx *sql.Tx) (pages, error) {
	var p pages
	err := tx.QueryRowContext(ctx, "SELECT page_count, freelist_count FROM pragma_page_count(), pragma_freelist_count()").
		Scan(&p.count, &p.free)
	return p, dbError("count pages", err)
}

// took reports whether the transaction took pages between before and p:
// the database grew, or free pages were used.
func (p pages) took(before pages) bool { return p.count > before.count || p.free < before.free }
