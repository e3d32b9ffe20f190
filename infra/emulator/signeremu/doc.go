// Package signeremu emulates the AWS Signer API (REST-JSON, SigV4 signing
// name "signer") for selfguard's local account, for unmodified
// aws-sdk-go-v2 signer clients: signing profiles (put, get, list, cancel,
// revoke), signing jobs (start, describe, list, revoke) and revocation
// status.
//
// It keeps no signing state of its own. Profiles, jobs and revocations live
// in lambdaemu beside the code signature check Lambda runs on deploy, so a
// job or profile revoked here is what that check sees at once: an Enforce
// code signing config refuses the code, a Warn one deploys it unrecorded.
// Signing jobs sign zips of the emulator's S3 store with the local signer
// (see lambdaemu.SignatureEntry) and finish at once. Every write, and every
// failed write, is recorded in the emulator's CloudTrail as
// signer.amazonaws.com.
package signeremu
