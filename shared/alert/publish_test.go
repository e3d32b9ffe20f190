package alert

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/finding"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

// topicWithQueue makes a topic whose messages land in a queue, as an email
// or chat subscription would receive them.
func topicWithQueue(t *testing.T, name string) (*sns.Client, *sqs.Client, string, string) {
	t.Helper()
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	ctx := context.Background()
	cfg := motoServer.Config("eu-west-1")
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	return snsc, sqsc, *topic.TopicArn, *q.QueueUrl
}

// delivered is the SNS notification as an SQS subscriber receives it.
type delivered struct {
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

func receive(t *testing.T, sqsc *sqs.Client, url string) []delivered {
	t.Helper()
	out, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []delivered
	for _, m := range out.Messages {
		var d delivered
		if err := json.Unmarshal([]byte(*m.Body), &d); err != nil {
			t.Fatalf("notification %q: %v", *m.Body, err)
		}
		got = append(got, d)
	}
	return got
}

func TestPublishReachesSubscriberWithAttributes(t *testing.T) {
	snsc, sqsc, topic, url := topicWithQueue(t, "alerts")
	a := sample()
	a.Event.UserAgent = strings.Repeat("A", 10_000) + "\nforged line"
	p := &Publisher{Client: snsc, TopicARN: topic}
	if err := p.Send(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	got := receive(t, sqsc, url)
	if len(got) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(got))
	}
	d := got[0]
	if d.Subject != "[selfguard] HIGH payments-api: unsigned code deployed by mallory - contained" {
		t.Errorf("subject %q", d.Subject)
	}
	if !strings.Contains(d.Message, "To undo: aws lambda delete-function-concurrency --function-name payments-api") {
		t.Errorf("body lacks the undo command:\n%s", d.Message)
	}
	if strings.Contains(d.Message, "\nforged line") {
		t.Error("a user agent forged a line of the alert")
	}
	want := map[string]string{AttrSeverity: "high", AttrRule: "unsigned-code", AttrAction: "contain", AttrOutcome: "done",
		AttrAccount: "123456789012", AttrRegion: "eu-west-1", AttrResource: "payments-api", AttrKind: "finding"}
	for k, v := range want {
		if got := d.MessageAttributes[k]; got.Value != v || got.Type != "String" {
			t.Errorf("attribute %s = %+v, want String %q", k, got, v)
		}
	}
}

func TestPublishSummary(t *testing.T) {
	snsc, sqsc, topic, url := topicWithQueue(t, "sweep")
	p := &Publisher{Client: snsc, TopicARN: topic}
	s := Summary{Account: "123456789012", Region: "eu-west-1", Mode: finding.ModeMonitor, Label: "new", Findings: []finding.Finding{
		{Rule: "no-review", Severity: finding.SeverityMedium, Resource: "repo-a", Summary: "no approval rule"},
	}}
	if err := p.SendSummary(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	got := receive(t, sqsc, url)
	if len(got) != 1 || got[0].Subject != "[selfguard] sweep 123456789012/eu-west-1: 1 new finding (1 MEDIUM)" ||
		got[0].MessageAttributes[AttrKind].Value != "summary" {
		t.Fatalf("delivered %+v", got)
	}
}

func TestPublishWithoutTopicFails(t *testing.T) {
	p := &Publisher{Client: nil}
	if err := p.Send(context.Background(), sample()); err == nil {
		t.Fatal("publishing without a topic succeeded")
	}
}
