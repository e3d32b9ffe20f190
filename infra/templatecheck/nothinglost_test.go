package templatecheck

import (
	"testing"
)

// TestNothingIsLostSilently: every function is invoked with bounded,
// explicit retries and event age and an on-failure destination (or, for a
// queue consumer, its queue's redrive to a dead-letter queue), and has alarms
// on its errors and throttles; every dead-letter queue has a depth alarm. All
// alarms notify the alert topic: a failing guard is itself an alert.
func TestNothingIsLostSilently(t *testing.T) {
	doc := readTemplate(t)
	res := doc["Resources"].(map[string]any)
	alarmed := map[string]map[string]bool{} // resource → metric → alarmed to the topic
	for _, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := m["Properties"].(map[string]any)
		if acts, _ := p["AlarmActions"].([]any); len(acts) != 1 || acts[0] != "AlertTopic" {
			t.Errorf("alarm on %v does not notify the alert topic: %v", p["MetricName"], p["AlarmActions"])
		}
		dims, _ := p["Dimensions"].([]any)
		for _, d := range dims {
			v, _ := d.(map[string]any)["Value"].(string) // !Ref X → "X", !GetAtt X.QueueName → "X.QueueName"
			name := v
			if i := len(v) - len(".QueueName"); i > 0 && v[i:] == ".QueueName" {
				name = v[:i]
			}
			if alarmed[name] == nil {
				alarmed[name] = map[string]bool{}
			}
			alarmed[name][p["MetricName"].(string)] = true
		}
	}
	for id, r := range res {
		m := r.(map[string]any)
		switch m["Type"] {
		case "AWS::Serverless::Function":
			p := functionProperties(t, doc, id)
			for _, metric := range []string{"Errors", "Throttles"} {
				if !alarmed[id][metric] {
					t.Errorf("%s has no %s alarm", id, metric)
				}
			}
			events, _ := p["Events"].(map[string]any)
			async := false
			for _, e := range events {
				if typ := e.(map[string]any)["Type"]; typ == "EventBridgeRule" || typ == "Schedule" {
					async = true
				}
			}
			if !async {
				continue
			}
			eic, _ := p["EventInvokeConfig"].(map[string]any)
			dest, _ := eic["DestinationConfig"].(map[string]any)
			onFailure, _ := dest["OnFailure"].(map[string]any)
			if eic["MaximumRetryAttempts"] == nil || eic["MaximumEventAgeInSeconds"] == nil || onFailure["Destination"] == nil {
				t.Errorf("%s is invoked asynchronously without explicit retries, event age and an on-failure destination: %v", id, eic)
			}
		case "AWS::SQS::Queue":
			p, _ := m["Properties"].(map[string]any)
			if p["RedrivePolicy"] != nil {
				continue // a work queue; its dead-letter queue is checked as a queue of its own
			}
			if !alarmed[id]["ApproximateNumberOfMessagesVisible"] {
				t.Errorf("dead-letter queue %s has no depth alarm", id)
			}
		}
	}
}
