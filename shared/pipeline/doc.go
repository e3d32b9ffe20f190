// Package pipeline is the pipeline every event-driven guard runs an event
// through: parse the CloudTrail event, ignore what is not ours to judge (the
// guard's own writes, by role and session; failed and read-only calls),
// claim what is to be judged so a duplicate delivery does nothing, then for
// each resource the event points at observe its current state, decide, act
// by mode, alert and keep the record. The guard-specific parts plug in
// through Evaluator.
//
// The claim is keyed on the record's content and its subjects, not on the
// event id an invoker chooses, so a forged payload can cause a check but
// never suppress one. The work ends before the invocation's deadline and
// the claim's lease, keeping time to alert, record and release.
package pipeline
