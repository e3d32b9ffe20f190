package awsproto

import (
	"sync"
	"time"
)

// Clock is the emulator's time: real time plus an offset the admin API can
// move forward, so tests can expire signatures or finish updates at once.
type Clock struct {
	mu     sync.RWMutex
	offset time.Duration
}

// Now returns the emulated time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return time.Now().Add(c.offset).UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.offset = time.Until(t)
	c.mu.Unlock()
}
