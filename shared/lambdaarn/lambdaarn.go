// Package lambdaarn reads the ARNs and references the guardrails meet:
// which account an ARN names, and a function reference's name and
// qualifier. It imports no AWS SDK package, so decisions and snapshots of
// every guardrail can use it.
package lambdaarn

import "strings"

// Account returns the account field of an ARN, or "" (an S3 bucket's ARN
// has none, and a bare name is no ARN).
func Account(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// SplitFunction splits a function reference into the bare name and the
// qualifier (alias or version) it carries, if any: "name:prod",
// "arn:aws:lambda:r:a:function:name:7" and "a:function:name" all work.
func SplitFunction(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			name = parts[i+1]
			if i+2 < len(parts) {
				qualifier = parts[i+2]
			}
			return name, qualifier
		}
	}
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	return s, ""
}
