package rules

import "github.com/selfguard/selfguard/shared/finding"

// readEdgeCSC reads the code signing configs an event names and the
// published versions of the functions it concerns.
var readEdgeCSC = append(append([]string(nil), readCSC...), "lambda:ListVersionsByFunction")

// Code signing: only code signed by a trusted profile runs.
var codeSigningRules = []Rule{
	{ID: UnsignedCode, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "$LATEST runs code no trusted profile signed",
		Enforce: enforceCode, Actions: []finding.ActionKind{ActionRestoreCode, ActionContain}, Check: readTarget,
		Undo: "redeploy your own signed build; " + undoContain},
	{ID: UntrustedSigner, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "$LATEST runs code signed by a profile that is not trusted",
		Enforce: enforceCode, Actions: []finding.ActionKind{ActionRestoreCode, ActionContain}, Check: readTarget,
		Undo: "redeploy your own signed build; " + undoContain},
	{ID: UntrustedLayer, Guardrail: CodeSigning, Resource: finding.ResourceLayer, Severity: finding.SeverityHigh,
		Title:   "a layer of $LATEST is unsigned or signed by an untrusted profile",
		Enforce: "restores the layer list of the newest trusted version, else contains the function",
		Actions: []finding.ActionKind{ActionRestoreLayers, ActionContain}, Check: readTarget,
		Undo: "`aws lambda update-function-configuration --layers ...` as the alert gives it; " + undoContain},
	{ID: ForeignLayer, Guardrail: CodeSigning, Resource: finding.ResourceLayer, Severity: finding.SeverityMedium,
		Title:   "a layer of $LATEST comes from another account",
		Enforce: "nothing: alert only", Check: readFunction, Undo: "—"},
	{ID: NoCodeSigningConfig, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "no code signing config: Lambda verifies no signature on deploy",
		Enforce: "attaches `CodeSigningConfigArn`", Actions: []finding.ActionKind{ActionAttachCSC}, Check: readCSC,
		Undo: "`aws lambda delete-function-code-signing-config`"},
	{ID: CSCWarnOnly, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityMedium,
		Title:   "the code signing config only warns: unsigned code still deploys",
		Enforce: "replaces the CSC with `CodeSigningConfigArn`", Actions: []finding.ActionKind{ActionAttachCSC}, Check: readCSC,
		Undo: "`aws lambda put-function-code-signing-config` with the previous ARN"},
	{ID: CSCUntrustedPublisher, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "the code signing config allows a publisher that is not trusted",
		Enforce: "replaces the CSC with `CodeSigningConfigArn`", Actions: []finding.ActionKind{ActionAttachCSC}, Check: readCSC,
		Undo: "`aws lambda put-function-code-signing-config` with the previous ARN"},
	{ID: ImageUnverifiable, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityLow,
		Title:   "container image function: its code cannot be signed or verified",
		Enforce: "nothing (container images cannot be signed)", Check: readFunction, Undo: "—"},
	// Edge rules: what the event says was done, alerted even when the
	// state is good again by the time the event arrives.
	{ID: CSCDetached, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh, Edge: true,
		Title:   "the code signing config was detached (from the event: even if attached again since), with the untrusted versions published meanwhile",
		Enforce: "nothing beyond alerting: the state is judged by the other rules", Check: readEdgeCSC, Undo: "—"},
	{ID: CSCWeakened, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh, Edge: true,
		Title:   "a code signing config that only warns or allows an untrusted publisher was attached or configured (from the event: even if undone since)",
		Enforce: "nothing beyond alerting: the state is judged by the other rules", Check: readEdgeCSC, Undo: "—"},
	{ID: ContainmentLifted, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh, Edge: true,
		Title:   "someone lifted a containment selfguard put in place while its finding still holds",
		Enforce: "contains the function again (or restores trusted code where it can), naming who lifted it",
		Actions: []finding.ActionKind{ActionContain, ActionRestoreCode, ActionRestoreLayers}, Check: readTarget,
		Undo: undoContain},
}
