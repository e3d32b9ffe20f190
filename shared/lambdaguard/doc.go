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
//
// An event is a hint for the state, and also a fact about what was done:
// with the subject's record (pipeline.Subject.Event) the edge rules
// (decide.WithEdge) alert on a code signing config detached or weakened
// even when it is back by the time the event arrives, and on a containment
// the guard made (its ledger's History says so) lifted while its finding
// holds, which is then put back. A publish event's response names the
// version it published, which is read and judged like $LATEST.
package lambdaguard
