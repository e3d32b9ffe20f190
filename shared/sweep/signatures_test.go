package sweep_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/sweep"
)

// TestSweepRestoresCodeWhoseJobWasRevoked: the job behind good's $LATEST
// is revoked in Signer after the deploy. The sweep's listing still shows a
// trusted profile; the worker asks Signer, restores version 1 (whose job
// holds) in enforce mode, and reads again to find it resolved.
func TestSweepRestoresCodeWhoseJobWasRevoked(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, repairableWorld(), finding.ModeEnforce)
	latest, err := tb.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("good")})
	if err != nil {
		t.Fatal(err)
	}
	job := aws.ToString(latest.Configuration.SigningJobArn)
	if err := tb.srv.Lambda.RevokeSigningJob(job[strings.LastIndex(job, "/")+1:], "", "compromised build"); err != nil {
		t.Fatal(err)
	}
	sg := signer.NewFromConfig(clientConfig(t, emulator.ActorGuard), func(o *signer.Options) { o.BaseEndpoint = aws.String(tb.url) })
	sigs := observe.NewSignatures(sg, tb.cfg)
	lg := lambdaguard.New(tb.lambda, tb.cfg)
	lg.Signatures = sigs
	c := &collect{}
	w := tb.worker(c)
	w.Signatures, w.LambdaActor, w.Details = sigs, lg, tb.lambda
	w.RecheckFunction = func(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
		d, _, err := lg.EvaluateFunction(ctx, s.Name, observe.ScopeFull)
		return d, err
	}
	l := tb.lister()
	l.Repositories = nil
	if _, err := sweep.RunLocal(ctx, l, w, 1, "signatures"); err != nil {
		t.Fatal(err)
	}
	var got *sweep.Result
	for i, r := range c.results {
		if r.Subject.Name == "good" {
			got = &c.results[i]
		}
	}
	if got == nil || len(got.Decision.Findings) != 1 || got.Decision.Findings[0].Rule != rules.RevokedSignature {
		t.Fatalf("result for good = %+v, want lambda.revoked-signature", got)
	}
	if len(got.Outcomes) != 1 || got.Outcomes[0].Status != pipeline.OutcomeDone || got.Outcomes[0].Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("outcomes %+v, want a done restore", got.Outcomes)
	}
	if got.After == nil || len(got.After.Findings) != 0 {
		t.Errorf("after the restore: %+v, want nothing left", got.After)
	}
}
