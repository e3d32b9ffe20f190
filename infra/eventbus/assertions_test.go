package eventbus

import (
	"errors"
	"strings"
	"testing"
)

const ruledTemplate = `
Parameters:
  Mode: {Type: String, Default: monitor}
  Trusted: {Type: String, Default: ""}
Rules:
  EnforceNeedsTrust:
    RuleCondition: !Equals [!Ref Mode, enforce]
    Assertions:
      - Assert: !Not [!Equals [!Ref Trusted, ""]]
        AssertDescription: enforce mode needs a trusted profile
Resources: {}
`

// TestRulesRefuseParametersAsCloudFormationWould: the template's Rules are
// checked before anything runs, so a local account cannot start with
// parameters AWS would refuse to deploy.
func TestRulesRefuseParametersAsCloudFormationWould(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		refuse bool
	}{
		{"the defaults", nil, false},
		{"enforce with a trusted profile", map[string]string{"Mode": "enforce", "Trusted": "arn:aws:signer:x"}, false},
		{"monitor with none", map[string]string{"Mode": "monitor"}, false},
		{"enforce with none", map[string]string{"Mode": "enforce"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTemplate([]byte(ruledTemplate), TemplateOptions{Parameters: tt.params, AccountID: "111122223333", Region: "eu-west-1"})
			if tt.refuse != (err != nil) {
				t.Fatalf("ParseTemplate: %v, want refused %v", err, tt.refuse)
			}
			if tt.refuse && (!errors.Is(err, ErrRuleAssertion) || !strings.Contains(err.Error(), "needs a trusted profile")) {
				t.Errorf("error %v does not name the refusing rule's description", err)
			}
		})
	}
}
