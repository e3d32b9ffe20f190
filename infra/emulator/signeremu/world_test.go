package signeremu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

const (
	goodJob    = "11111111-1111-4111-8111-111111111111"
	revokedJob = "22222222-2222-4222-8222-222222222222"
)

// worldFile declares two signing jobs of the same object and revokes one.
const worldFile = `{
  "lambda": {
    "signingProfiles": [{"name": "release", "version": "Rel0000001"}],
    "codeSigningConfigs": [{"id": "csc-enforce0000000000", "allowedPublishers": ["release"], "untrustedArtifactOnDeployment": "Enforce"}],
    "s3Objects": [{"bucket": "artifacts", "key": "app.zip", "data": "UEsDBBQAAAAAAM9lg10wzFGdFwAAABcAAAAJAAAAYm9vdHN0cmFwIyEvYmluL3NoCmVjaG8gcmVsZWFzZQpQSwECFAMUAAAAAADPZYNdMMxRnRcAAAAXAAAACQAAAAAAAAAAAAAAgAEAAAAAYm9vdHN0cmFwUEsFBgAAAAABAAEANwAAAD4AAAAAAA=="}]
  },
  "signer": {
    "signingJobs": [
      {"id": "` + goodJob + `", "profile": "release", "source": {"bucketName": "artifacts", "key": "app.zip", "version": "1"}},
      {"id": "` + revokedJob + `", "profile": "release", "source": {"bucketName": "artifacts", "key": "app.zip", "version": "1"},
       "destination": {"bucketName": "artifacts", "prefix": "out/"}, "requestedBy": "arn:aws:iam::111122223333:user/mallory"}
    ],
    "revocations": [{"job": "` + revokedJob + `", "reason": "signed from a tampered branch", "revokedBy": "arn:aws:iam::111122223333:user/admin"}]
  }
}`

func loadFile(t *testing.T, b *bed, doc string) error {
	t.Helper()
	w, err := emulator.DecodeWorld(strings.NewReader(doc))
	if err != nil {
		return err
	}
	return b.srv.LoadWorld(w)
}

func TestWorldDeclaresSigningJobsAndRevocations(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, nil)
	if err := loadFile(t, b, worldFile); err != nil {
		t.Fatal(err)
	}
	good := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(goodJob)}))(t)
	if good.Status != "Succeeded" || aws.ToString(good.SignedObject.S3.Key) != "signed/"+goodJob+".zip" || good.RevocationRecord != nil {
		t.Fatalf("good job = status %s, signed %+v, revocation %+v", good.Status, good.SignedObject, good.RevocationRecord)
	}
	bad := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(revokedJob)}))(t)
	if aws.ToString(bad.SignedObject.S3.Key) != "out/"+revokedJob+".zip" || bad.RevocationRecord == nil ||
		aws.ToString(bad.RevocationRecord.Reason) != "signed from a tampered branch" || aws.ToString(bad.RequestedBy) != "arn:aws:iam::111122223333:user/mallory" {
		t.Fatalf("revoked job = %+v", bad)
	}
	if _, err := b.deploySignedObject(t, "good", goodJob, enforceCSC); err != nil {
		t.Fatalf("deploying the good job's object under Enforce: %v", err)
	}
	if _, err := b.deploySignedObject(t, "bad", revokedJob, enforceCSC); apiCode(err) != "CodeVerificationFailedException" {
		t.Fatalf("deploying the revoked job's object under Enforce: %v, want CodeVerificationFailedException", err)
	}
}

func TestWorldWithABadSignerSectionChangesNothing(t *testing.T) {
	for _, tc := range []struct{ name, from, to, wantErr string }{
		{"a job of an unknown profile", `"profile": "release", "source"`, `"profile": "nobody", "source"`, "signingJobs[0]"},
		{"a job id that is not a UUID", goodJob + `", "profile"`, `job-1", "profile"`, "not a UUID"},
		{"a revocation of an unknown job", `{"job": "` + revokedJob, `{"job": "33333333-3333-4333-8333-333333333333`, "revocations[0]"},
		{"a revocation without a reason", `"reason": "signed from a tampered branch"`, `"reason": ""`, "revocations[0]"},
		{"a job defined twice", revokedJob + `", "profile"`, goodJob + `", "profile"`, "signingJobs[1]"},
		{"an unknown field", `"revocations":`, `"revoked":`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, signingWorld())
			kept := b.startJob(t, "release")
			doc := strings.Replace(worldFile, tc.from, tc.to, 1)
			if doc == worldFile {
				t.Fatalf("the case changes nothing in the world file")
			}
			err := loadFile(t, b, doc)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("load: %v, want an error about %s", err, tc.wantErr)
			}
			if _, ok := b.srv.Lambda.SigningJobByID(kept); !ok {
				t.Fatal("a rejected world dropped the jobs there were")
			}
			if _, ok := b.srv.Lambda.SigningJobByID(goodJob); ok {
				t.Fatal("a rejected world left its jobs behind")
			}
		})
	}
}

func TestDumpedSigningStateLoadsBackWithItsRevocations(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	api := b.startJob(t, "release")
	signed, jobARN, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "admin-signed"}))
	if err != nil {
		t.Fatal(err)
	}
	must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(jobIDOf(jobARN)), Reason: aws.String("r")}))(t)

	raw, err := json.Marshal(b.srv.Dump())
	if err != nil {
		t.Fatal(err)
	}
	b2 := newBed(t, nil)
	w, err := emulator.DecodeWorld(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.srv.LoadWorld(w); err != nil {
		t.Fatalf("load the dump: %v", err)
	}
	if j := must(b2.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(api)}))(t); j.RevocationRecord != nil || j.Status != "Succeeded" {
		t.Fatalf("API job after reload = %+v", j)
	}
	admin := must(b2.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(jobIDOf(jobARN))}))(t)
	if admin.RevocationRecord == nil || aws.ToString(admin.RevocationRecord.Reason) != "r" {
		t.Fatalf("the admin-signed job lost its revocation on reload: %+v", admin.RevocationRecord)
	}
	if _, err := b2.deploySignedObject(t, "fn", api, enforceCSC); err != nil {
		t.Fatalf("deploying the reloaded job's object: %v", err)
	}
	_, err = b2.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("admin"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::111122223333:role/fn"),
		Code:                 &lambdatypes.FunctionCode{ZipFile: signed},
		CodeSigningConfigArn: aws.String("arn:aws:lambda:eu-west-1:111122223333:code-signing-config:" + enforceCSC)})
	if apiCode(err) != "CodeVerificationFailedException" {
		t.Fatalf("deploying the revoked admin-signed zip after reload: %v, want CodeVerificationFailedException", err)
	}
}
