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
		Undo: "redeploy your own signed build; " + undoVersion},
	{ID: UntrustedSigner, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "$LATEST runs code signed by a profile that is not trusted",
		Enforce: enforceCode, Actions: []finding.ActionKind{ActionRestoreCode, ActionContain}, Check: readTarget,
		Undo: "redeploy your own signed build; " + undoVersion},
	{ID: UntrustedLayer, Guardrail: CodeSigning, Resource: finding.ResourceLayer, Severity: finding.SeverityHigh,
		Title:   "a layer of $LATEST is unsigned or signed by an untrusted profile",
		Enforce: enforceVersion, Actions: repairLatest, Check: readTarget,
		Undo: undoVersion},
	{ID: ForeignLayer, Guardrail: CodeSigning, Resource: finding.ResourceLayer, Severity: finding.SeverityMedium,
		Title:   "a layer of $LATEST comes from an account that is not trusted for layers",
		Enforce: enforceVersion, Actions: repairLatest, Check: readTarget,
		Undo: undoVersion},
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
		Actions: []finding.ActionKind{ActionContain, ActionRestoreCode, ActionRestoreConfiguration}, Check: readTarget,
		Undo: undoContain},
	{ID: LoaderVariable, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "an environment variable makes the runtime load code the signed package does not hold (NODE_OPTIONS, AWS_LAMBDA_EXEC_WRAPPER, ...), or the environment cannot be read",
		Enforce: enforceVersion, Actions: repairLatest, Check: readTarget, Undo: undoVersion},
	{ID: HandlerDrift, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "$LATEST's handler or runtime differs from the newest trusted version's: signed code is entered elsewhere",
		Enforce: enforceVersion, Actions: repairLatest, Check: readTarget, Undo: undoVersion},
}

// The rules of code that arrives through configuration: signing covers
// the package, not what the configuration makes the runtime load or run.
const (
	LoaderVariable finding.RuleID = "lambda.loader-variable"
	HandlerDrift   finding.RuleID = "lambda.handler-drift"
)

// ActionRestoreConfiguration puts back the layers, handler, runtime and
// loader variables of the newest trusted version on $LATEST.
const ActionRestoreConfiguration finding.ActionKind = "lambda.restore-configuration"

// A $LATEST whose code, layers or configuration is not trusted is repaired
// as one: the code (when it differs), then the configuration, from the
// newest trusted version; without one it is contained.
var repairLatest = []finding.ActionKind{ActionRestoreCode, ActionRestoreConfiguration, ActionContain}

const (
	enforceVersion = "restores what decides what runs (code, layers, handler, runtime, loader variables) from the newest trusted version in one repair; if there is none or it cannot be verified, contains the function (reserved concurrency 0)"
	undoVersion    = "the `aws lambda update-function-configuration` command the alert gives, which puts back exactly the replaced handler, runtime, layers and loader variables; " + undoContain
)
