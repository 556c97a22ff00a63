// Package room remembers whether a store's database had room for the last
// write that needed some, for the store's Ping and so /readyz: on a full
// disk the writes that grow the database fail while reads, and writes that
// rewrite rows in place, go on. Each store says which failures mark the
// database full and which writes prove there is room again.
package room

import (
	"sync/atomic"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// Lapse is how long a mark lasts when no write proves room since. A server
// that is not ready gets no traffic from a load balancer, and without
// writes it could not learn that space was freed; after this long it
// answers ready again and the next write that needs room decides.
const Lapse = 30 * time.Second

// Mark is the database marked full, or not. The zero value is not marked.
type Mark struct {
	Now    func() time.Time // time.Now when nil
	fullAt atomic.Int64     // unix nanoseconds of the last write that found no room; 0 when room was proven since
}

func (m *Mark) clock() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Get returns the mark as it is, 0 when not marked, for Proven.
func (m *Mark) Get() int64 { return m.fullAt.Load() }

// Full marks the database full: a write found no room.
func (m *Mark) Full() { m.fullAt.Store(m.clock().UnixNano()) }

// Proven clears the mark at, read by Get before a write that has since
// taken room, unless a later write marked the database full again.
func (m *Mark) Proven(at int64) {
	if at != 0 {
		m.fullAt.CompareAndSwap(at, 0)
	}
}

// Err is EUNAVAILABLE while the database is marked full, for at most Lapse.
func (m *Mark) Err() error {
	at := m.fullAt.Load()
	if at == 0 || m.clock().Sub(time.Unix(0, at)) >= Lapse {
		return nil
	}
	return tc.Errorf(tc.EUNAVAILABLE, "database full")
}
