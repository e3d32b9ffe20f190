package pipeline

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
)

// FuzzHandleMalformedEvents: whatever EventBridge hands over as the detail
// of a CloudTrail event, the handler does not panic, and a detail that is not
// a CloudTrail record is dropped without retry (nil), without an action and
// without an alert.
func FuzzHandleMalformedEvents(f *testing.F) {
	f.Add([]byte(`{"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","eventID":"1","userIdentity":{"type":"IAMUser"}}`))
	f.Add([]byte(`{"eventSource":"lambda.amazonaws.com"}`))
	f.Add([]byte(`{"eventName":"x","userIdentity":"not an object"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"a string"`))
	f.Fuzz(func(t *testing.T, detail []byte) {
		if !json.Valid(detail) {
			return // EventBridge only delivers JSON
		}
		r := newRig(finding.ModeEnforce)
		e := events.CloudWatchEvent{Version: "0", ID: "fuzz", DetailType: cloudtrail.DetailType, Source: "aws.lambda", Detail: detail}
		err := r.h.Handle(context.Background(), e)
		if _, _, perr := cloudtrail.ParseEnvelope(mustEnvelope(t, e)); perr != nil {
			if err != nil {
				t.Fatalf("a malformed event returned %v: Lambda would retry what can never succeed", err)
			}
			if len(r.ev.acted) != 0 || len(r.al.sent) != 0 {
				t.Fatalf("a malformed event led to %d actions and %d alerts", len(r.ev.acted), len(r.al.sent))
			}
		}
	})
}

func mustEnvelope(t *testing.T, e events.CloudWatchEvent) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
