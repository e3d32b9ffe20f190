// Package snapshot holds what the repository guardrail knows about one
// CodeCommit repository at one moment, the approval rule template content it
// judges, and each automated reviewer's status in reviewer-neutral terms. It
// is plain data and builds without the AWS SDK, so the decision does too.
package snapshot
