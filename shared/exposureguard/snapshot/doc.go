// Package snapshot holds what the exposure guardrail knows about who can
// reach a function at one moment: its resource-based policies (one per
// function, published version and alias), its function URLs and its
// recursive loop setting; a layer version's policy; an event source
// mapping. observe fills it, decide judges it. Policies are parsed here,
// keeping each statement's text verbatim, so an alert can carry exactly
// what was removed. It is plain data and builds without the AWS SDK.
package snapshot
