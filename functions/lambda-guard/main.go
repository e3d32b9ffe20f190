// Command lambda-guard is the Lambda guard: EventBridge delivers CloudTrail
// events of Lambda writes; the guard reads the function's current state and
// flags or reverts unsigned code, untrusted layers, missing code signing and
// aliases released to untrusted code (shared/lambdaguard), and public or
// cross-account exposure: permissions, function URLs, shared layers,
// foreign event sources, recursive loops (shared/exposureguard). Wiring
// only: the logic is in shared/.
package main

import (
	"context"
	"os"

	"github.com/selfguard/selfguard/shared/hubsync"

	"github.com/aws/aws-lambda-go/lambda"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/sweep"
)

func main() {
	ctx := context.Background()
	d, err := deps.Load(ctx, os.Getenv)
	if err != nil {
		log := logging.FromEnv(os.Getenv)
		log.Fatal().Err(err).Msg("lambda-guard cannot start")
	}
	// Its instances share LambdaRate; each bursts to one event's calls.
	client := awslambda.NewFromConfig(d.AWS, ratelimit.ShareOptions(d.Settings.LambdaRate, d.Settings.Concurrency))
	guard := lambdaguard.New(client, d.Settings)
	guard.History = d.Ledger  // what it contained, to judge a lifted containment
	guard.Releases = d.Ledger // the newest trusted release seen: restore targets without a listing
	guard.Signatures = observe.NewSignatures(deps.Signer(d.AWS, os.Getenv), d.Settings)
	if d.Settings.SweepQueueURL != "" {
		// A changed code signing config's functions go to the sweep workers.
		guard.Batches = &sweep.SQSQueue{Client: sqs.NewFromConfig(d.AWS), URL: d.Settings.SweepQueueURL}
	}
	h := &pipeline.Handler{
		Name: "lambda-guard",
		Evaluator: pipeline.Composite{
			{Name: "code", Evaluator: guard},
			{Name: exposureguard.Name, Evaluator: exposureguard.New(client, d.Settings)},
		},
		Settings: d.Settings,
		Alerter:  d.Alerter,
		Ledger:   d.Ledger,
		Logger:   d.Logger,
		// Events about changes made before a read that found the function
		// fine are dismissed without a read: a flood is judged once.
		Judged: pipeline.NewJudged(pipeline.DefaultJudgedSize),
	}
	if d.Hub != nil {
		h.Hub = hubsync.Guard{Hub: *d.Hub}
	}
	lambda.Start(h.Handle)
}
