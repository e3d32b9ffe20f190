// Package lambdaemu emulates the AWS Lambda control plane for selfguard's
// local account, well enough that unmodified aws-sdk-go-v2 Lambda clients
// work against it: functions (Zip and Image), published versions, aliases
// with weighted routing, reserved concurrency, tags, layers, code signing
// configs, the ways a function is exposed (resource-based policies,
// function URLs, layer permissions, event source mappings, the recursive
// loop setting), and the behaviour selfguard depends on — asynchronous updates
// (LastUpdateStatus, 409 ResourceConflictException), optimistic locking
// (RevisionId, 412 PreconditionFailedException), code signature checks on
// deploy, the per-account API quotas (429 TooManyRequestsException), and
// a CloudTrail record of every write.
//
// AWS Signer's certificates cannot be had locally, so the package carries a
// small honest stand-in (see signer.go and SignatureEntry): signing profiles
// with per-profile MAC keys, a signature entry added to the zip, signing
// jobs, revocation of profiles and jobs, and expiry. That signing state lives
// here, beside the deploy-time check; signeremu serves the Signer API over it
// (signingjobs.go). Code is stored in memory; Code.Location URLs are served from the
// emulator's admin API and expire after ten minutes of emulator time.
package lambdaemu
