package rules

import "github.com/selfguard/selfguard/shared/finding"

// Exposure is the guardrail on who can invoke the code: resource-based
// policies, function URLs, shared layers, event sources from other accounts
// and the recursive loop guard.
const Exposure Guardrail = "exposure"

// The exposure rule ids.
const (
	PublicInvoke         finding.RuleID = "lambda.public-invoke"
	UntrustedAccount     finding.RuleID = "lambda.untrusted-account-invoke"
	PublicURL            finding.RuleID = "lambda.public-url"
	URLCorsCredentials   finding.RuleID = "lambda.url-cors-credentials"
	PublicLayer          finding.RuleID = "lambda.layer-public"
	LayerUntrustedShare  finding.RuleID = "lambda.layer-shared-untrusted"
	UntrustedEventSource finding.RuleID = "lambda.untrusted-event-source"
	RecursionAllowed     finding.RuleID = "lambda.recursion-allowed"
)

// The exposure action kinds. Each one's parameters are documented where
// the exposure decision plans it.
const (
	ActionRemovePermission      finding.ActionKind = "lambda.remove-permission"
	ActionURLRequireIAM         finding.ActionKind = "lambda.url-require-iam"
	ActionURLCorsNoCredentials  finding.ActionKind = "lambda.url-cors-no-credentials"
	ActionRemoveLayerPermission finding.ActionKind = "lambda.remove-layer-permission"
	ActionDisableMapping        finding.ActionKind = "lambda.disable-event-source-mapping"
	ActionRecursionTerminate    finding.ActionKind = "lambda.recursion-terminate"
)

// The reads the exposure rules need. A policy belongs to the function, to
// each published version and to each alias, so a full read lists them; an
// event names the one it changed. GetPolicy has a 15/s quota of its own.
var (
	readPolicy    = []string{"lambda:GetPolicy", "lambda:ListAliases", "lambda:ListVersionsByFunction"}
	readURL       = []string{"lambda:ListFunctionUrlConfigs", "lambda:GetFunctionUrlConfig", "lambda:GetPolicy"}
	readLayer     = []string{"lambda:GetLayerVersionPolicy"}
	readMapping   = []string{"lambda:GetEventSourceMapping"}
	readRecursion = []string{"lambda:GetFunctionRecursionConfig"}
)

const undoAddPermission = "`aws lambda add-permission` with the removed statement's parameters, as the alert gives it (the statement itself is in the alert, verbatim)"

// Exposure: who can invoke the code.
var exposureRules = []Rule{
	{ID: PublicInvoke, Guardrail: Exposure, Resource: finding.ResourceFunction, Severity: finding.SeverityCritical,
		Title:   "a resource-based policy statement lets anyone (or any account's resources of a service) invoke the function, a version or an alias",
		Enforce: "removes the statement (RemovePermission by its Sid, with the policy's RevisionId)",
		Actions: []finding.ActionKind{ActionRemovePermission}, Check: readPolicy, Undo: undoAddPermission},
	{ID: UntrustedAccount, Guardrail: Exposure, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "a resource-based policy statement grants an account or organization that is not trusted",
		Enforce: "removes the statement (RemovePermission by its Sid, with the policy's RevisionId)",
		Actions: []finding.ActionKind{ActionRemovePermission}, Check: readPolicy, Undo: undoAddPermission},
	{ID: PublicURL, Guardrail: Exposure, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Raised:  "critical when the policy lets anyone call it",
		Title:   "a function URL with AuthType NONE: Lambda authenticates no caller",
		Enforce: "sets the URL's AuthType to AWS_IAM (the URL and its address stay; deleting it could not be undone)",
		Actions: []finding.ActionKind{ActionURLRequireIAM}, Check: readURL,
		Undo: "`aws lambda update-function-url-config --auth-type NONE`"},
	{ID: URLCorsCredentials, Guardrail: Exposure, Resource: finding.ResourceFunction, Severity: finding.SeverityMedium,
		Title:   "a function URL's CORS allows any origin together with credentials",
		Enforce: "sets AllowCredentials to false, keeping the rest of the CORS settings",
		Actions: []finding.ActionKind{ActionURLCorsNoCredentials}, Check: readURL,
		Undo: "`aws lambda update-function-url-config --cors` with the previous settings, as the alert gives them"},
	{ID: PublicLayer, Guardrail: Exposure, Resource: finding.ResourceLayer, Severity: finding.SeverityHigh,
		Title:   "a layer version is shared with every AWS account",
		Enforce: "removes the statement (RemoveLayerVersionPermission, with the policy's RevisionId)",
		Actions: []finding.ActionKind{ActionRemoveLayerPermission}, Check: readLayer,
		Undo: "`aws lambda add-layer-version-permission` with the removed statement's parameters, as the alert gives it"},
	{ID: LayerUntrustedShare, Guardrail: Exposure, Resource: finding.ResourceLayer, Severity: finding.SeverityMedium,
		Title:   "a layer version is shared with an account or organization that is not trusted",
		Enforce: "removes the statement (RemoveLayerVersionPermission, with the policy's RevisionId)",
		Actions: []finding.ActionKind{ActionRemoveLayerPermission}, Check: readLayer,
		Undo: "`aws lambda add-layer-version-permission` with the removed statement's parameters, as the alert gives it"},
	{ID: UntrustedEventSource, Guardrail: Exposure, Resource: finding.ResourceEventSourceMapping, Severity: finding.SeverityHigh,
		Title:   "an event source mapping feeds the function from a queue or stream in an account that is not trusted",
		Enforce: "disables the mapping (UpdateEventSourceMapping Enabled=false); the mapping and its position stay",
		Actions: []finding.ActionKind{ActionDisableMapping}, Check: readMapping,
		Undo: "`aws lambda update-event-source-mapping --uuid ... --enabled`"},
	{ID: RecursionAllowed, Guardrail: Exposure, Resource: finding.ResourceFunction, Severity: finding.SeverityMedium,
		Title:   "recursive loop detection is turned off: a loop through SQS, SNS or S3 runs and bills without end",
		Enforce: "sets the recursive loop setting back to Terminate",
		Actions: []finding.ActionKind{ActionRecursionTerminate}, Check: readRecursion,
		Undo: "`aws lambda put-function-recursion-config --recursive-loop Allow`"},
}

var exposureActions = []Action{
	{Kind: ActionRemovePermission, Done: "permission removed", Permissions: []string{"lambda:GetPolicy", "lambda:RemovePermission"}},
	{Kind: ActionURLRequireIAM, Done: "URL requires IAM", Permissions: []string{"lambda:GetFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"}},
	{Kind: ActionURLCorsNoCredentials, Done: "CORS credentials off", Permissions: []string{"lambda:GetFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"}},
	{Kind: ActionRemoveLayerPermission, Done: "layer share removed", Permissions: []string{"lambda:GetLayerVersionPolicy", "lambda:RemoveLayerVersionPermission"}},
	{Kind: ActionDisableMapping, Done: "mapping disabled", Permissions: []string{"lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"}},
	{Kind: ActionRecursionTerminate, Done: "loop detection on", Permissions: []string{"lambda:PutFunctionRecursionConfig"}},
}
