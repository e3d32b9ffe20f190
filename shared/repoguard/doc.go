// Package repoguard is the repository guard's guard.Evaluator: it turns
// CodeCommit and CodeGuru Reviewer CloudTrail records into the repositories
// they concern, judges each repository's current state with package decide, and in
// enforce mode associates (creating if need be) the configured approval rule
// template, restores it if weakened, and asks the configured reviewers to
// review. Every action re-reads first what it depends on (the templates for
// a template action; the repository and the reviewers' status for review),
// so duplicate and late events change nothing, and an event planning two
// actions reads each part twice (decide, then before its action), not once
// per action plus once more inside the reviewer.
package repoguard
