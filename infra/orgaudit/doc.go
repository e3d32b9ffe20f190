// Package orgaudit audits every account and region of an AWS Organization
// as one, read-only: the accounts come from Organizations (the whole
// organization or one OU, recursively) or from a file; in each account the
// audit assumes a read-only role (infra/org/audit-role.yaml); the regions
// are given or are each account's enabled ones (account:ListRegions).
//
// Every account-region runs the same lister and worker as `selfguard audit`
// (package sweep) with a rate budget of its own, because Lambda's 15/s
// control-plane quota is per account and region: the audit of an
// organization takes about as long as its largest account-region, not the
// sum. Account-regions that cannot be reached (the role missing or denied,
// a region not enabled, a suspended account) are listed with the reason
// while the rest completes.
package orgaudit
