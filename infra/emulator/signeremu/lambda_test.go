package signeremu_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// TestRevocationThroughTheSignerAPIIsWhatLambdaChecksOnDeploy signs with a
// Signer job, revokes through the Signer API, and deploys the signed object:
// Lambda's check sees the revocation at once.
func TestRevocationThroughTheSignerAPIIsWhatLambdaChecksOnDeploy(t *testing.T) {
	ctx := context.Background()
	revokeJob := func(t *testing.T, b *bed, id string) {
		must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("compromised build")}))(t)
	}
	revokeProfileBefore := func(t *testing.T, b *bed, _ string) {
		must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
			ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("key compromised"),
			EffectiveTime: aws.Time(b.srv.Env.Clock.Now().Add(-time.Hour))}))(t)
	}
	revokeProfileLater := func(t *testing.T, b *bed, _ string) {
		must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
			ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("rotating"),
			EffectiveTime: aws.Time(b.srv.Env.Clock.Now().Add(time.Hour))}))(t)
	}
	for _, tc := range []struct {
		name     string
		revoke   func(*testing.T, *bed, string)
		csc      string
		wantErr  string
		wantSign bool
	}{
		{"Enforce deploys and records an unrevoked signature", nil, enforceCSC, "", true},
		{"Enforce refuses code whose job was revoked", revokeJob, enforceCSC, "CodeVerificationFailedException", false},
		{"Warn deploys code whose job was revoked, unrecorded", revokeJob, warnCSC, "", false},
		{"Enforce refuses code signed after the profile's revocation took effect", revokeProfileBefore, enforceCSC, "CodeVerificationFailedException", false},
		{"Warn deploys code signed after the profile's revocation, unrecorded", revokeProfileBefore, warnCSC, "", false},
		{"Enforce still trusts code signed before the revocation takes effect", revokeProfileLater, enforceCSC, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, signingWorld())
			id := b.startJob(t, "release")
			if tc.revoke != nil {
				tc.revoke(t, b, id)
			}
			out, err := b.deploySignedObject(t, "fn", id, tc.csc)
			if got := apiCode(err); got != tc.wantErr {
				t.Fatalf("CreateFunction: %v, want %q", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			wantJob := ""
			if tc.wantSign {
				wantJob = "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/" + id
			}
			if aws.ToString(out.SigningJobArn) != wantJob {
				t.Fatalf("SigningJobArn = %q, want %q", aws.ToString(out.SigningJobArn), wantJob)
			}
		})
	}
}

// TestJobsOfTheLocalSignerAreRevocableThroughTheSignerAPI revokes the job
// behind code a world signed (signedBy), found from the function's own
// SigningJobArn, as a guard would.
func TestJobsOfTheLocalSignerAreRevocableThroughTheSignerAPI(t *testing.T) {
	ctx := context.Background()
	w := signingWorld()
	w.Lambda.Functions = []lambdaemu.FunctionWorld{{Name: "payments", CodeSigningConfig: enforceCSC,
		CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v1"}, SignedBy: "release"}}}
	b := newBed(t, w)
	cfg := must(b.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("payments")}))(t)
	jobARN := aws.ToString(cfg.SigningJobArn)
	if jobARN == "" {
		t.Fatal("the world's signed code has no SigningJobArn")
	}
	job := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(jobIDOf(jobARN))}))(t)
	if aws.ToString(job.ProfileName) != "release" || job.Status != "Succeeded" {
		t.Fatalf("job behind the function's code = %+v", job)
	}
	code := must(b.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments")}))(t)
	zip := fetch(t, aws.ToString(code.Code.Location))

	must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: job.JobId, Reason: aws.String("r")}))(t)
	_, err := b.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("payments"), ZipFile: zip})
	if apiCode(err) != "CodeVerificationFailedException" {
		t.Fatalf("redeploying the same signed zip after its job was revoked: %v, want CodeVerificationFailedException", err)
	}
	if _, _, err := b.srv.Lambda.Sign("release", zip); err != nil {
		t.Fatalf("the profile itself still signs: %v", err)
	}
}
