package templatecheck

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

const guardErrorsAlarm = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:selfguard-LambdaGuardErrorsAlarm-1A2B"

// alarmEvent is a CloudWatch Alarm State Change event as EventBridge
// delivers it.
func alarmEvent(arn, state string) []byte {
	return []byte(`{"version":"0","id":"a1","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch",
"account":"111122223333","time":"2026-11-24T10:05:00Z","region":"eu-west-1","resources":["` + arn + `"],
"detail":{"alarmName":"` + arn[strings.LastIndex(arn, ":")+1:] + `","state":{"value":"` + state + `","reason":"Threshold Crossed: 1 datapoint was greater than the threshold (0.0)."},
"previousState":{"value":"OK"},"configuration":{"description":"[selfguard] CRITICAL the Lambda guard is failing","metrics":[]}}}`)
}

// topicBodies renders, with the template's own rules and transformers,
// what the alert topic receives for an event.
func topicBodies(t *testing.T, tmpl *eventbus.Template, event []byte) []string {
	t.Helper()
	var out []string
	for _, r := range tmpl.Rules {
		if ok, err := r.Pattern.Match(event); err != nil || !ok {
			continue
		}
		for _, tg := range r.Targets {
			if tg.Name != "AlertTopic" || tg.InputTransformer == nil {
				continue
			}
			body, err := tg.InputTransformer.Apply(event, r.Name, "arn:aws:events:eu-west-1:111122223333:rule/"+r.Name, time.Now())
			if err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			out = append(out, body)
		}
	}
	return out
}

// TestTamperAlertsAndAlarmsPassTheSameBodyFilterAsFindings: in the json and
// chatbot formats, the alerts that come straight from EventBridge (tamper
// evidence, the guards' alarms) reach a subscription whose MessageBody
// filter policy is the one alert.FilterPolicy gives for findings, on moto.
func TestTamperAlertsAndAlarmsPassTheSameBodyFilterAsFindings(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	tamper := envelope(t, []byte(`{"eventVersion":"1.08","eventSource":"lambda.amazonaws.com","eventName":"PutFunctionConcurrency20171031",
"awsRegion":"eu-west-1","recipientAccountId":"111122223333","readOnly":false,"eventTime":"2026-11-24T10:00:00Z","sourceIPAddress":"198.51.100.66",
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","userName":"mallory"},
"requestParameters":{"functionName":"selfguard-lambda-guard","reservedConcurrentExecutions":0}}`))
	for _, f := range []alert.BodyFormat{alert.FormatJSON, alert.FormatChatbot} {
		t.Run(string(f), func(t *testing.T) {
			tmpl, err := eventbus.LoadTemplate(filepath.Join("..", "..", "template.yaml"), eventbus.TemplateOptions{
				AccountID: "111122223333", Region: "eu-west-1", Parameters: map[string]string{"AlertFormat": string(f)},
				Attributes: map[string]string{"LambdaGuardErrorsAlarm.Arn": guardErrorsAlarm},
			})
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for name, ev := range map[string][]byte{"tamper": tamper, "alarm": alarmEvent(guardErrorsAlarm, "ALARM")} {
				got := topicBodies(t, tmpl, ev)
				if len(got) != 1 {
					t.Fatalf("%s: %d alerts reach the topic, want 1", name, len(got))
				}
				if !json.Valid([]byte(got[0])) {
					t.Fatalf("%s: the body is not JSON:\n%s", name, got[0])
				}
				bodies = append(bodies, got[0])
			}
			if got := topicBodies(t, tmpl, alarmEvent(guardErrorsAlarm, "OK")); len(got) != 0 {
				t.Errorf("an alarm back to OK alerts: %q", got)
			}
			if got := topicBodies(t, tmpl, alarmEvent("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:billing", "ALARM")); len(got) != 0 {
				t.Errorf("someone else's alarm alerts: %q", got)
			}
			if n := deliveredThroughFilter(t, string(f), alert.FilterPolicy(f, finding.SeverityCritical), bodies); n != len(bodies) {
				t.Errorf("%d of %d alerts passed the filter policy", n, len(bodies))
			}
		})
	}
}

// deliveredThroughFilter publishes each body to a fresh topic on moto and
// counts what a queue subscribed with the filter policy receives.
func deliveredThroughFilter(t *testing.T, name, policy string, bodies []string) int {
	t.Helper()
	ctx := context.Background()
	cfg := motoServer.Config("eu-west-1")
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-" + name)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("filtered-" + name)})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"]),
		Attributes: map[string]string{"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if _, err := snsc.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Messages)
}

// TestTheTextFormatKeepsTheTamperAlertReadable: e-mail readers get one
// line of text, as before the formats existed.
func TestTheTextFormatKeepsTheTamperAlertReadable(t *testing.T) {
	tmpl := loadTemplate(t)
	got := topicBodies(t, tmpl, alarmEvent("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:x", "ALARM"))
	if len(got) != 0 {
		t.Fatalf("unknown alarm alerted: %q", got)
	}
	for _, r := range tmpl.Rules {
		for _, tg := range r.Targets {
			if tg.InputTransformer != nil && strings.HasPrefix(tg.InputTransformer.Template, "{") {
				t.Errorf("%s: text format renders JSON: %s", r.Name, tg.InputTransformer.Template)
			}
		}
	}
}
