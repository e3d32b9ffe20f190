package ratelimit

import (
	"context"
	"testing"
	"time"
)

// TestGetPolicyDrawsOnItsOwnBucket: GetPolicy's quota is its own, so the
// exposure guard's policy reads neither wait for nor starve the shared
// control-plane bucket, and are paced at the same share of their quota.
func TestGetPolicyDrawsOnItsOwnBucket(t *testing.T) {
	c := newClock()
	l := New(3, c)
	if got := l.Bucket("GetPolicy").name; got != BucketGetPolicy {
		t.Fatalf("GetPolicy draws on %s", got)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_ = l.Bucket("GetPolicy").Wait(ctx)
		_ = l.Bucket("ListFunctionUrlConfigs").Wait(ctx)
	}
	if c.slept != 0 {
		t.Errorf("a burst of 3 GetPolicy and 3 control calls at rate 3 slept %v: they share a bucket", c.slept)
	}
	_ = l.Bucket("GetPolicy").Wait(ctx)
	if d := c.slept - time.Second/3; d < -5*time.Millisecond || d > 5*time.Millisecond {
		t.Errorf("the 4th GetPolicy slept %v, want a third of a second", c.slept)
	}
	if got := l.Counts(); got[BucketGetPolicy] != 4 || got[BucketControl] != 3 {
		t.Errorf("counts %v", got)
	}
}
