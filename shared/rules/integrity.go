package rules

import "github.com/selfguard/selfguard/shared/finding"

// The rule ids of the guard's own integrity.
const (
	GuardRoleBorrowed      finding.RuleID = "lambda.guard-role-borrowed"
	GuardFunctionUntrusted finding.RuleID = "lambda.guard-function-untrusted"
)

// Integrity: selfguard's roles run only selfguard's functions, and those
// run only code selfguard's own signing profile signed. The guard never acts
// on its own functions: a change to them is alerted here and, with no guard
// in the path, by the template's tamper rules.
var integrityRules = []Rule{
	{ID: GuardRoleBorrowed, Guardrail: Integrity, Resource: finding.ResourceFunction, Severity: finding.SeverityCritical,
		Title:   "a function that is not selfguard's own runs with one of selfguard's roles",
		Enforce: "contains the function (reserved concurrency 0): it holds the guard's write permissions",
		Actions: []finding.ActionKind{ActionContain}, Check: readFunction,
		Undo: "give the function a role of its own, then " + undoContain},
	{ID: GuardFunctionUntrusted, Guardrail: Integrity, Resource: finding.ResourceFunction, Severity: finding.SeverityCritical,
		Title:   "one of selfguard's own functions runs code its signing profile did not sign, or lost its enforcing code signing config",
		Enforce: "nothing: the guard never acts on itself (the tamper rules alert too)",
		Check:   readCSC, Undo: "redeploy selfguard from its signed build"},
}
