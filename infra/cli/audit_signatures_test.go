package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/report"
)

// TestAuditJudgesSignaturesAgainstSigner: the job behind the clean
// function's $LATEST is revoked in Signer after the deploy. Lambda still
// records the signature and the profile is still trusted; audit asks Signer
// and reports the code, read-only.
func TestAuditJudgesSignaturesAgainstSigner(t *testing.T) {
	srv := auditEnv(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("good")})
	if err != nil {
		t.Fatal(err)
	}
	job := aws.ToString(fn.Configuration.SigningJobArn)
	if job == "" {
		t.Fatal("the clean function has no signing job")
	}
	id := job[strings.LastIndex(job, "/")+1:]
	if err := srv.Lambda.RevokeSigningJob(id, "arn:aws:iam::"+auditAccount+":user/admin", "leaked signing pipeline"); err != nil {
		t.Fatal(err)
	}
	trailBefore := len(srv.Env.Trail.Since(0))

	_, js, stderr := runCLI(t, "audit", "--format", "json", "--fail-on", "critical", "--functions-only")
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("json: %v\n%s\n%s", err, js, stderr)
	}
	var got []string
	for _, it := range rep.Items {
		if it.Finding.Resource == "good" {
			got = append(got, string(it.Finding.Rule)+": "+it.Finding.Summary)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "lambda.revoked-signature: ") || !strings.Contains(got[0], id) {
		t.Errorf("findings on good = %q, want one lambda.revoked-signature naming job %s", got, id)
	}
	if after := len(srv.Env.Trail.Since(0)); after != trailBefore {
		t.Errorf("audit wrote to the account: %d trail events", after-trailBefore)
	}
}
