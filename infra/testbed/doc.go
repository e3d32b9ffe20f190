// Package testbed brings up selfguard's whole local AWS account in one call:
// moto (SNS, SQS, DynamoDB) with the alert topic, an inbox queue subscribed to
// it and the ledger table; the selfguard emulator (Lambda with code signing,
// CodeCommit, CodeGuru Reviewer) on loopback; the guard functions built as SAM
// builds them and running under the Lambda Runtime Interface Emulator with the
// environment template.yaml gives them; and a local EventBridge bus with
// template.yaml's own rules, fed by the emulator's CloudTrail. The end-to-end
// tests and `selfguard demo` run on it.
package testbed
