// Command repo-guard is the repository guard: EventBridge delivers CloudTrail
// events of CodeCommit and CodeGuru Reviewer writes; the guard keeps automated
// review and an approval rule template on every repository. Wiring only.
package main

import (
	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/selfguard/selfguard/shared/hubsync"
	"os"

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
		Hub:       securityHub(d.AWS),
	}
	lambda.Start(h.Handle)
}

// securityHub tells Security Hub every judgement when the deployment asks
// for it (template parameter SecurityHub), else nothing.
func securityHub(awsCfg aws.Config) pipeline.Hub {
	if !hubsync.Enabled(os.Getenv) {
		return nil
	}
	return hubsync.Guard{Hub: hubsync.Sync{API: securityhub.NewFromConfig(awsCfg)}}
}
