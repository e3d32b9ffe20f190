package testbed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator"
)

// TestRevokedSigningJobIsRestoredAwayEndToEnd: code signed by a trusted
// profile is deployed; afterwards the security team revokes its signing job
// through the Signer API. Lambda never looks at the signature again, and
// the profile is still trusted, so only Signer knows. The revocation's
// CloudTrail event travels through template.yaml's rule to the real
// lambda-guard bootstrap, which asks Signer, finds $LATEST untrusted and
// restores the newest version whose signature still holds.
func TestRevokedSigningJobIsRestoredAwayEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{
		World: DemoWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"LambdaGuardFunction"},
		LogWriter: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()

	admin := bed.Lambda(emulator.ActorAdmin)
	latest, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Orders)})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Orders), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	job := aws.ToString(latest.Configuration.SigningJobArn)
	if job == "" || job == aws.ToString(v1.Configuration.SigningJobArn) {
		t.Fatalf("$LATEST's signing job %q must be its own, not version 1's", job)
	}
	if _, err := bed.Signer(emulator.ActorAdmin).RevokeSignature(ctx, &signer.RevokeSignatureInput{
		JobId: aws.String(job[strings.LastIndex(job, "/")+1:]), Reason: aws.String("built from a compromised runner"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}

	after, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Orders)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(after.Configuration.CodeSha256), aws.ToString(v1.Configuration.CodeSha256); got != want {
		t.Errorf("$LATEST code sha256 = %s, want version 1's %s (its signature is not revoked)", got, want)
	}
	if got := aws.ToString(after.Configuration.SigningJobArn); got == job {
		t.Errorf("$LATEST still runs the code of revoked job %s", job)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	restored := 0
	for _, a := range alerts {
		t.Logf("alert: %s", a.Subject)
		if a.Attributes["resource"] == Orders && a.Attributes["rule"] == "lambda.revoked-signature" &&
			strings.Contains(a.Attributes["action"], "restore-code") && a.Attributes["outcome"] == "done" {
			restored++
		}
	}
	if restored != 1 {
		t.Errorf("%d alerts of a done restore of %s for lambda.revoked-signature, want 1", restored, Orders)
	}
}
