package pipeline

import (
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
)

// TestAForgedDeliveryCannotSilenceTheRealOne: anyone allowed to invoke the
// guard can hand it a copy of a real event's id with other contents. That
// copy may cause a check, never suppress one: delivered first, it must not
// make the real delivery a duplicate.
func TestAForgedDeliveryCannotSilenceTheRealOne(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]any)
	}{
		{"a harmless function named instead", func(m map[string]any) {
			m["requestParameters"] = map[string]any{"functionName": "hello-world"}
		}},
		{"other response elements", func(m map[string]any) {
			m["responseElements"] = map[string]any{"functionName": "payments-api", "revisionId": "x"}
		}},
		{"another caller", func(m map[string]any) {
			m["userIdentity"] = map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/nobody", "userName": "nobody"}
		}},
		{"another operation", func(m map[string]any) { m["eventName"] = "UpdateFunctionConfiguration20150331v2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			real := r.event
			r.event = event(record(impostorRole, tt.edit)) // the same eventID
			if err := r.handle(t); err != nil {
				t.Fatalf("forged delivery: %v", err)
			}
			before := len(r.ev.evaluated)
			r.event = real
			if err := r.handle(t); err != nil {
				t.Fatalf("real delivery: %v", err)
			}
			if r.logged(t, "reason", ReasonDuplicate) {
				t.Fatal("the real delivery was dropped as a duplicate of the forged one")
			}
			if len(r.ev.evaluated) != before+1 || r.ev.evaluated[before].Name != "payments-api" {
				t.Errorf("the real delivery evaluated %v, want payments-api", r.ev.evaluated[before:])
			}
			if n := len(r.al.sent); n == 0 || r.al.sent[n-1].Event.ID != "ev-1" {
				t.Errorf("no alert for the real delivery, or not under its CloudTrail event id: %+v", r.al.sent)
			}
		})
	}
}
