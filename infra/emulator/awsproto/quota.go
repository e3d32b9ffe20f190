package awsproto

import (
	"sync"
	"time"
)

// Bucket is a token bucket: Rate tokens a second, up to Burst.
type Bucket struct {
	Rate  float64
	Burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
	// Throttled counts refused calls; Allowed counts accepted ones.
	Throttled, Allowed int64
}

// NewBucket returns a full bucket.
func NewBucket(rate, burst float64) *Bucket {
	return &Bucket{Rate: rate, Burst: burst, tokens: burst}
}

// Take takes one token if there is one. A bucket with Rate 0 is unlimited.
func (b *Bucket) Take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Rate <= 0 {
		b.Allowed++
		return true
	}
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.Rate
		if b.tokens > b.Burst {
			b.tokens = b.Burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		b.Throttled++
		return false
	}
	b.tokens--
	b.Allowed++
	return true
}

// Stats returns how many calls the bucket allowed and refused.
func (b *Bucket) Stats() (allowed, throttled int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Allowed, b.Throttled
}
