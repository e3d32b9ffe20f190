// Command sweep-worker evaluates the sweep's batches from the sweep queue
// with the event-driven guards' rules and, in enforce mode, their actions.
// Only wiring lives here; see shared/sweep.
package main

import (
	"context"
	"os"

	"github.com/selfguard/selfguard/shared/hubsync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/sweep"
)

func main() {
	d, err := deps.Load(context.Background(), os.Getenv)
	if err != nil {
		log := logging.FromEnv(os.Getenv)
		log.Fatal().Err(err).Msg("sweep-worker cannot start")
	}
	cfg := d.Settings
	lam := awslambda.NewFromConfig(d.AWS, ratelimit.LambdaOptions(cfg.InstanceRate()))
	lg := lambdaguard.New(lam, cfg)
	lg.Signatures = observe.NewSignatures(deps.Signer(d.AWS, os.Getenv), cfg)
	rg := repoguard.New(codecommit.NewFromConfig(d.AWS), codegurureviewer.NewFromConfig(d.AWS), cfg)
	eg := exposureguard.New(lam, cfg)
	h := &sweep.WorkerHandler{
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
		Runs:     &sweep.Runs{DB: d.DB, Table: cfg.LedgerTable},
		Findings: d.Ledger,
		Notify: &sweep.Alerts{
			Sender: d.Alerter, Region: d.AWS.Region, Account: cfg.Exposure.Account, Mode: cfg.Mode,
		},
		Log: d.Logger,
	}
	if d.Hub != nil {
		h.Hub = hubsync.Sweep{Hub: *d.Hub, Account: cfg.Exposure.Account, Region: d.AWS.Region}
	}
	lambda.Start(h.Handle)
}
