// Package eventpattern implements Amazon EventBridge event pattern matching:
// exact values, arrays on either side, nested objects, prefix, suffix,
// equals-ignore-case, wildcard, anything-but, exists, numeric ranges, cidr
// and $or. A pattern is compiled once and matched against many events, so the
// local event bus applies template.yaml's own patterns exactly as EventBridge
// would.
//
// Leaves follow EventBridge's rules: a pattern names leaf fields, an object in
// the event is never a leaf (so "exists": true does not match it and
// "exists": false does), and an array in the event matches when any of its
// elements does. One simplification: where the event holds an array of
// objects, each element is matched against the nested pattern on its own,
// which gives EventBridge's array consistency for positive matches but lets
// "exists": false match when any one element lacks the field.
package eventpattern
