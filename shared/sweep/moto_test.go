package sweep_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/ledger"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

// motoAWS holds real SDK clients talking to moto.
type motoAWS struct {
	db  *dynamodb.Client
	sqs *sqs.Client
	sns *sns.Client
}

var names atomic.Int64

// uniq gives each test its own table, queue or topic in the shared moto.
func uniq(prefix string) string { return prefix + "-" + strconv.FormatInt(names.Add(1), 10) }

func motoClients(t testing.TB) motoAWS {
	t.Helper()
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	cfg := motoServer.Config(region)
	return motoAWS{db: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg)}
}

// table creates a ledger table as template.yaml declares it.
func (m motoAWS) table(t testing.TB) string {
	t.Helper()
	name := uniq("ledger")
	if _, err := m.db.CreateTable(context.Background(), ledger.CreateTableInput(name)); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return name
}

// queue creates an SQS queue and returns its URL and ARN.
func (m motoAWS) queue(t testing.TB, prefix string) (string, string) {
	t.Helper()
	ctx := context.Background()
	q, err := m.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(prefix))})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	a, err := m.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	return aws.ToString(q.QueueUrl), a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// topic creates an SNS topic subscribed by a new SQS queue, as an operator
// would subscribe to the alert topic; it returns the topic ARN and the
// queue URL.
func (m motoAWS) topic(t testing.TB) (string, string) {
	t.Helper()
	ctx := context.Background()
	tp, err := m.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq("alerts"))})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	url, arn := m.queue(t, "alert-inbox")
	if _, err := m.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return aws.ToString(tp.TopicArn), url
}

// notification is an SNS message as an SQS subscriber receives it.
type notification struct {
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

func (n notification) attr(k string) string { return n.MessageAttributes[k].Value }

// drain receives and deletes every message on a queue until one receive
// comes back empty.
func (m motoAWS) drain(t testing.TB, url string) []sqstypes.Message {
	t.Helper()
	ctx := context.Background()
	var out []sqstypes.Message
	for {
		r, err := m.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		for _, msg := range r.Messages {
			if _, err := m.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
		out = append(out, r.Messages...)
	}
}

// notifications drains an alert inbox.
func (m motoAWS) notifications(t testing.TB, url string) []notification {
	t.Helper()
	var out []notification
	for _, msg := range m.drain(t, url) {
		var n notification
		if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &n); err != nil {
			t.Fatalf("notification %q: %v", aws.ToString(msg.Body), err)
		}
		out = append(out, n)
	}
	return out
}
