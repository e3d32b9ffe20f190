// Command sweep-worker evaluates the sweep's batches from the sweep queue
// with the event-driven guards' rules and, in enforce mode, their actions.
// Only wiring lives here; see shared/sweep.
package main

import (
	"context"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/selfguard/selfguard/shared/hubsync"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/sweep"
)

func main() {
	log := logging.FromEnv(os.Getenv)
	h, err := handler()
	if err != nil {
		log.Fatal().Err(err).Msg("sweep-worker: configuration")
	}
	h.Log = log
	lambda.Start(h.Handle)
}

func handler() (*sweep.WorkerHandler, error) {
	cfg, err := settings.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	if cfg.LedgerTable == "" || cfg.TopicARN == "" {
		return nil, fmt.Errorf("%s and %s must be set", settings.EnvLedgerTable, settings.EnvTopicARN)
	}
	awsCfg, err := deps.AWSConfig(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	lam := awslambda.NewFromConfig(awsCfg, ratelimit.LambdaOptions(cfg.InstanceRate()))
	cc := codecommit.NewFromConfig(awsCfg)
	cg := codegurureviewer.NewFromConfig(awsCfg)
	db := dynamodb.NewFromConfig(awsCfg)
	lg := lambdaguard.New(lam, cfg)
	lg.Signatures = observe.NewSignatures(deps.Signer(awsCfg, os.Getenv), cfg)
	rg := repoguard.New(cc, cg, cfg)
	eg := exposureguard.New(lam, cfg)
	return &sweep.WorkerHandler{
		Worker: sweep.Worker{
			Aliases: lam, Decide: decide.Decide, Details: lam, Settings: cfg, Signatures: lg.Signatures,
			Repositories: rg, LambdaActor: lg, RepositoryActor: rg,
			RecheckFunction: func(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
				d, _, err := lg.EvaluateFunction(ctx, s.Name, observe.ScopeFull)
				return d, err
			},
			RecheckRepository: rg.Evaluate,
			Exposure:          eg, ExposureActor: eg,
			CodeSigningConfigs: lg,
		},
		Runs:     &sweep.Runs{DB: db, Table: cfg.LedgerTable},
		Findings: ledger.NewTable(db, cfg.LedgerTable),
		Notify: &sweep.Alerts{
			Sender: &alert.Publisher{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN, Format: alertFormat()},
			Region: awsCfg.Region, Account: os.Getenv(sweep.EnvAccount), Mode: cfg.Mode,
		},
		Hub: securityHub(awsCfg),
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
