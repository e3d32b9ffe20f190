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
	toTopic := alarmsRoutedToTopic(res)
	for id, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := m["Properties"].(map[string]any)
		if !toTopic[id] {
			t.Errorf("alarm %s on %v does not reach the alert topic (an EventBridge rule on its state changes)", id, p["MetricName"])
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

// alarmsRoutedToTopic are the alarms whose ALARM state changes an
// EventBridge rule delivers to the alert topic.
func alarmsRoutedToTopic(res map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, r := range res {
		m := r.(map[string]any)
		if m["Type"] != "AWS::Events::Rule" {
			continue
		}
		p := m["Properties"].(map[string]any)
		pat, _ := p["EventPattern"].(map[string]any)
		if dt, _ := pat["detail-type"].([]any); len(dt) != 1 || dt[0] != "CloudWatch Alarm State Change" {
			continue
		}
		topic := false
		targets, _ := p["Targets"].([]any)
		for _, tg := range targets {
			if tm, _ := tg.(map[string]any); tm["Arn"] == "AlertTopic" {
				topic = true
			}
		}
		resources, _ := pat["resources"].([]any)
		for _, a := range resources {
			if s, _ := a.(string); topic && len(s) > 4 && s[len(s)-4:] == ".Arn" {
				out[s[:len(s)-4]] = true
			}
		}
	}
	return out
}
