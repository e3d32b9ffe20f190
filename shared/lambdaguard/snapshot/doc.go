// Package snapshot holds what the Lambda guardrail knows about one function
// at one moment: the Snapshot that observe fills and decide judges. It is
// plain data and builds without the AWS SDK, so the decision does too.
package snapshot
