// Package repoguard is the repository guard's guard.Evaluator: it turns
// CodeCommit and CodeGuru Reviewer CloudTrail records into the repositories
// they concern, judges each repository's current state with repopolicy, and in
// enforce mode associates (creating if need be) the configured approval rule
// template, restores it if weakened, and asks the configured reviewers to
// review. Every action re-reads the repository first, so duplicate and late
// events change nothing.
package repoguard
