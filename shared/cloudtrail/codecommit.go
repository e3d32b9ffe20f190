package cloudtrail

// CodeCommit writes that weaken review in one call without naming every
// repository they touch: a batch disassociation, renames (a template's
// associations follow it; a repository's CodeGuru Reviewer association does
// not), and an override of a pull request's approval rules. CodeCommit's
// event names carry no version suffix.
const (
	BatchDisassociateApprovalRuleTemplateFromRepositories Operation = "BatchDisassociateApprovalRuleTemplateFromRepositories"
	UpdateApprovalRuleTemplateName                        Operation = "UpdateApprovalRuleTemplateName"
	UpdateRepositoryName                                  Operation = "UpdateRepositoryName"
	OverridePullRequestApprovalRules                      Operation = "OverridePullRequestApprovalRules"
)
