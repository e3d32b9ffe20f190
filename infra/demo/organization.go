package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/localorg"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/infra/testbed"
)

// The organization story: a member account's guard, in the member's second
// region, contains what mallory deploys there, and the security account's
// central topic receives the alert naming the member and the region.
const (
	OrganizationScenario = "organization: mallory deploys unsigned code in a member account's second region"
	orgMember            = "200000000007"
	orgRegion            = "us-east-1"
	orgFunction          = "miner"
	centralTopic         = "selfguard-org-alerts"
)

// central is the security account's alert topic with an inbox queue, on
// moto, reached with the security account's credentials (moto keeps each
// account's resources apart by the account of an assumed role).
type central struct {
	topic, inbox string
	sqs          *sqs.Client
}

func newCentral(ctx context.Context, m *moto.Server, region string) (*central, error) {
	base := m.Config(region)
	out, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + localorg.Security + ":role/selfguard-central"), RoleSessionName: aws.String("demo"),
	})
	if err != nil {
		return nil, fmt.Errorf("assume the security account's role: %w", err)
	}
	cfg := base.Copy()
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(centralTopic)})
	if err != nil {
		return nil, fmt.Errorf("create the central topic: %w", err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("selfguard-org-inbox")})
	if err != nil {
		return nil, fmt.Errorf("create the central inbox: %w", err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("read the central inbox: %w", err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}); err != nil {
		return nil, fmt.Errorf("subscribe the central inbox: %w", err)
	}
	return &central{topic: *topic.TopicArn, inbox: *q.QueueUrl, sqs: sqsc}, nil
}

// alerts reads what reached the central topic.
func (c *central) alerts(ctx context.Context) ([]testbed.Alert, error) {
	res, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &c.inbox, MaxNumberOfMessages: 10})
	if err != nil {
		return nil, fmt.Errorf("read the central inbox: %w", err)
	}
	var out []testbed.Alert
	for _, m := range res.Messages {
		var n struct {
			Subject           string
			Message           string
			MessageAttributes map[string]struct{ Value string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
			return nil, fmt.Errorf("decode a central alert: %w", err)
		}
		a := testbed.Alert{Subject: n.Subject, Message: n.Message, Attributes: map[string]string{}}
		for k, v := range n.MessageAttributes {
			a.Attributes[k] = v.Value
		}
		out = append(out, a)
	}
	return out, nil
}

// runOrganization plays the organization story on a member account's
// second region, with the guards' alerts copied to the central topic as
// the member StackSet's CentralAlertTopicArn does. It fails only if the
// member account cannot be brought up.
func runOrganization(ctx context.Context, w io.Writer, root string) (Result, error) {
	fmt.Fprintf(w, "\n=== bringing up member account %s in %s, its second region, with alerts copied to the security account %s\n",
		orgMember, orgRegion, localorg.Security)
	params := testbed.GuardParameters("enforce")
	params["TrustedSigningProfileArns"] = "arn:aws:signer:" + orgRegion + ":" + orgMember + ":/signing-profiles/" + testbed.ReleaseProfile
	params["CodeSigningConfigArn"] = ""
	centralARN := "arn:aws:sns:" + orgRegion + ":" + localorg.Security + ":" + centralTopic
	bed, err := testbed.Start(ctx, testbed.Options{
		Root: root, Account: orgMember, Region: orgRegion, Parameters: params,
		World: &emulator.World{Account: orgMember, Region: orgRegion}, AlertTopics: []string{centralARN},
	})
	if err != nil {
		return Result{}, fmt.Errorf("start the member account: %w", err)
	}
	defer bed.Close()
	start := time.Now()
	res := Result{Scenario: OrganizationScenario, Mode: "enforce"}
	p := &player{bed: bed, w: w, offsets: map[string]int{}}
	fmt.Fprintf(w, "\n--- %s (%s)\n", res.Scenario, res.Mode)
	fail := func(err error) (Result, error) {
		res.Err, res.Took = err, time.Since(start)
		fmt.Fprintf(w, "  FAIL     %v\n", err)
		return res, nil
	}
	c, err := newCentral(ctx, bed.Moto, orgRegion)
	if err == nil && c.topic != centralARN {
		err = fmt.Errorf("central topic is %s, want %s", c.topic, centralARN)
	}
	if err != nil {
		return fail(err)
	}
	p.skip(ctx)
	_, err = bed.Lambda(mallory).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(orgFunction), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + orgMember + ":role/" + orgFunction), Code: &types.FunctionCode{ZipFile: unsignedZip},
	})
	if err != nil {
		return fail(fmt.Errorf("play: %w", err))
	}
	if err := bed.Settle(ctx); err != nil {
		return fail(fmt.Errorf("settle: %w", err))
	}
	alerts, err := c.alerts(ctx)
	if err != nil {
		return fail(err)
	}
	p.timeline(alerts)
	for _, a := range alerts {
		fmt.Fprintf(w, "  central  %s [account %s, region %s]\n", a.Subject, a.Attributes["account"], a.Attributes["region"])
	}
	if err := checkOrganization(ctx, bed, alerts); err != nil {
		return fail(err)
	}
	res.Took = time.Since(start)
	fmt.Fprintf(w, "  ok       contained in %s/%s; the security account was told which account and region (%s)\n",
		orgMember, orgRegion, res.Took.Round(time.Millisecond))
	return res, nil
}

// checkOrganization: the function is contained in the member's region, and
// one alert about it reached the central topic naming account and region.
func checkOrganization(ctx context.Context, bed *testbed.Bed, central []testbed.Alert) error {
	if err := containedIs(ctx, bed, orgFunction, true); err != nil {
		return err
	}
	if err := alerted(central, orgFunction, "lambda.unsigned-code", "done"); err != nil {
		return fmt.Errorf("central topic: %w", err)
	}
	for _, a := range central {
		if a.Attributes["resource"] == orgFunction && (a.Attributes["account"] != orgMember || a.Attributes["region"] != orgRegion) {
			return fmt.Errorf("central alert names %s/%s, want %s/%s", a.Attributes["account"], a.Attributes["region"], orgMember, orgRegion)
		}
	}
	return nil
}
