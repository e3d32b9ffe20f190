// Package pipeline is the pipeline every event-driven guard runs an event
// through: parse the CloudTrail event, ignore what is not ours to judge (the
// guard's own writes, failed and read-only calls), claim the event so a
// duplicate delivery does nothing, then for each resource the event points at
// observe its current state, decide, act by mode, alert and keep the record.
// The guard-specific parts plug in through Evaluator.
package pipeline
