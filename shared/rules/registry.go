package rules

import "github.com/selfguard/selfguard/shared/finding"

// The rule ids. Alerts, logs, exemptions, the ledger and Security Hub refer
// to them, so they never change once released.
const (
	UnsignedCode          finding.RuleID = "lambda.unsigned-code"
	UntrustedSigner       finding.RuleID = "lambda.untrusted-signer"
	UntrustedLayer        finding.RuleID = "lambda.untrusted-layer"
	ForeignLayer          finding.RuleID = "lambda.foreign-layer"
	NoCodeSigningConfig   finding.RuleID = "lambda.no-code-signing-config"
	CSCWarnOnly           finding.RuleID = "lambda.csc-warn-only"
	CSCUntrustedPublisher finding.RuleID = "lambda.csc-untrusted-publisher"
	ImageUnverifiable     finding.RuleID = "lambda.image-unverifiable"
	AliasLatest           finding.RuleID = "lambda.alias-latest"
	AliasUntrustedVersion finding.RuleID = "lambda.alias-untrusted-version"
	NoAutomatedReview     finding.RuleID = "repo.no-automated-review"
	NoApprovalRule        finding.RuleID = "repo.no-approval-rule"
	WeakApprovalRule      finding.RuleID = "repo.weak-approval-rule"
)

// The action kinds. Each one's parameters are documented where decide plans it.
const (
	ActionMoveAlias         finding.ActionKind = "lambda.move-alias"
	ActionRestoreCode       finding.ActionKind = "lambda.restore-code"
	ActionRestoreLayers     finding.ActionKind = "lambda.restore-layers"
	ActionContain           finding.ActionKind = "lambda.contain"
	ActionAttachCSC         finding.ActionKind = "lambda.attach-csc"
	ActionAssociateTemplate finding.ActionKind = "repo.associate-approval-template"
	ActionRestoreTemplate   finding.ActionKind = "repo.restore-approval-template"
	ActionEnableReview      finding.ActionKind = "repo.enable-automated-review"
)

// The reads the Lambda rules share: $LATEST and versions come from
// GetFunction (its own 100/s quota), a restore target from the version list.
var (
	readFunction = []string{"lambda:GetFunction"}
	readTarget   = []string{"lambda:GetFunction", "lambda:ListVersionsByFunction"}
	readCSC      = []string{"lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetCodeSigningConfig",
		"lambda:ListFunctionsByCodeSigningConfig"}
	readAlias    = []string{"lambda:GetAlias", "lambda:ListAliases", "lambda:GetFunction", "lambda:ListVersionsByFunction"}
	readApproval = []string{"codecommit:GetRepository", "codecommit:ListRepositories",
		"codecommit:ListAssociatedApprovalRuleTemplatesForRepository", "codecommit:GetApprovalRuleTemplate",
		"codecommit:ListRepositoriesForApprovalRuleTemplate"}
	readReview = []string{"codecommit:GetRepository", "codeguru-reviewer:ListRepositoryAssociations",
		"codeguru-reviewer:DescribeRepositoryAssociation"}
)

const (
	undoContain = "`aws lambda delete-function-concurrency` (or put back the previous value the alert names)"
	enforceCode = "restores the code of the newest trusted published version; if there is none or the restore cannot be verified, contains the function (reserved concurrency 0)"
)

var actions = []Action{
	{Kind: ActionMoveAlias, Done: "alias moved back", Permissions: []string{"lambda:UpdateAlias"}},
	// A restore that cannot be verified ends in containment, so it needs
	// that permission too.
	{Kind: ActionRestoreCode, Done: "code restored",
		Permissions: []string{"lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:PutFunctionConcurrency"}},
	{Kind: ActionRestoreLayers, Done: "layers restored",
		Permissions: []string{"lambda:GetFunction", "lambda:GetLayerVersion", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency"}},
	{Kind: ActionContain, Done: "contained", Permissions: []string{"lambda:PutFunctionConcurrency"}},
	{Kind: ActionAttachCSC, Done: "code signing attached",
		Permissions: []string{"lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig"}},
	{Kind: ActionAssociateTemplate, Done: "approval rule attached",
		Permissions: []string{"codecommit:CreateApprovalRuleTemplate", "codecommit:AssociateApprovalRuleTemplateWithRepository"}},
	{Kind: ActionRestoreTemplate, Done: "approval rule restored",
		Permissions: []string{"codecommit:UpdateApprovalRuleTemplateContent"}},
	// Associating a CodeCommit repository also tags it codeguru-reviewer (the
	// service role's access depends on the tag), creates the EventBridge rule
	// CodeGuru manages for its pull requests and, the first time, CodeGuru's
	// service-linked role, as AWS's AmazonCodeGuruReviewerFullAccess grants.
	{Kind: ActionEnableReview, Done: "review enabled",
		Permissions: []string{"codeguru-reviewer:AssociateRepository", "codeguru-reviewer:DescribeRepositoryAssociation",
			"codeguru-reviewer:ListRepositoryAssociations", "codecommit:TagResource",
			"events:PutRule", "events:PutTargets", "iam:CreateServiceLinkedRole"}},
}

var table = []Rule{
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
	{ID: NoApprovalRule, Guardrail: Repositories, Resource: finding.ResourceRepository, Severity: finding.SeverityHigh,
		Title:   "the repository has no approval rule template: pull requests merge without review",
		Enforce: "creates (if missing) and associates the approval rule template",
		Actions: []finding.ActionKind{ActionAssociateTemplate, ActionRestoreTemplate}, Check: readApproval,
		Undo: "`aws codecommit disassociate-approval-rule-template-from-repository`"},
	{ID: WeakApprovalRule, Guardrail: Repositories, Resource: finding.ResourceRepository, Severity: finding.SeverityHigh,
		Title:   "the repository's approval rules require fewer approvals than configured",
		Enforce: "restores the template's content, and associates it if it is not",
		Actions: []finding.ActionKind{ActionAssociateTemplate, ActionRestoreTemplate}, Check: readApproval,
		Undo: "`aws codecommit update-approval-rule-template-content` with the previous content the alert gives"},
	{ID: NoAutomatedReview, Guardrail: Repositories, Resource: finding.ResourceRepository, Severity: finding.SeverityMedium,
		Raised:  "high when review was set up and removed",
		Title:   "the repository has no automated code review",
		Enforce: "tries a CodeGuru Reviewer association; AWS accepts no new ones since 2025-11-07, so the alert then names the replacements (Amazon Inspector code security, Amazon Q Developer code review)",
		Actions: []finding.ActionKind{ActionEnableReview}, Check: readReview,
		Undo: "`aws codeguru-reviewer disassociate-repository`"},
}
