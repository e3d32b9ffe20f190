// Command repo-guard is the repository guard: EventBridge delivers CloudTrail
// events of CodeCommit and CodeGuru Reviewer writes; the guard keeps automated
// review and an approval rule template on every repository. Wiring only.
package main

import (
	"context"
	"os"

	"github.com/selfguard/selfguard/shared/hubsync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"

	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard"
)

func main() {
	ctx := context.Background()
	d, err := deps.Load(ctx, os.Getenv)
	if err != nil {
		log := logging.FromEnv(os.Getenv)
		log.Fatal().Err(err).Msg("repo-guard cannot start")
	}
	h := &pipeline.Handler{
		Name:      "repo-guard",
		Evaluator: repoguard.New(codecommit.NewFromConfig(d.AWS), codegurureviewer.NewFromConfig(d.AWS), d.Settings),
		Settings:  d.Settings,
		Alerter:   d.Alerter,
		Ledger:    d.Ledger,
		Logger:    d.Logger,
		Judged:    pipeline.NewJudged(pipeline.DefaultJudgedSize),
	}
	if d.Hub != nil {
		h.Hub = hubsync.Guard{Hub: *d.Hub}
	}
	lambda.Start(h.Handle)
}
