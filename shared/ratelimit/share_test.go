package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestOneEventNeverWaitsOnItsOwnLimiter: at the template's defaults
// (LambdaRate 5 shared by GuardConcurrency 2) and others, the calls one
// event needs go out at once from an instance that was idle, where a burst
// of the instance's share (2.5) made the third sleep 200 ms.
func TestOneEventNeverWaitsOnItsOwnLimiter(t *testing.T) {
	tests := []struct {
		rate      float64
		instances int
		wantBurst float64
	}{
		{DefaultControlRate, 2, EventCalls}, // the template's defaults
		{DefaultControlRate, 1, DefaultControlRate},
		{14, 1, 14},
		{1, 1, EventCalls},
		{10, 2, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate %v over %d", tt.rate, tt.instances), func(t *testing.T) {
			if got := ShareBurst(tt.rate, tt.instances); got != tt.wantBurst {
				t.Errorf("burst %v, want %v", got, tt.wantBurst)
			}
			c := newClock()
			l := NewShare(tt.rate, tt.instances, c)
			for i := 0; i < EventCalls; i++ {
				if err := l.Bucket("UpdateFunctionCode").Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if c.slept != 0 {
				t.Errorf("one event's %d calls slept %v", EventCalls, c.slept)
			}
		})
	}
}

// TestInstancesTogetherStayWithinTheirShareAndTheQuota: every instance
// calling as fast as its limiter lets it, for a minute: together they take
// the configured rate (plus one burst each), and where a burst above the
// instance's share is granted, no one-second window holds more than the
// 15/s quota, the first one included. (Where none is, the burst is the
// share as it always was: one second's worth, at least one call.)
func TestInstancesTogetherStayWithinTheirShareAndTheQuota(t *testing.T) {
	tests := []struct {
		rate      float64
		instances int
	}{
		{DefaultControlRate, 2}, {DefaultControlRate, 1}, {DefaultControlRate, 10}, {1, 1}, {1, 50}, {10, 2}, {7, 3}, {3, 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate %v over %d", tt.rate, tt.instances), func(t *testing.T) {
			const span = time.Minute
			var calls []time.Duration // every call's time from the start, all instances
			for i := 0; i < tt.instances; i++ {
				c := newClock()
				start := c.Now()
				b := NewShare(tt.rate, tt.instances, c).Bucket("PutFunctionConcurrency")
				for c.Now().Sub(start) < span {
					if err := b.Wait(context.Background()); err != nil {
						t.Fatal(err)
					}
					if at := c.Now().Sub(start); at < span {
						calls = append(calls, at)
					}
				}
			}
			bursts := ShareBurst(tt.rate, tt.instances) * float64(tt.instances)
			if limit := tt.rate*span.Seconds() + bursts; float64(len(calls)) > limit+float64(tt.instances) {
				t.Errorf("%d calls in %v, want at most %.0f (the rate and one burst each)", len(calls), span, limit)
			}
			share := tt.rate / float64(tt.instances)
			raised := ShareBurst(tt.rate, tt.instances) > max(1, share)
			if peak := busiestSecond(calls); raised && peak > Quota {
				t.Errorf("%d calls in one second with bursts of %v each: above the %d/s quota", peak, ShareBurst(tt.rate, tt.instances), Quota)
			}
		})
	}
}

// busiestSecond counts the calls in the busiest one-second window.
func busiestSecond(calls []time.Duration) int {
	best := 0
	for _, from := range calls {
		n := 0
		for _, at := range calls {
			if at >= from && at < from+time.Second {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}
