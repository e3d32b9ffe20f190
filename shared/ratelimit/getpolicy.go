package ratelimit

// BucketGetPolicy is GetPolicy's bucket: Lambda gives GetPolicy a quota of
// its own, 15 requests per second per account and region, apart from the
// shared control-plane bucket.
const BucketGetPolicy = "get-policy"

// addGetPolicy gives GetPolicy its own bucket at the control rate: its
// quota is as large as the shared bucket's and the customer's tools read
// policies too, so the guards take the same share of it, and instances
// sharing a rate share this one alike.
func (l *Limiter) addGetPolicy(rate float64, clock Clock) {
	l.buckets[BucketGetPolicy] = NewBucket(BucketGetPolicy, rate, rate, clock)
	l.byOp["GetPolicy"] = BucketGetPolicy
}
