package rules

import "github.com/selfguard/selfguard/shared/finding"

// Versions and aliases: callers reach immutable, trusted versions.
var releaseRules = []Rule{
	{ID: AliasLatest, Guardrail: Releases, Resource: finding.ResourceAlias, Severity: finding.SeverityHigh,
		Title:   "an alias points to $LATEST: every deploy is released at once",
		Enforce: "moves the alias to the newest trusted version, weights removed",
		Actions: []finding.ActionKind{ActionMoveAlias}, Check: readAlias,
		Undo: "`aws lambda update-alias` with the previous version and routing, as the alert gives it"},
	{ID: AliasUntrustedVersion, Guardrail: Releases, Resource: finding.ResourceAlias, Severity: finding.SeverityCritical,
		Title:   "an alias routes traffic to a version whose code is not trusted",
		Enforce: "moves the alias to the newest trusted version, weights removed",
		Actions: []finding.ActionKind{ActionMoveAlias}, Check: readAlias,
		Undo: "`aws lambda update-alias` with the previous version and routing, as the alert gives it"},
}
