package rules

import "github.com/selfguard/selfguard/shared/finding"

// The rules of signatures judged against AWS Signer itself: Lambda checks a
// signature once, on deploy, and trusting a profile trusts whatever it ever
// signed; Signer says what still holds (a revoked job, a profile revoked
// from before the signature, an expired signature).
const (
	RevokedSignature finding.RuleID = "lambda.revoked-signature"
	ExpiredSignature finding.RuleID = "lambda.expired-signature"
)

// readSignatures are the Signer reads that judge a signature, and the
// listing that finds the functions a revoked job or profile signed.
var readSignatures = []string{"lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:ListFunctions",
	"signer:GetSigningProfile", "signer:DescribeSigningJob"}

var signatureRules = []Rule{
	{ID: RevokedSignature, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityHigh,
		Title:   "$LATEST runs code whose signature AWS Signer revoked (its signing job, or its profile from before it signed) or cannot vouch for",
		Enforce: enforceCode, Actions: []finding.ActionKind{ActionRestoreCode, ActionContain}, Check: readSignatures,
		Undo: "redeploy a build signed by a job that is not revoked; " + undoContain},
	{ID: ExpiredSignature, Guardrail: CodeSigning, Resource: finding.ResourceFunction, Severity: finding.SeverityMedium,
		Title:   "$LATEST runs code whose signature has expired (Signer's signatureExpiresAt)",
		Enforce: enforceCode, Actions: []finding.ActionKind{ActionRestoreCode, ActionContain}, Check: readSignatures,
		Undo: "re-sign the build and redeploy it; " + undoContain},
}
