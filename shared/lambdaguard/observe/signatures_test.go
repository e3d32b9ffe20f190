package observe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	signertypes "github.com/aws/aws-sdk-go-v2/service/signer/types"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	sigAccount = "111122223333"
	sigProfile = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"
	sigVersion = sigProfile + "/Rel0000001"
	sigJobA    = "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/aaaa"
	sigJobB    = "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/bbbb"
)

// fakeSigner answers from fixed state and records the calls made.
type fakeSigner struct {
	calls   []string
	jobs    map[string]*signer.DescribeSigningJobOutput
	profile *signer.GetSigningProfileOutput
	err     error
	owners  []string
}

func (f *fakeSigner) DescribeSigningJob(_ context.Context, in *signer.DescribeSigningJobInput, _ ...func(*signer.Options)) (*signer.DescribeSigningJobOutput, error) {
	f.calls = append(f.calls, "DescribeSigningJob:"+aws.ToString(in.JobId))
	if f.err != nil {
		return nil, f.err
	}
	j, ok := f.jobs[aws.ToString(in.JobId)]
	if !ok {
		return nil, &signertypes.ResourceNotFoundException{Message: aws.String("no job")}
	}
	return j, nil
}

func (f *fakeSigner) GetSigningProfile(_ context.Context, in *signer.GetSigningProfileInput, _ ...func(*signer.Options)) (*signer.GetSigningProfileOutput, error) {
	f.calls = append(f.calls, "GetSigningProfile:"+aws.ToString(in.ProfileName))
	f.owners = append(f.owners, aws.ToString(in.ProfileOwner))
	if f.err != nil {
		return nil, f.err
	}
	if f.profile == nil {
		return nil, &signertypes.ResourceNotFoundException{Message: aws.String("no profile")}
	}
	return f.profile, nil
}

var sigNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func goodJob() *signer.DescribeSigningJobOutput {
	return &signer.DescribeSigningJobOutput{Status: signertypes.SigningStatusSucceeded,
		ProfileName: aws.String("release"), ProfileVersion: aws.String("Rel0000001"),
		CreatedAt: aws.Time(sigNow.Add(-48 * time.Hour)), CompletedAt: aws.Time(sigNow.Add(-47 * time.Hour)),
		SignatureExpiresAt: aws.Time(sigNow.Add(365 * 24 * time.Hour))}
}

func activeProfile() *signer.GetSigningProfileOutput {
	return &signer.GetSigningProfileOutput{ProfileName: aws.String("release"), ProfileVersion: aws.String("Rel0000001"),
		Status: signertypes.SigningProfileStatusActive}
}

func newFake() *fakeSigner {
	return &fakeSigner{jobs: map[string]*signer.DescribeSigningJobOutput{"aaaa": goodJob(), "bbbb": goodJob()}, profile: activeProfile()}
}

// checker asks f on the clock *now, unpaced (pacing has its own test).
func checker(f *fakeSigner, now *time.Time) *Signatures {
	c := NewSignatures(f, settings.Settings{TrustedProfiles: []string{sigProfile}})
	c.Now = func() time.Time { return *now }
	c.limit = ratelimit.NewBucket("test", 1000, 1000, nil)
	return c
}

func signedSnap(job string) snapshot.Snapshot {
	return snapshot.Snapshot{Name: "pay", Account: sigAccount, PackageType: snapshot.PackageZip, LatestRead: true,
		Latest:   snapshot.Code{Version: snapshot.Latest, PackageType: snapshot.PackageZip, SigningProfileVersionARN: sigVersion, SigningJobARN: job},
		Versions: map[string]snapshot.Code{}}
}

func TestSignatureAnswersFromSigner(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fakeSigner)
		job   string
		check func(*testing.T, snapshot.Signature)
	}{
		{"a job and profile in order hold, with signing and expiry times", nil, sigJobA, func(t *testing.T, s snapshot.Signature) {
			if s.Unknown != "" || s.Revoked() || s.Expired() || !s.SignedAt.Equal(sigNow.Add(-47*time.Hour)) || s.ProfileStatus != "Active" {
				t.Errorf("signature %+v, want one that holds, signed at completion", s)
			}
		}},
		{"a revoked job carries its revocation record", func(f *fakeSigner) {
			f.jobs["aaaa"].RevocationRecord = &signertypes.SigningJobRevocationRecord{Reason: aws.String("leak"), RevokedBy: aws.String("sec"), RevokedAt: aws.Time(sigNow)}
		}, sigJobA, func(t *testing.T, s snapshot.Signature) {
			if !s.JobRevoked || s.JobRevokedReason != "leak" || s.JobRevokedBy != "sec" || !s.Revoked() {
				t.Errorf("signature %+v, want the job revoked", s)
			}
		}},
		{"a revoked profile carries its effective time", func(f *fakeSigner) {
			f.profile.Status = signertypes.SigningProfileStatusRevoked
			f.profile.RevocationRecord = &signertypes.SigningProfileRevocationRecord{RevocationEffectiveFrom: aws.Time(sigNow.Add(-time.Hour))}
		}, sigJobA, func(t *testing.T, s snapshot.Signature) {
			if s.ProfileStatus != "Revoked" || !s.ProfileRevokedFrom.Equal(sigNow.Add(-time.Hour)) || s.Revoked() {
				t.Errorf("signature %+v, want a profile revoked after this signature (which still holds)", s)
			}
		}},
		{"a job Signer does not know is unknown", nil, "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/cccc", func(t *testing.T, s snapshot.Signature) {
			if !strings.Contains(s.Unknown, "no signing job cccc") {
				t.Errorf("unknown = %q", s.Unknown)
			}
		}},
		{"a job that failed is unknown", func(f *fakeSigner) { f.jobs["aaaa"].Status = signertypes.SigningStatusFailed }, sigJobA,
			func(t *testing.T, s snapshot.Signature) {
				if !strings.Contains(s.Unknown, "did not succeed") {
					t.Errorf("unknown = %q", s.Unknown)
				}
			}},
		{"a job made by another profile version than Lambda recorded is unknown", func(f *fakeSigner) {
			f.jobs["aaaa"].ProfileVersion = aws.String("Other00001")
		}, sigJobA, func(t *testing.T, s snapshot.Signature) {
			if !strings.Contains(s.Unknown, "release/Other00001") {
				t.Errorf("unknown = %q", s.Unknown)
			}
		}},
		{"a profile Signer describes at another version is unknown", func(f *fakeSigner) { f.profile.ProfileVersion = aws.String("New0000001") }, sigJobA,
			func(t *testing.T, s snapshot.Signature) {
				if !strings.Contains(s.Unknown, "is version New0000001") {
					t.Errorf("unknown = %q", s.Unknown)
				}
			}},
		{"a profile Signer does not know is unknown", func(f *fakeSigner) { f.profile = nil }, sigJobA, func(t *testing.T, s snapshot.Signature) {
			if !strings.Contains(s.Unknown, "no signing profile release") {
				t.Errorf("unknown = %q", s.Unknown)
			}
		}},
		{"a malformed job ARN is unknown without a call", nil, "arn:aws:signer:eu-west-1:111122223333:/elsewhere/x", func(t *testing.T, s snapshot.Signature) {
			if !strings.Contains(s.Unknown, "not a signing job ARN") {
				t.Errorf("unknown = %q", s.Unknown)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			now := sigNow
			snap := signedSnap(tc.job)
			if err := checker(f, &now).Check(context.Background(), &snap); err != nil {
				t.Fatal(err)
			}
			if snap.Latest.Signature == nil {
				t.Fatal("no signature filled in")
			}
			if !snap.Latest.Signature.CheckedAt.Equal(sigNow) {
				t.Errorf("checked at %v, want the checker's clock", snap.Latest.Signature.CheckedAt)
			}
			tc.check(t, *snap.Latest.Signature)
		})
	}
}

func TestSignaturesAreCachedForTheirTTLAndForgottenOnRevocation(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	now := sigNow
	c := checker(f, &now)
	check := func() {
		t.Helper()
		snap := signedSnap(sigJobA)
		if err := c.Check(ctx, &snap); err != nil {
			t.Fatal(err)
		}
	}
	check()
	check()
	if len(f.calls) != 2 {
		t.Fatalf("calls %v, want one per job and profile across two checks", f.calls)
	}
	now = now.Add(DefaultSignatureTTL)
	check()
	if len(f.calls) != 4 {
		t.Fatalf("calls %v, want both asked again after the TTL", f.calls)
	}
	c.Forget(sigJobA)
	check()
	if len(f.calls) != 5 || f.calls[4] != "DescribeSigningJob:aaaa" {
		t.Fatalf("calls %v, want the forgotten job, and only it, asked again", f.calls)
	}
	snap := signedSnap(sigJobB)
	if err := c.Check(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 6 {
		t.Fatalf("calls %v, want another job of the same profile to cost one call", f.calls)
	}
}

func TestSignerErrorsFailTheCheck(t *testing.T) {
	f := newFake()
	f.err = &signertypes.AccessDeniedException{Message: aws.String("denied")}
	now := sigNow
	snap := signedSnap(sigJobA)
	err := checker(f, &now).Check(context.Background(), &snap)
	var ad *signertypes.AccessDeniedException
	if !errors.As(err, &ad) {
		t.Fatalf("err = %v, want the access denial", err)
	}
	if snap.Latest.Signature != nil {
		t.Error("a signature was filled in from a failed call")
	}
}

func TestOnlyTrustedSignaturesAreAskedAbout(t *testing.T) {
	f := newFake()
	now := sigNow
	snap := signedSnap(sigJobA)
	snap.Latest.SigningProfileVersionARN = "arn:aws:signer:eu-west-1:444455556666:/signing-profiles/rogue/Rog0000001"
	if err := checker(f, &now).Check(context.Background(), &snap); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || snap.Latest.Signature != nil {
		t.Errorf("calls %v for an untrusted profile, want none", f.calls)
	}
}

func TestAnotherAccountsProfileIsAskedForWithItsOwner(t *testing.T) {
	f := newFake()
	now := sigNow
	const far = "arn:aws:signer:eu-west-1:444455556666:/signing-profiles/release"
	c := NewSignatures(f, settings.Settings{TrustedProfiles: []string{far}})
	c.Now = func() time.Time { return now }
	snap := signedSnap("")
	snap.Latest.SigningProfileVersionARN = far + "/Rel0000001"
	if err := c.Check(context.Background(), &snap); err != nil {
		t.Fatal(err)
	}
	if len(f.owners) != 1 || f.owners[0] != "444455556666" {
		t.Errorf("profile owners asked %v, want the profile's account", f.owners)
	}
}

func TestSignerCallsArePacedAtTheInstancesShare(t *testing.T) {
	f := newFake()
	// Five instances share SignerRate (5/s): one call a second each.
	c := NewSignatures(f, settings.Settings{TrustedProfiles: []string{sigProfile}, Concurrency: SignerRate})
	snap := signedSnap(sigJobA)
	start := time.Now()
	if err := c.Check(context.Background(), &snap); err != nil {
		t.Fatal(err)
	}
	snap = signedSnap(sigJobB)
	if err := c.Check(context.Background(), &snap); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 {
		t.Fatalf("calls %v, want two jobs and a profile", f.calls)
	}
	if took := time.Since(start); took < 1900*time.Millisecond {
		t.Errorf("three calls took %v, want them a second apart", took)
	}
}

// TestSignerCallsFollowTheConfiguredRate: a deployer who raises SignerRate
// gets the faster pace (two instances at 40/s: 20/s each, no second's wait).
func TestSignerCallsFollowTheConfiguredRate(t *testing.T) {
	f := newFake()
	c := NewSignatures(f, settings.Settings{TrustedProfiles: []string{sigProfile}, Concurrency: 2, SignerRate: 40})
	start := time.Now()
	for _, job := range []string{sigJobA, sigJobB} {
		snap := signedSnap(job)
		if err := c.Check(context.Background(), &snap); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.calls) != 3 {
		t.Fatalf("calls %v, want two jobs and a profile", f.calls)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("three calls at 20/s took %v", took)
	}
}

func TestCheckAllAsksAboutEveryVersion(t *testing.T) {
	f := newFake()
	now := sigNow
	snap := signedSnap(sigJobA)
	snap.Versions = map[string]snapshot.Code{
		"1": {Version: "1", PackageType: snapshot.PackageZip, SigningProfileVersionARN: sigVersion, SigningJobARN: sigJobB},
	}
	snap.VersionsListed = true
	if err := checker(f, &now).CheckAll(context.Background(), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Latest.Signature == nil || snap.Versions["1"].Signature == nil {
		t.Fatalf("signatures not filled: $LATEST %+v, version 1 %+v", snap.Latest.Signature, snap.Versions["1"].Signature)
	}
	if len(f.calls) != 3 {
		t.Errorf("calls %v, want two jobs and one profile", f.calls)
	}
}
