// Command sweep is the scheduled sweep's lister: it lists every Lambda
// function and CodeCommit repository of the region and sends them, in
// batches, to the sweep queue. Only wiring lives here; see shared/sweep.
package main

import (
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/selfguard/selfguard/shared/hubsync"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/sweep"
)

// EnvQueueURL names the sweep queue.
const EnvQueueURL = "SELFGUARD_SWEEP_QUEUE_URL"

func main() {
	log := logging.FromEnv(os.Getenv)
	h, err := handler()
	if err != nil {
		log.Fatal().Err(err).Msg("sweep: configuration")
	}
	h.Log = log
	lambda.Start(h.Handle)
}

func handler() (*sweep.ListHandler, error) {
	cfg, err := settings.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	queue := os.Getenv(EnvQueueURL)
	if queue == "" || cfg.LedgerTable == "" || cfg.TopicARN == "" {
		return nil, fmt.Errorf("%s, %s and %s must be set", EnvQueueURL, settings.EnvLedgerTable, settings.EnvTopicARN)
	}
	awsCfg, err := deps.AWSConfig(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	lam := awslambda.NewFromConfig(awsCfg, ratelimit.LambdaOptions(cfg.LambdaRate))
	db := dynamodb.NewFromConfig(awsCfg)
	return &sweep.ListHandler{
		Lister: &sweep.Lister{
			Lambda: lam, Repositories: codecommit.NewFromConfig(awsCfg), Exposure: lam, Settings: cfg,
			Queue: &sweep.SQSQueue{Client: sqs.NewFromConfig(awsCfg), URL: queue},
		},
		Runs:     &sweep.Runs{DB: db, Table: cfg.LedgerTable},
		Findings: ledger.NewTable(db, cfg.LedgerTable),
		Notify: &sweep.Alerts{
			Sender: &alert.Publisher{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN, Format: alertFormat()},
			Region: awsCfg.Region, Account: os.Getenv(sweep.EnvAccount), Mode: cfg.Mode,
		},
		Mode: cfg.Mode,
		Hub:  securityHub(awsCfg),
	}, nil
}

// alertFormat is the deployment's alert body format; template.yaml allows
// only valid values, so anything else falls back to plain text.
func alertFormat() alert.BodyFormat {
	f, err := alert.ParseFormat(os.Getenv(alert.EnvFormat))
	if err != nil {
		return alert.FormatText
	}
	return f
}

// securityHub keeps Security Hub in step with the sweep when the deployment
// asks for it (template parameter SecurityHub), else nothing.
func securityHub(awsCfg aws.Config) sweep.Hub {
	if !hubsync.Enabled(os.Getenv) {
		return nil
	}
	return hubsync.Sweep{Hub: hubsync.Sync{API: securityhub.NewFromConfig(awsCfg)}, Account: os.Getenv(sweep.EnvAccount), Region: awsCfg.Region}
}
