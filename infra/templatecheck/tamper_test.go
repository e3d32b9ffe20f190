package templatecheck

import (
	"strings"
	"testing"
)

// TestTamperEventsGoStraightToTheTopic: changes to selfguard itself reach
// the alert topic through rules with no guard function in the path, and the
// same changes to anything else do not.
func TestTamperEventsGoStraightToTheTopic(t *testing.T) {
	tmpl := loadTemplate(t)
	const topic = "arn:aws:sns:eu-west-1:111122223333:selfguard-AlertTopic"
	record := func(source, name, params, extra string) []byte {
		return []byte(`{"eventVersion":"1.08","eventSource":"` + source + `","eventName":"` + name + `",` +
			`"awsRegion":"eu-west-1","recipientAccountId":"111122223333","readOnly":false,` + extra +
			`"eventTime":"2026-11-24T10:00:00Z","sourceIPAddress":"198.51.100.66",` +
			`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","userName":"mallory"},` +
			`"requestParameters":` + params + `}`)
	}
	tests := []struct {
		name   string
		record []byte
		want   string
	}{
		{"guard function throttled to zero", record("lambda.amazonaws.com", "PutFunctionConcurrency20171031",
			`{"functionName":"selfguard-lambda-guard","reservedConcurrentExecutions":0}`, ""), "AlertTopic"},
		{"guard function code replaced (by ARN)", record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
			`{"functionName":"arn:aws:lambda:eu-west-1:111122223333:function:selfguard-repo-guard","publish":false}`, ""), "AlertTopic,LambdaGuardFunction"},
		{"guard function deleted", record("lambda.amazonaws.com", "DeleteFunction20150331",
			`{"functionName":"selfguard-sweep"}`, ""), "AlertTopic"},
		{"guard rule disabled", record("events.amazonaws.com", "DisableRule",
			`{"name":"selfguard-LambdaGuardFunctionLambdaChanges-1A2B3C"}`, ""), "AlertTopic"},
		{"guard rule's target removed", record("events.amazonaws.com", "RemoveTargets",
			`{"rule":"selfguard-RepoGuardFunctionRepositoryChanges-1A2B3C","ids":["x"]}`, ""), "AlertTopic"},
		{"alert subscription removed", record("sns.amazonaws.com", "Unsubscribe",
			`{"subscriptionArn":"`+topic+`:6f1c2f0e-1111-2222-3333-444455556666"}`, ""), "AlertTopic"},
		{"alert topic deleted", record("sns.amazonaws.com", "DeleteTopic", `{"topicArn":"`+topic+`"}`, ""), "AlertTopic"},
		{"trail stopped", record("cloudtrail.amazonaws.com", "StopLogging",
			`{"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/management"}`, ""), "AlertTopic"},
		// Not selfguard's: no tamper alert.
		{"another function throttled", record("lambda.amazonaws.com", "PutFunctionConcurrency20171031",
			`{"functionName":"payments-api","reservedConcurrentExecutions":0}`, ""), ""},
		{"another rule disabled", record("events.amazonaws.com", "DisableRule", `{"name":"nightly-report"}`, ""), ""},
		{"another topic deleted", record("sns.amazonaws.com", "DeleteTopic",
			`{"topicArn":"arn:aws:sns:eu-west-1:111122223333:builds"}`, ""), ""},
		{"a failed attempt on the guard", record("lambda.amazonaws.com", "DeleteFunction20150331",
			`{"functionName":"selfguard-lambda-guard"}`, `"errorCode":"AccessDeniedException",`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(targets(t, tmpl, envelope(t, tt.record)), ",")
			if got != tt.want {
				t.Errorf("routed to %q, want %q", got, tt.want)
			}
		})
	}
}
