package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestEveryGuardrailLogsAnOutcomeTheSameWay: the remediation line names
// the action taken, the planned one when a safer action replaced it, the
// resource, the outcome and why.
func TestEveryGuardrailLogsAnOutcomeTheSameWay(t *testing.T) {
	restore := finding.Action{Kind: rules.ActionRestoreCode, Resource: "payments-api"}
	contain := finding.Action{Kind: rules.ActionContain, Resource: "payments-api"}
	instead := Done(restore, "contained")
	instead.Taken = &contain
	tests := []struct {
		name string
		o    Outcome
		want map[string]string
	}{
		{"done as planned", Done(restore, "restored"), map[string]string{
			"level": "info", logging.FieldAction: string(rules.ActionRestoreCode), logging.FieldOutcome: "done", logging.FieldDetail: "restored"}},
		{"done by a safer action", instead, map[string]string{
			logging.FieldAction: string(rules.ActionContain), logging.FieldPlanned: string(rules.ActionRestoreCode)}},
		{"failed", Failed(restore, errors.New("throttled")), map[string]string{
			"level": "warn", logging.FieldOutcome: "failed", "error": "throttled", logging.FieldResource: "payments-api"}},
		{"not needed", NotNeeded(restore, "gone"), map[string]string{logging.FieldOutcome: "not-needed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.o.Log(logging.With(context.Background(), logging.New(&buf, "info")))
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			for k, v := range tt.want {
				if line[k] != v {
					t.Errorf("%s = %v, want %q (%s)", k, line[k], v, buf.String())
				}
			}
		})
	}
}
