package rules

import (
	"fmt"
	"strings"
)

// Markdown renders the rule table the README shows, one row a rule in
// declaration order. The README's copy is checked against it by a test and
// regenerated with `selfguard rules --markdown`.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Rule | Guardrail | Severity | What it means | Enforce mode does | Undo |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range table {
		sev := string(r.Severity)
		if r.Raised != "" {
			sev += " (" + r.Raised + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.ID, r.Guardrail, sev,
			cell(r.Title), cell(r.Enforce), cell(r.Undo))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
