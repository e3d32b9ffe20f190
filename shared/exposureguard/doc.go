// Package exposureguard is the exposure guard: the pipeline.Evaluator that
// maps CloudTrail records of the writes that decide who can invoke code
// (AddPermission, RemovePermission, PutResourcePolicy, Create and
// UpdateFunctionUrlConfig, AddLayerVersionPermission, Create and
// UpdateEventSourceMapping, PutFunctionRecursionConfig) to the resources
// and the part of them they changed, reads that part's current state
// (package observe), decides on it (package decide) and, in enforce mode,
// reverts what exposes it (package act), each action with its exact undo.
//
// As every guard, it is level-triggered: the event says where to look, the
// state read decides. When an action meets a resource changed since it
// was read (a policy's RevisionId moved on, a mapping in transition), the
// guard reads and decides again and acts only if the fresh decision still
// plans the same action.
package exposureguard
