package report

import (
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

func TestASFFTypesAndFieldsComeFromTheRuleRegistry(t *testing.T) {
	r := &Report{Items: []Item{
		{Account: "111122223333", Region: "eu-west-1", Finding: rules.Finding(rules.UnsignedCode, "pay", "", "s", "")},
		{Account: "111122223333", Region: "eu-west-1", Finding: rules.Finding(rules.NoApprovalRule, "repo", "", "s", "")},
		{Account: "111122223333", Region: "eu-west-1", Finding: finding.Finding{Rule: "custom.rule", Severity: finding.SeverityLow, Resource: "x"}},
	}}
	want := []struct{ typ, guardrail string }{
		{"Software and Configuration Checks/AWS Security Best Practices/selfguard-code-signing", "code-signing"},
		{"Software and Configuration Checks/AWS Security Best Practices/selfguard-reviewed-repositories", "reviewed-repositories"},
		{"Software and Configuration Checks/AWS Security Best Practices", ""},
	}
	for i, f := range r.ASFF() {
		if f.Types[0] != want[i].typ || f.ProductFields["selfguard/guardrail"] != want[i].guardrail {
			t.Errorf("finding %d: type %q guardrail %q, want %+v", i, f.Types[0], f.ProductFields["selfguard/guardrail"], want[i])
		}
	}
}
