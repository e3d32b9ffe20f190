package alert

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfguard/selfguard/shared/finding"
)

// filteredQueue subscribes a second queue to the topic with a body filter
// policy, as a chat channel or a ticketing queue that wants only the
// serious alerts would.
func filteredQueue(t *testing.T, snsc *sns.Client, topic, name, policy string) string {
	t.Helper()
	_, sqsc, _, url := topicWithQueue(t, name)
	arn := queueARN(t, sqsc, url)
	if _, err := snsc.Subscribe(context.Background(), &sns.SubscribeInput{
		TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
		Attributes: map[string]string{"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"},
	}); err != nil {
		t.Fatal(err)
	}
	return url
}

func queueARN(t *testing.T, sqsc *sqs.Client, url string) string {
	t.Helper()
	qa, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return qa.Attributes["QueueArn"]
}

func TestEveryGuardAlertIsSelectableByOneBodyFilterPolicy(t *testing.T) {
	for _, f := range []BodyFormat{FormatJSON, FormatChatbot} {
		t.Run(string(f), func(t *testing.T) {
			snsc, sqsc, topic, _ := topicWithQueue(t, "all-"+string(f))
			serious := filteredQueue(t, snsc, topic, "serious-"+string(f), FilterPolicy(f, finding.SeverityCritical, finding.SeverityHigh))
			p := &Publisher{Client: snsc, TopicARN: topic, Format: f}

			high := sample()
			low := sample()
			low.Finding.Severity, low.Finding.Resource = finding.SeverityLow, "quiet-api"
			crit := Summary{Account: "123456789012", Region: "eu-west-1", Mode: finding.ModeMonitor, Findings: []finding.Finding{
				{Rule: "x", Severity: finding.SeverityCritical, Resource: "r"}}}
			for _, err := range []error{p.Send(context.Background(), high), p.Send(context.Background(), low), p.SendSummary(context.Background(), crit)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := receive(t, sqsc, serious)
			var subjects []string
			for _, d := range got {
				subjects = append(subjects, d.Subject)
			}
			if len(got) != 2 || strings.Contains(strings.Join(subjects, "|"), "quiet-api") {
				t.Errorf("the filtered subscription got %q, want the high finding and the critical summary", subjects)
			}
		})
	}
}

func TestChatbotBodyIsACustomNotificationWithTheFactsAndTheUndo(t *testing.T) {
	m := Render(Format(sample()), FormatChatbot)
	var n struct {
		Version, Source string
		Content         struct {
			TextType, Title, Description string
			NextSteps, Keywords          []string
		}
		Metadata struct {
			AdditionalContext map[string]string
		}
	}
	if err := json.Unmarshal([]byte(m.Body), &n); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, m.Body)
	}
	if n.Version != "1.0" || n.Source != "custom" || n.Content.TextType != "client-markdown" {
		t.Errorf("version %q source %q textType %q", n.Version, n.Source, n.Content.TextType)
	}
	if !strings.Contains(n.Content.Title, "HIGH payments-api: unsigned code deployed by mallory - contained") {
		t.Errorf("title %q", n.Content.Title)
	}
	for _, want := range []string{"*Who:* mallory", "203.0.113.9", "UpdateFunctionCode20150331v2"} {
		if !strings.Contains(n.Content.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, n.Content.Description)
		}
	}
	if len(n.Content.NextSteps) != 1 || n.Content.NextSteps[0] != "To undo: `aws lambda delete-function-concurrency --function-name payments-api`" {
		t.Errorf("next steps %q", n.Content.NextSteps)
	}
	if n.Metadata.AdditionalContext[AttrSeverity] != "high" || n.Metadata.AdditionalContext["actor"] != "mallory" {
		t.Errorf("additional context %v", n.Metadata.AdditionalContext)
	}
}

func TestJSONBodyCarriesTheTextAndTheFields(t *testing.T) {
	m := Render(Format(sample()), FormatJSON)
	var b jsonBody
	if err := json.Unmarshal([]byte(m.Body), &b); err != nil {
		t.Fatal(err)
	}
	if b.Severity != "high" || b.Kind != "finding" || b.Fields[AttrRule] != "unsigned-code" || len(b.Undo) != 1 ||
		!strings.Contains(strings.Join(b.Text, "\n"), "To undo: aws lambda delete-function-concurrency") {
		t.Errorf("body %+v", b)
	}
	if text := Render(Format(sample()), FormatText); text.Body != Format(sample()).Body {
		t.Error("the text format changed the body")
	}
}
