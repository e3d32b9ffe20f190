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
	UntrustedVersion      finding.RuleID = "lambda.untrusted-version"
	CSCDetached           finding.RuleID = "lambda.csc-detached"
	CSCWeakened           finding.RuleID = "lambda.csc-weakened"
	ContainmentLifted     finding.RuleID = "lambda.containment-lifted"
	NoAutomatedReview     finding.RuleID = "repo.no-automated-review"
	NoApprovalRule        finding.RuleID = "repo.no-approval-rule"
	WeakApprovalRule      finding.RuleID = "repo.weak-approval-rule"
)

// The action kinds. Each one's parameters are documented where decide plans it.
const (
	ActionMoveAlias         finding.ActionKind = "lambda.move-alias"
	ActionRestoreCode       finding.ActionKind = "lambda.restore-code"
	ActionContain           finding.ActionKind = "lambda.contain"
	ActionAttachCSC         finding.ActionKind = "lambda.attach-csc"
	ActionDeleteVersion     finding.ActionKind = "lambda.delete-version"
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
	readAlias = []string{"lambda:GetAlias", "lambda:ListAliases", "lambda:GetFunction", "lambda:ListVersionsByFunction"}
	// readVersions finds every published version and whether an alias
	// routes to it.
	readVersions = []string{"lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:ListAliases"}
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

var actions = append([]Action{
	{Kind: ActionMoveAlias, Done: "alias moved back", Permissions: []string{"lambda:UpdateAlias"}},
	// A restore that cannot be verified ends in containment, so it needs
	// that permission too.
	// A code restore goes on to the configuration in the same repair.
	{Kind: ActionRestoreCode, Done: "code restored",
		Permissions: []string{"lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency"}},
	{Kind: ActionRestoreConfiguration, Done: "configuration restored",
		Permissions: []string{"lambda:GetFunction", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency"}},
	{Kind: ActionContain, Done: "contained", Permissions: []string{"lambda:PutFunctionConcurrency"}},
	{Kind: ActionAttachCSC, Done: "code signing attached",
		Permissions: []string{"lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig"}},
	// Deleting a version is DeleteFunction with a Qualifier; template.yaml
	// grants it only with DeleteUntrustedVersions, on qualified ARNs only.
	// The version is read first, for the alert's record of what was deleted.
	{Kind: ActionDeleteVersion, Done: "version deleted", Permissions: []string{"lambda:GetFunction", "lambda:DeleteFunction"}},
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
}, exposureActions...)

// table is every rule, guardrail by guardrail; each guardrail's rules are
// declared in a file of their own.
var table = concat(codeSigningRules, signatureRules, releaseRules, repositoryRules, exposureRules, integrityRules)

func concat(groups ...[]Rule) []Rule {
	var out []Rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
