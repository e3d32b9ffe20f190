package rules

import "github.com/selfguard/selfguard/shared/finding"

// ApprovalOverride is judged on the record: CodeCommit lets a pull request's
// approval rules be overridden, after which it merges without them.
const ApprovalOverride finding.RuleID = "repo.approval-override"

// Reviewed repositories: automated review and protected merges.
var repositoryRules = []Rule{
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
	{ID: ApprovalOverride, Guardrail: Repositories, Resource: finding.ResourcePullRequest, Severity: finding.SeverityHigh,
		Title:   "a pull request's approval rules were overridden: it can merge without the required approvals",
		Enforce: "nothing: alert only, naming who overrode which pull request (an override is CodeCommit's own escape hatch)",
		Check:   []string{"codecommit:GetPullRequest"},
		Undo:    "—"},
}
