package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/shared/ledger"
)

// The local account's identity and the stack name template.yaml is
// resolved with.
const (
	Account   = "111122223333"
	Region    = "eu-west-1"
	StackName = "selfguard"
)

// Options configure a bed.
type Options struct {
	// Root is the repository root (template.yaml, Makefile); default: found
	// from the working directory upwards.
	Root string
	// Parameters override template.yaml's parameter defaults (Mode...).
	Parameters map[string]string
	// World is loaded into the emulator before anything runs.
	World *emulator.World
	// Functions are the template's logical ids to run; nil means every
	// function a rule delivers to, an empty list none.
	Functions []string
	// Duplicate is the probability that the bus delivers an event twice.
	Duplicate float64
	// TimeScale scales Lambda's retry delays (default 0.001: a minute is 60 ms).
	TimeScale float64
	// LogWriter receives the functions' log lines as they are written.
	LogWriter io.Writer
	// Env adds or overrides function environment variables (all functions).
	Env map[string]string
	// Account and Region place the local account (default Account and
	// Region): a member account of a local organization, say.
	Account, Region string
	// AlertTopics are further topics the guards publish every alert to,
	// as a member stack with a central alert topic does.
	AlertTopics []string
}

// Bed is a running local account.
type Bed struct {
	// Account and Region are where the local account is.
	Account, Region string
	Emulator        *emulator.Server
	URL             string // the emulator's base URL
	Moto            *moto.Server
	Bus             *eventbus.Bus
	Template        *eventbus.Template
	Functions       map[string]*runtime.Function
	// Roles maps each running function to its execution role's ARN; the
	// function calls AWS as an actor of the same name with that role.
	Roles map[string]string

	TopicARN   string // the alert topic
	InboxURL   string // an SQS queue subscribed to the alert topic
	LedgerName string // the DynamoDB ledger table
	DLQURL     string // the functions' on-failure queue
	SweepURL   string // the sweep queue, where the Lambda guard fans work out

	ln    net.Listener
	close []func()
	// root, buildRoot, rie and opts are what FunctionSpec builds and
	// resolves with.
	root, buildRoot, rie string
	opts                 Options
}

// Start brings the local account up. Close it when done.
func Start(ctx context.Context, opts Options) (b *Bed, err error) {
	b = &Bed{Functions: map[string]*runtime.Function{}, Roles: map[string]string{}, Account: opts.Account, Region: opts.Region}
	if b.Account == "" {
		b.Account = Account
	}
	if b.Region == "" {
		b.Region = Region
	}
	defer func() {
		if err != nil {
			b.Close()
			b = nil
		}
	}()
	root := opts.Root
	if root == "" {
		if root, err = FindRoot(); err != nil {
			return nil, err
		}
	}
	if b.Moto, err = moto.Start(ctx); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	b.close = append(b.close, b.Moto.Stop)
	if err = b.createAlerting(ctx); err != nil {
		return nil, err
	}

	b.Emulator = emulator.New(b.Account, b.Region)
	if opts.World != nil {
		if err = b.Emulator.LoadWorld(opts.World); err != nil {
			return nil, fmt.Errorf("load world: %w", err)
		}
	}
	if b.URL, b.ln, err = b.Emulator.Listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	b.close = append(b.close, func() { b.ln.Close() })

	b.Template, err = eventbus.LoadTemplate(filepath.Join(root, "template.yaml"), eventbus.TemplateOptions{
		Parameters: opts.Parameters, AccountID: b.Account, Region: b.Region, StackName: StackName,
		Physical: map[string]string{"AlertTopic": b.TopicARN, "LedgerTable": b.LedgerName, "DeadLetterQueue": b.DLQURL,
			"SweepQueue": b.SweepURL},
	})
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	ids := opts.Functions
	if ids == nil {
		ids = ruleTargets(b.Template)
	}
	rie, err := runtime.EnsureRIE(ctx)
	if err != nil {
		return nil, err
	}
	// One build directory per checkout: worktrees on one machine must not
	// run each other's bootstraps.
	abs, _ := filepath.Abs(root)
	sum := sha256.Sum256([]byte(abs))
	b.root, b.rie, b.opts = root, rie, opts
	b.buildRoot = filepath.Join(os.TempDir(), "selfguard-testbed-build-"+hex.EncodeToString(sum[:6]))
	for _, id := range ids {
		if err = b.startFunction(ctx, id); err != nil {
			return nil, err
		}
	}
	scale := opts.TimeScale
	if scale == 0 {
		scale = 0.001
	}
	b.Bus = eventbus.New(b.Template, eventbus.Options{
		Invoker:   runtime.NewInvoker(b.Functions),
		Publisher: topicPublisher{b},
		TimeScale: scale,
		Duplicate: opts.Duplicate,
		Account:   b.Account,
		Region:    b.Region,
	})
	b.close = append(b.close, b.Bus.Close)
	return b, nil
}

func ruleTargets(t *eventbus.Template) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range t.Rules {
		for _, tg := range r.Targets {
			if tg.Kind == eventbus.TargetFunction && !seen[tg.Name] {
				seen[tg.Name] = true
				ids = append(ids, tg.Name)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func (b *Bed) startFunction(ctx context.Context, id string) error {
	spec, err := b.FunctionSpec(ctx, id)
	if err != nil {
		return err
	}
	fn, err := runtime.Start(ctx, spec)
	if err != nil {
		return fmt.Errorf("start %s: %w", id, err)
	}
	b.Functions[id] = fn
	b.close = append(b.close, fn.Stop)
	return nil
}

// roleActor is the identity a function's execution role has in CloudTrail:
// an assumed-role session whose issuer is exactly the role's ARN, named
// after the function (session) as Lambda names it.
func roleActor(id, session, roleARN string) awsproto.Actor {
	return roleActorIn(Account, id, session, roleARN)
}

// roleActorIn is roleActor in another account.
func roleActorIn(account, id, session, roleARN string) awsproto.Actor {
	sum := sha256.Sum256([]byte(id))
	key := strings.ToUpper(fmt.Sprintf("ASIALOCAL%x", sum[:6]))
	roleName := roleARN[strings.LastIndex(roleARN, "/")+1:]
	return awsproto.Actor{
		Name: id, AccessKeyID: key, SecretKey: "local-secret-" + id, SourceIP: "192.0.2.30",
		Identity: awsproto.Identity{
			Type: "AssumedRole", PrincipalID: "AROA" + key[4:] + ":" + session, AccountID: account,
			ARN: "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session,
			SessionContext: &awsproto.SessionContext{SessionIssuer: awsproto.SessionIssuer{
				Type: "Role", PrincipalID: "AROA" + key[4:], ARN: roleARN, AccountID: account, UserName: roleName,
			}},
		},
	}
}

// createAlerting creates the alert topic, an inbox queue subscribed to it
// (so tests read alerts as a subscriber would), the ledger table and the
// dead-letter queue on moto.
func (b *Bed) createAlerting(ctx context.Context) error {
	snsc, sqsc, ddb := b.SNS(), b.SQS(), b.DynamoDB()
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(StackName + "-alerts")})
	if err != nil {
		return fmt.Errorf("create alert topic: %w", err)
	}
	b.TopicARN = *topic.TopicArn
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(StackName + "-alert-inbox")})
	if err != nil {
		return fmt.Errorf("create inbox queue: %w", err)
	}
	b.InboxURL = *q.QueueUrl
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("read inbox queue ARN: %w", err)
	}
	if _, err = snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
	}); err != nil {
		return fmt.Errorf("subscribe inbox: %w", err)
	}
	dlq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(StackName + "-dead-letters")})
	if err != nil {
		return fmt.Errorf("create dead-letter queue: %w", err)
	}
	b.DLQURL = *dlq.QueueUrl
	sq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(StackName + "-sweep")})
	if err != nil {
		return fmt.Errorf("create sweep queue: %w", err)
	}
	b.SweepURL = *sq.QueueUrl
	b.LedgerName = StackName + "-ledger"
	if _, err = ddb.CreateTable(ctx, ledger.CreateTableInput(b.LedgerName)); err != nil {
		return fmt.Errorf("create ledger table: %w", err)
	}
	return nil
}

// Settle lets the account come to rest: it hands every CloudTrail event the
// emulator recorded to the bus and waits for the deliveries (retries
// included), again and again, until the guards' own writes cause no new
// events. Feedback loops therefore show as a Settle that does not end (ctx).
func (b *Bed) Settle(ctx context.Context) error {
	for {
		// Wait first: only with no delivery under way can an empty read of
		// the trail mean that nothing more will come.
		if err := b.Bus.Wait(ctx); err != nil {
			return err
		}
		n, err := b.Bus.SyncTrail(ctx, b.URL)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Alert is an alert as a subscriber of the topic receives it.
type Alert struct {
	Subject    string
	Message    string
	Attributes map[string]string
	// Sent is when SNS accepted the alert (the notification's Timestamp).
	Sent time.Time
}

// Alerts returns the alerts published since the last call.
func (b *Bed) Alerts(ctx context.Context) ([]Alert, error) {
	var out []Alert
	c := b.SQS()
	for {
		res, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &b.InboxURL, MaxNumberOfMessages: 10})
		if err != nil {
			return nil, fmt.Errorf("receive alerts: %w", err)
		}
		if len(res.Messages) == 0 {
			return out, nil
		}
		for _, m := range res.Messages {
			var n struct {
				Subject           string
				Message           string
				Timestamp         time.Time
				MessageAttributes map[string]struct{ Value string }
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				return nil, fmt.Errorf("decode alert notification: %w", err)
			}
			a := Alert{Subject: n.Subject, Message: n.Message, Attributes: map[string]string{}, Sent: n.Timestamp}
			for k, v := range n.MessageAttributes {
				a.Attributes[k] = v.Value
			}
			out = append(out, a)
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &b.InboxURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return nil, fmt.Errorf("delete alert: %w", err)
			}
		}
	}
}

// Close stops everything the bed started.
func (b *Bed) Close() {
	if b == nil {
		return
	}
	for i := len(b.close) - 1; i >= 0; i-- {
		b.close[i]()
	}
	b.close = nil
}

func (b *Bed) creds(actor string) (aws.CredentialsProvider, error) {
	a, ok := b.Emulator.Identities.ByName(actor)
	if !ok {
		return nil, fmt.Errorf("no actor %q in the local account", actor)
	}
	return credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretKey, ""), nil
}

func (b *Bed) config(actor string) aws.Config {
	cfg := aws.Config{Region: b.Region, Credentials: credentials.NewStaticCredentialsProvider("moto", "moto", "")}
	if actor != "" {
		p, err := b.creds(actor)
		if err != nil {
			panic(err) // a test or scenario naming an unknown actor is a bug in it
		}
		cfg.Credentials = p
	}
	return cfg
}

// Lambda returns a Lambda client acting as actor (an emulator actor name).
func (b *Bed) Lambda(actor string) *lambda.Client {
	return lambda.NewFromConfig(b.config(actor), func(o *lambda.Options) { o.BaseEndpoint = aws.String(b.URL) })
}

// CodeCommit returns a CodeCommit client acting as actor.
func (b *Bed) CodeCommit(actor string) *codecommit.Client {
	return codecommit.NewFromConfig(b.config(actor), func(o *codecommit.Options) { o.BaseEndpoint = aws.String(b.URL) })
}

// CodeGuru returns a CodeGuru Reviewer client acting as actor.
func (b *Bed) CodeGuru(actor string) *codegurureviewer.Client {
	return codegurureviewer.NewFromConfig(b.config(actor), func(o *codegurureviewer.Options) { o.BaseEndpoint = aws.String(b.URL) })
}

// SNS returns an SNS client on moto.
func (b *Bed) SNS() *sns.Client {
	return sns.NewFromConfig(b.config(""), func(o *sns.Options) { o.BaseEndpoint = aws.String(b.Moto.URL) })
}

// SQS returns an SQS client on moto.
func (b *Bed) SQS() *sqs.Client {
	return sqs.NewFromConfig(b.config(""), func(o *sqs.Options) { o.BaseEndpoint = aws.String(b.Moto.URL) })
}

// DynamoDB returns a DynamoDB client on moto.
func (b *Bed) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(b.config(""), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(b.Moto.URL) })
}

// topicPublisher delivers the template's topic targets (tamper-evidence
// rules) to the alert topic on moto.
type topicPublisher struct{ b *Bed }

func (p topicPublisher) Publish(ctx context.Context, topic, message string) error {
	if topic != "AlertTopic" {
		return fmt.Errorf("no topic %s in the local account", topic)
	}
	_, err := p.b.SNS().Publish(ctx, &sns.PublishInput{TopicArn: &p.b.TopicARN, Message: &message})
	return err
}

// FindRoot returns the repository root: the nearest directory upwards from
// the working directory holding both go.mod and template.yaml.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "template.yaml")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod with template.yaml above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
