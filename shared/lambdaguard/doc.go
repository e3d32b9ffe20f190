// Package lambdaguard is the Lambda guard: the guard.Evaluator that maps
// CloudTrail records of Lambda writes to the functions they touch, reads
// each function's current state (package observe), decides on it
// (package decide) and, in enforce mode, carries out the planned actions
// (package act).
//
// Acting re-checks before it writes: every write carries the RevisionId of
// the state the decision saw, and when Lambda answers that the function
// changed meanwhile (412 or 409) the guard waits for any update in progress,
// reads and decides once more, and acts only if the fresh decision still
// plans the same kind of action — never clobbering a newer deploy.
package lambdaguard
