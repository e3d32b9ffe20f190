// Package emulator is selfguard's local AWS: an HTTP server on loopback that
// unmodified aws-sdk-go-v2 clients reach through AWS_ENDPOINT_URL_<SERVICE>.
// It routes each request by the service named in its SigV4 credential scope to
// an emulated service (the Lambda control plane with code signing in
// lambdaemu; the Signer API over the same signing state in signeremu;
// CodeCommit and CodeGuru Reviewer in repoemu), and serves an admin API under
// /_selfguard/ to load a world, dump state, read the CloudTrail log, inject
// faults and move the clock. See docs/emulator.md.
package emulator
