package pipeline

import (
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
)

// TestTheDecisionLineCarriesTheMetrics: the decision line of a finding is
// an EMF record with the finding, its action by outcome, and the time from
// the CloudTrail event (11:59:58) to the decision (12:00:00).
func TestTheDecisionLineCarriesTheMetrics(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	if err := r.handle(t); err != nil {
		t.Fatal(err)
	}
	for _, m := range r.logLines(t) {
		if m["decision"] != "finding" {
			continue
		}
		if _, ok := m["_aws"].(map[string]any); !ok {
			t.Fatalf("no EMF metadata in %v", m)
		}
		want := map[string]float64{"Findings": 1, "Actions": 1, "ActionsDone": 1, "ActionsFailed": 0, "EventToDecisionMs": 2000}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %v, want %v", k, m[k], v)
			}
		}
		return
	}
	t.Fatal("no decision line")
}
