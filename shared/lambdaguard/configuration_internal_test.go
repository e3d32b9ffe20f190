package lambdaguard

import (
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestTheConfigurationHalfOfACodeRestoreContinuesAfterAConflict: a code
// restore whose configuration write met a racing change is carried on by
// the fresh decision's configuration restore.
func TestTheConfigurationHalfOfACodeRestoreContinuesAfterAConflict(t *testing.T) {
	fresh := finding.Decision{Actions: []finding.Action{{Kind: rules.ActionRestoreConfiguration, Resource: "pay"}}}
	if f, ok := freshFor(fresh, finding.Action{Kind: rules.ActionRestoreCode, Resource: "pay"}); !ok || f.Kind != rules.ActionRestoreConfiguration {
		t.Error("a configuration restore does not carry on a code restore")
	}
	if _, ok := freshFor(fresh, finding.Action{Kind: rules.ActionContain, Resource: "pay"}); ok {
		t.Error("a containment taken for a configuration restore")
	}
	back := finding.Decision{Actions: []finding.Action{{Kind: rules.ActionRestoreCode, Resource: "pay"}}}
	if _, ok := freshFor(back, finding.Action{Kind: rules.ActionRestoreConfiguration, Resource: "pay"}); ok {
		t.Error("a code restore taken for a configuration restore")
	}
}
