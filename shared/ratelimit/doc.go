// Package ratelimit keeps selfguard's AWS calls below Lambda's API quotas.
// GetFunction has a bucket of its own (100 requests/s; the guards stay at
// half), and every other control-plane call draws on one bucket of 15
// requests/s per account and region that the customer's deploy pipelines
// share, so the guards take only a configured share of it (5/s by default).
// Each attempt, retries included, waits for a token from a client-side token
// bucket (golang.org/x/time/rate's, timed by an injectable clock); on top, the SDK's adaptive retry mode backs off when AWS answers
// 429 TooManyRequestsException. Counts per bucket feed the benchmarks. The
// Lambda guard's instances share the rate (NewShare) and each bursts to one
// event's calls within the quota's headroom, so an event never waits on its
// own limiter.
package ratelimit
