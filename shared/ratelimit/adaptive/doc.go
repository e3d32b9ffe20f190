// Package adaptive is the retry policy every selfguard AWS client shares:
// the SDK's adaptive retry mode, bounded attempts, and Lambda's 429
// TooManyRequestsException retried. It sits apart from package ratelimit,
// whose Lambda client options link the Lambda service module, so that a
// function without a Lambda client (repo-guard) does not link it and pay
// for its package initialisation at every cold start.
package adaptive
