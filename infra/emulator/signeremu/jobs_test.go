package signeremu_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	"github.com/aws/aws-sdk-go-v2/service/signer/types"
)

func TestSigningJobSignsTheS3ObjectAndDescribesIt(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	before := b.srv.Env.Clock.Now().Truncate(time.Second)
	id := b.startJob(t, "release")

	job := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(id)}))(t)
	if job.Status != types.SigningStatusSucceeded || aws.ToString(job.StatusReason) != "Signing Succeeded" ||
		aws.ToString(job.ProfileName) != "release" || aws.ToString(job.ProfileVersion) != "Rel0000001" ||
		aws.ToString(job.PlatformId) != "AWSLambda-SHA384-ECDSA" || aws.ToString(job.JobOwner) != account ||
		aws.ToString(job.JobInvoker) != account || aws.ToString(job.RequestedBy) != aliceARN || job.RevocationRecord != nil {
		t.Fatalf("job = %+v", job)
	}
	if so := job.SignedObject; so == nil || aws.ToString(so.S3.BucketName) != "artifacts" || aws.ToString(so.S3.Key) != "signed/"+id+".zip" {
		t.Fatalf("signedObject = %+v, want artifacts/signed/%s.zip", so, id)
	}
	if src := job.Source.S3; aws.ToString(src.BucketName) != "artifacts" || aws.ToString(src.Key) != "app.zip" || aws.ToString(src.Version) != "1" {
		t.Fatalf("source = %+v", src)
	}
	created := aws.ToTime(job.CreatedAt)
	if created.Before(before) || !aws.ToTime(job.SignatureExpiresAt).Equal(created.Add(135*30*24*time.Hour)) {
		t.Fatalf("createdAt %v, signatureExpiresAt %v: want expiry 135 months after creation", created, job.SignatureExpiresAt)
	}

	listed := must(b.signer.ListSigningJobs(ctx, &signer.ListSigningJobsInput{}))(t)
	if len(listed.Jobs) != 1 || aws.ToString(listed.Jobs[0].JobId) != id || listed.Jobs[0].IsRevoked {
		t.Fatalf("ListSigningJobs = %+v", listed.Jobs)
	}
}

func TestStartSigningJobIsIdempotentPerClientToken(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	in := &signer.StartSigningJobInput{ProfileName: aws.String("release"), ClientRequestToken: aws.String("build-42"),
		Source:      &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String("app.zip"), Version: aws.String("1")}},
		Destination: &types.Destination{S3: &types.S3Destination{BucketName: aws.String("artifacts")}}}
	first := must(b.signer.StartSigningJob(ctx, in))(t)
	second := must(b.signer.StartSigningJob(ctx, in))(t)
	if aws.ToString(first.JobId) != aws.ToString(second.JobId) {
		t.Fatalf("the same client token started two jobs: %s and %s", aws.ToString(first.JobId), aws.ToString(second.JobId))
	}
}

func TestSigningJobOfAMissingSourceFails(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	out := must(b.signer.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("release"),
		Source:      &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String("missing.zip"), Version: aws.String("1")}},
		Destination: &types.Destination{S3: &types.S3Destination{BucketName: aws.String("artifacts")}}}))(t)
	job := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: out.JobId}))(t)
	if job.Status != types.SigningStatusFailed || job.SignedObject != nil || job.SignatureExpiresAt != nil || aws.ToString(job.StatusReason) == "" {
		t.Fatalf("job of a missing source = status %s, signed %+v, reason %q", job.Status, job.SignedObject, aws.ToString(job.StatusReason))
	}
	failed := must(b.signer.ListSigningJobs(ctx, &signer.ListSigningJobsInput{Status: types.SigningStatusFailed}))(t)
	if len(failed.Jobs) != 1 {
		t.Fatalf("status=Failed lists %d jobs, want 1", len(failed.Jobs))
	}
}

func TestSigningJobErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	id := b.startJob(t, "release")
	src := &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String("app.zip"), Version: aws.String("1")}}
	dst := &types.Destination{S3: &types.S3Destination{BucketName: aws.String("artifacts")}}
	for _, tc := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"describing an unknown job is a 404", func() error {
			_, err := b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"a job of an unknown profile is a 404", func() error {
			_, err := b.signer.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("nobody"), Source: src, Destination: dst})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"a source needs a version", func() error {
			_, err := b.signer.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("release"),
				Source: &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String("app.zip"), Version: aws.String("")}}, Destination: dst})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"revoking an unknown job is a 404", func() error {
			_, err := b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String("00000000-0000-4000-8000-000000000000"), Reason: aws.String("x")})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"revoking needs a reason", func() error {
			_, err := b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("")})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"revocation status needs every parameter", func() error {
			_, err := b.signer.GetRevocationStatus(ctx, &signer.GetRevocationStatusInput{SignatureTimestamp: aws.Time(time.Now()),
				PlatformId: aws.String("AWSLambda-SHA384-ECDSA"), ProfileVersionArn: aws.String(releaseARN), JobArn: aws.String("arn"),
				CertificateHashes: []string{}})
			return err
		}, "ValidationException", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, tc.call(), tc.code, tc.status) })
	}
}

func TestRevokeSignatureRecordsTheRevocation(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	id := b.startJob(t, "release")
	kept := b.startJob(t, "release")
	must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("built from a tampered branch")}))(t)

	job := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(id)}))(t)
	rec := job.RevocationRecord
	if rec == nil || aws.ToString(rec.Reason) != "built from a tampered branch" || aws.ToString(rec.RevokedBy) != aliceARN || rec.RevokedAt == nil {
		t.Fatalf("revocationRecord = %+v", rec)
	}
	revoked := must(b.signer.ListSigningJobs(ctx, &signer.ListSigningJobsInput{IsRevoked: true}))(t)
	if len(revoked.Jobs) != 1 || aws.ToString(revoked.Jobs[0].JobId) != id || !revoked.Jobs[0].IsRevoked {
		t.Fatalf("isRevoked lists %+v, want %s alone", revoked.Jobs, id)
	}
	if j := must(b.signer.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: aws.String(kept)}))(t); j.RevocationRecord != nil {
		t.Fatalf("the other job was revoked too: %+v", j.RevocationRecord)
	}
	_, err := b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(id), Reason: aws.String("again")})
	wantError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestGetRevocationStatusNamesTheRevokedInputs(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	revokedJob := b.startJob(t, "release")
	goodJob := b.startJob(t, "release")
	must(b.signer.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: aws.String(revokedJob), Reason: aws.String("r")}))(t)
	effective := b.srv.Env.Clock.Now().Add(time.Hour).Truncate(time.Second)
	must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
		ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("rotating"), EffectiveTime: aws.Time(effective)}))(t)
	jobARN := func(id string) string { return "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/" + id }

	for _, tc := range []struct {
		name   string
		job    string
		signed time.Time
		want   []string
	}{
		{"a good job signed before the profile's revocation is not revoked", goodJob, effective.Add(-time.Minute), nil},
		{"a revoked job is named", revokedJob, effective.Add(-time.Minute), []string{jobARN(revokedJob)}},
		{"a signature from the effective time on names the profile", goodJob, effective, []string{releaseARN}},
		{"both at once", revokedJob, effective.Add(time.Minute), []string{releaseARN, jobARN(revokedJob)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must(b.signer.GetRevocationStatus(ctx, &signer.GetRevocationStatusInput{SignatureTimestamp: aws.Time(tc.signed),
				PlatformId: aws.String("AWSLambda-SHA384-ECDSA"), ProfileVersionArn: aws.String(releaseARN),
				JobArn: aws.String(jobARN(tc.job)), CertificateHashes: []string{"00ff"}}))(t)
			if len(out.RevokedEntities) != len(tc.want) {
				t.Fatalf("revokedEntities = %v, want %v", out.RevokedEntities, tc.want)
			}
			for i := range tc.want {
				if out.RevokedEntities[i] != tc.want[i] {
					t.Fatalf("revokedEntities = %v, want %v", out.RevokedEntities, tc.want)
				}
			}
		})
	}
}
