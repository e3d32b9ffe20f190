package ratelimit

import (
	"math"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Quota is Lambda's control-plane bucket: 15 requests per second per
// account and region, shared by every caller in the account.
const Quota = 15

// EventCalls is the most control-plane calls one event needs from the
// Lambda guard before its action is accepted: a detached code signing
// config reads the attachment, lists the versions, reads the attachment
// again and attaches (an unsigned code update needs 2, an alias 2 or 3).
const EventCalls = 4

// ShareBurst is the control bucket's burst of one of instances that
// together refill at rate. Sized to one event's calls, the few calls of
// an event go out at once instead of the third waiting for a token that
// the instance's share (rate/instances, 2.5 at the template's defaults)
// cannot hold. The instances' bursts together stay within the quota's
// headroom above rate, so even the first second of a flood, every
// instance bursting at once and refilling, stays within the 15/s;
// sustained, they take rate. Where the headroom cannot hold EventCalls
// per instance, the burst is the instance's share, never below one call.
func ShareBurst(rate float64, instances int) float64 {
	if instances < 1 {
		instances = 1
	}
	share := rate / float64(instances)
	headroom := math.Floor((Quota - rate) / float64(instances))
	return math.Max(1, math.Max(share, math.Min(EventCalls, headroom)))
}

// NewShare returns the limiter of one of instances that together take
// rate calls per second of the control-plane bucket (DefaultControlRate
// when not above 0): each refills at its share and bursts ShareBurst.
// clock nil means the real one.
func NewShare(rate float64, instances int, clock Clock) *Limiter {
	if rate <= 0 {
		rate = DefaultControlRate
	}
	if instances < 1 {
		instances = 1
	}
	share := rate / float64(instances)
	l := New(share, clock)
	l.buckets[BucketControl] = NewBucket(BucketControl, share, ShareBurst(rate, instances), clock)
	return l
}

// ShareOptions is NewShare(rate, instances, nil).LambdaOptions(): the
// Lambda guard's client, one of its reserved concurrency's instances.
func ShareOptions(rate float64, instances int) func(*lambda.Options) {
	return NewShare(rate, instances, nil).LambdaOptions()
}
