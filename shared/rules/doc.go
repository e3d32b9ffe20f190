// Package rules is the rule registry: every rule selfguard judges is declared
// here once, with its guardrail, resource type, severity, title, what enforce
// mode does, the IAM actions its check and its actions need, and how to undo
// it; every action kind once, with the IAM actions its writes need. The
// decisions build findings through it (Finding), and alerts, Security Hub
// findings, the IAM least-privilege test and the README's rule table read it.
//
// Adding a rule is one entry in registry.go, its check in the guardrail's
// decide package, and a row in that package's table test.
//
// The package is plain data and builds without the AWS SDK.
package rules
