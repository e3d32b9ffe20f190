// Package localorg is a local AWS Organization for tests, the demo and the
// organization benchmark: a management account, a security account and
// member accounts, each member account-region its own selfguard emulator
// (infra/emulator) with its own quotas, all behind one loopback endpoint.
//
// The endpoint routes each request as AWS would tell them apart: by the
// account the access key belongs to and the region of its SigV4 scope. It
// also answers the few calls that make the accounts an organization:
// Organizations' account and OU listings (to the management account and
// the security account, its delegated administrator), STS AssumeRole into
// a member's role (which must be deployed in that account; credentials
// minted for it are known to each of the account's regions, so the calls
// show in the member's CloudTrail as that role's session) and Account
// Management's ListRegions (each account's enabled regions).
package localorg
