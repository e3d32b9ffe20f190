package templatecheck

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/selfguard/selfguard/infra/eventbus"
)

// TestEnforceWithNoTrustedProfileIsRefusedAtDeploy: template.yaml's Rules
// make CloudFormation refuse Mode=enforce with TrustedSigningProfileArns
// empty, which would contain every function of the account.
func TestEnforceWithNoTrustedProfileIsRefusedAtDeploy(t *testing.T) {
	const profile = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"
	tests := []struct {
		name   string
		params map[string]string
		refuse bool
	}{
		{"the defaults (monitor)", nil, false},
		{"monitor with no trusted profile", map[string]string{"Mode": "monitor", "TrustedSigningProfileArns": ""}, false},
		{"enforce with a trusted profile", map[string]string{"Mode": "enforce", "TrustedSigningProfileArns": profile}, false},
		{"enforce with no trusted profile", map[string]string{"Mode": "enforce", "TrustedSigningProfileArns": ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eventbus.LoadTemplate(filepath.Join("..", "..", "template.yaml"),
				eventbus.TemplateOptions{Parameters: tt.params, AccountID: "111122223333", Region: "eu-west-1"})
			if got := errors.Is(err, eventbus.ErrRuleAssertion); got != tt.refuse {
				t.Errorf("refused = %v (%v), want %v", got, err, tt.refuse)
			}
		})
	}
}
