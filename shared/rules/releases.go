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
	{ID: UntrustedVersion, Guardrail: Releases, Resource: finding.ResourceVersion, Severity: finding.SeverityHigh,
		Title:   "a published version no alias routes to runs code (or layers) no trusted profile signed: it is invocable by its qualified ARN",
		Enforce: "alerts; with DeleteUntrustedVersions=true, deletes the version, which cannot be undone (the alert keeps its code SHA256 and configuration)",
		Actions: []finding.ActionKind{ActionDeleteVersion}, Check: readVersions,
		Undo: "none: a deleted version cannot be restored; publish the package again (a new version number) from the SHA256 and configuration the alert keeps"},
}
