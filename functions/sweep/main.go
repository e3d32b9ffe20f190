// Command sweep is the scheduled sweep's lister: it lists every Lambda
// function and CodeCommit repository of the region and sends them, in
// batches, to the sweep queue. Only wiring lives here; see shared/sweep.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/hubsync"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/sweep"
)

func main() {
	d, err := deps.Load(context.Background(), os.Getenv)
	if err == nil && d.Settings.SweepQueueURL == "" {
		err = deps.Missing(settings.EnvSweepQueueURL)
	}
	if err != nil {
		log := logging.FromEnv(os.Getenv)
		log.Fatal().Err(err).Msg("sweep cannot start")
	}
	lam := awslambda.NewFromConfig(d.AWS, ratelimit.LambdaOptions(d.Settings.LambdaRate))
	h := &sweep.ListHandler{
		Lister: &sweep.Lister{
			Lambda: lam, Repositories: codecommit.NewFromConfig(d.AWS), Exposure: lam, Settings: d.Settings,
			Queue: &sweep.SQSQueue{Client: sqs.NewFromConfig(d.AWS), URL: d.Settings.SweepQueueURL},
		},
		Runs:     &sweep.Runs{DB: d.DB, Table: d.Settings.LedgerTable},
		Findings: d.Ledger,
		Notify: &sweep.Alerts{
			Sender: d.Alerter, Region: d.AWS.Region, Account: d.Settings.Exposure.Account, Mode: d.Settings.Mode,
		},
		Mode: d.Settings.Mode,
		Log:  d.Logger,
	}
	if d.Hub != nil {
		h.Hub = hubsync.Sweep{Hub: *d.Hub, Account: d.Settings.Exposure.Account, Region: d.AWS.Region}
	}
	lambda.Start(h.Handle)
}
