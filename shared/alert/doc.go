// Package alert turns findings into messages a person can act on and
// publishes them to SNS: a subject that says at a glance what happened, to
// what, by whom and what the guard did; a body with the evidence and the way
// to undo the guard's action; and message attributes subscribers can filter
// on. Everything that came from the event or the resource (names, user
// agents, descriptions) is attacker-controlled data: Clean strips control
// characters and line breaks and bounds its length, so it cannot forge lines
// of an alert, and URLs lose their query strings so no presigned URL leaks.
package alert
