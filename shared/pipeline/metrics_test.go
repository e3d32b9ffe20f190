package pipeline

import (
	"context"
	"errors"
	"fmt"
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

type fakeHub struct {
	calls []string
	err   error
}

func (f *fakeHub) Judged(_ context.Context, account, region, resource string, fs []finding.Finding) error {
	f.calls = append(f.calls, fmt.Sprintf("%s/%s/%s:%d", account, region, resource, len(fs)))
	return f.err
}

// TestTheHubHearsEveryJudgementAndNeverHoldsUpTheAlert: the guard tells
// Security Hub what it found on the resource, and a failing Security Hub
// costs the event nothing but a log line.
func TestTheHubHearsEveryJudgementAndNeverHoldsUpTheAlert(t *testing.T) {
	r := newRig(finding.ModeMonitor)
	hub := &fakeHub{err: errors.New("security hub is not enabled")}
	r.h.Hub = hub
	if err := r.handle(t); err != nil {
		t.Fatal(err)
	}
	if len(hub.calls) != 1 || hub.calls[0] != "123456789012/eu-west-1/payments-api:1" {
		t.Errorf("hub calls %v", hub.calls)
	}
	if len(r.al.sent) != 1 || !r.logged(t, "message", "security hub not updated") {
		t.Errorf("alerts %d; the hub's failure was not logged", len(r.al.sent))
	}
}
