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

func TestSigningProfileLifecycleThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, nil)
	put := must(b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{
		ProfileName: aws.String("app_signer"), PlatformId: aws.String("AWSLambda-SHA384-ECDSA"),
		SignatureValidityPeriod: &types.SignatureValidityPeriod{Type: types.ValidityTypeMonths, Value: 12},
		Tags:                    map[string]string{"team": "payments"},
	}))(t)
	version := aws.ToString(put.ProfileVersion)
	wantVersionARN := "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/app_signer/" + version
	if len(version) != 10 || aws.ToString(put.ProfileVersionArn) != wantVersionARN ||
		aws.ToString(put.Arn) != "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/app_signer" {
		t.Fatalf("put = version %q, arn %q, version arn %q", version, aws.ToString(put.Arn), aws.ToString(put.ProfileVersionArn))
	}

	got := must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("app_signer")}))(t)
	if got.Status != types.SigningProfileStatusActive || aws.ToString(got.ProfileVersion) != version ||
		aws.ToString(got.ProfileVersionArn) != wantVersionARN || aws.ToString(got.PlatformId) != "AWSLambda-SHA384-ECDSA" ||
		aws.ToString(got.PlatformDisplayName) != "AWS Lambda" || got.RevocationRecord != nil || got.Tags["team"] != "payments" {
		t.Fatalf("get = %+v", got)
	}
	if p := got.SignatureValidityPeriod; p == nil || p.Type != types.ValidityTypeMonths || p.Value != 12 {
		t.Fatalf("signatureValidityPeriod = %+v, want 12 MONTHS", p)
	}

	must(b.signer.CancelSigningProfile(ctx, &signer.CancelSigningProfileInput{ProfileName: aws.String("app_signer")}))(t)
	got = must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("app_signer")}))(t)
	if got.Status != types.SigningProfileStatusCanceled {
		t.Fatalf("status after cancel = %s, want Canceled (still viewable)", got.Status)
	}
	listed := must(b.signer.ListSigningProfiles(ctx, &signer.ListSigningProfilesInput{}))(t)
	if len(listed.Profiles) != 0 {
		t.Errorf("ListSigningProfiles without includeCanceled lists %d profiles, want none", len(listed.Profiles))
	}
	listed = must(b.signer.ListSigningProfiles(ctx, &signer.ListSigningProfilesInput{IncludeCanceled: true}))(t)
	if len(listed.Profiles) != 1 || listed.Profiles[0].Status != types.SigningProfileStatusCanceled {
		t.Errorf("ListSigningProfiles with includeCanceled = %+v", listed.Profiles)
	}

	_, err := b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{
		ProfileName: aws.String("app_signer"), PlatformId: aws.String("AWSLambda-SHA384-ECDSA")})
	wantError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestSigningProfileErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	for _, tc := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"an unknown profile is a 404", func() error {
			_, err := b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("nobody")})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"another owner's profile is not found here", func() error {
			_, err := b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release"), ProfileOwner: aws.String("444455556666")})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"canceling an unknown profile is a 404", func() error {
			_, err := b.signer.CancelSigningProfile(ctx, &signer.CancelSigningProfileInput{ProfileName: aws.String("nobody")})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"a platform other than Lambda's is refused", func() error {
			_, err := b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{ProfileName: aws.String("iot"), PlatformId: aws.String("AmazonFreeRTOS-Default")})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"a name with a dash is refused", func() error {
			_, err := b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{ProfileName: aws.String("my-profile"), PlatformId: aws.String("AWSLambda-SHA384-ECDSA")})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"an unknown validity type is refused", func() error {
			_, err := b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{ProfileName: aws.String("weeks"), PlatformId: aws.String("AWSLambda-SHA384-ECDSA"),
				SignatureValidityPeriod: &types.SignatureValidityPeriod{Type: "WEEKS", Value: 2}})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"revoking a version the profile does not have is a 404", func() error {
			_, err := b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
				ProfileVersion: aws.String("Other00001"), Reason: aws.String("x"), EffectiveTime: aws.Time(time.Now())})
			return err
		}, "ResourceNotFoundException", http.StatusNotFound},
		{"revoking needs a reason", func() error {
			_, err := b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
				ProfileVersion: aws.String("Rel0000001"), Reason: aws.String(""), EffectiveTime: aws.Time(time.Now())})
			return err
		}, "ValidationException", http.StatusBadRequest},
		{"an operation not emulated is a 404", func() error {
			_, err := b.signer.GetSigningPlatform(ctx, &signer.GetSigningPlatformInput{PlatformId: aws.String("AWSLambda-SHA384-ECDSA")})
			return err
		}, "UnknownOperationException", http.StatusNotFound},
		{"a list page holds at most 25", func() error {
			_, err := b.signer.ListSigningProfiles(ctx, &signer.ListSigningProfilesInput{MaxResults: aws.Int32(26)})
			return err
		}, "ValidationException", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, tc.call(), tc.code, tc.status) })
	}
}

func TestRevokeSigningProfileRecordsWhoAndFromWhen(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	effective := b.srv.Env.Clock.Now().Add(-time.Hour).Truncate(time.Second)
	must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
		ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("key compromised"), EffectiveTime: aws.Time(effective)}))(t)

	got := must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release")}))(t)
	rec := got.RevocationRecord
	if got.Status != types.SigningProfileStatusRevoked || rec == nil || !aws.ToTime(rec.RevocationEffectiveFrom).Equal(effective) ||
		aws.ToString(rec.RevokedBy) != aliceARN || rec.RevokedAt == nil {
		t.Fatalf("after revoke: status %s, record %+v", got.Status, rec)
	}

	_, err := b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
		ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("again, later"), EffectiveTime: aws.Time(time.Now())})
	wantError(t, err, "ValidationException", http.StatusBadRequest)
	got = must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release")}))(t)
	if !aws.ToTime(got.RevocationRecord.RevocationEffectiveFrom).Equal(effective) {
		t.Fatalf("a second revocation moved the effective time to %v", got.RevocationRecord.RevocationEffectiveFrom)
	}

	_, err = b.signer.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("release"),
		Source:      &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String("app.zip"), Version: aws.String("1")}},
		Destination: &types.Destination{S3: &types.S3Destination{BucketName: aws.String("artifacts")}}})
	wantError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestListSigningProfilesPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, nil)
	for _, n := range []string{"aa", "bb", "cc"} {
		must(b.signer.PutSigningProfile(ctx, &signer.PutSigningProfileInput{ProfileName: aws.String(n), PlatformId: aws.String("AWSLambda-SHA384-ECDSA")}))(t)
	}
	must(b.signer.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("bb"),
		ProfileVersion: must(b.signer.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("bb")}))(t).ProfileVersion,
		Reason:         aws.String("r"), EffectiveTime: aws.Time(time.Now())}))(t)

	var names []string
	p := signer.NewListSigningProfilesPaginator(b.signer, &signer.ListSigningProfilesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t)
		for _, pr := range page.Profiles {
			names = append(names, aws.ToString(pr.ProfileName))
		}
	}
	if len(names) != 3 || names[0] != "aa" || names[2] != "cc" {
		t.Fatalf("paged names = %v, want aa bb cc", names)
	}
	revoked := must(b.signer.ListSigningProfiles(ctx, &signer.ListSigningProfilesInput{
		Statuses: []types.SigningProfileStatus{types.SigningProfileStatusRevoked}}))(t)
	if len(revoked.Profiles) != 1 || aws.ToString(revoked.Profiles[0].ProfileName) != "bb" {
		t.Fatalf("statuses=Revoked lists %+v, want bb alone", revoked.Profiles)
	}
}
