package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SNS is the part of the SNS client the publisher uses.
type SNS interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publisher sends alerts to an SNS topic.
type Publisher struct {
	Client SNS
	// TopicARN is the alert topic, or several separated by commas: in an
	// organization the member's own topic and the security account's.
	TopicARN string
	// Format is how bodies are written; text if empty.
	Format BodyFormat
}

// Send publishes one finding's alert.
func (p *Publisher) Send(ctx context.Context, a Alert) error {
	return p.Publish(ctx, Render(Format(a), p.Format))
}

// SendSummary publishes a sweep summary.
func (p *Publisher) SendSummary(ctx context.Context, s Summary) error {
	return p.Publish(ctx, Render(FormatSummary(s), p.Format))
}

// Publish sends a formatted message to every topic. A topic that fails
// does not keep the message from the others; the error names it, and the
// caller's retry may send the others a duplicate (alerts are at least once).
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	var topics []string
	for _, t := range strings.Split(p.TopicARN, ",") {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	if len(topics) == 0 {
		return errors.New("publish alert: no topic configured")
	}
	var errs []error
	for _, t := range topics {
		if err := p.publish(ctx, t, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Publisher) publish(ctx context.Context, topic string, m Message) error {
	attrs := make(map[string]snstypes.MessageAttributeValue, len(m.Attributes))
	for k, v := range m.Attributes {
		attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err := p.Client.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(topic),
		Subject:           aws.String(m.Subject),
		Message:           aws.String(m.Body),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("publish alert %q to %s: %w", m.Subject, topic, err)
	}
	return nil
}

// Permissions are the IAM actions publishing needs (on the topic).
var Permissions = []string{"sns:Publish"}
