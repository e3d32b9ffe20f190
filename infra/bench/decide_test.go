package bench

import (
	"context"
	"fmt"
	"testing"

	reposnap "github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/repoguard"
	repodecide "github.com/selfguard/selfguard/shared/repoguard/decide"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	benchAccount = "111122223333"
	benchRegion  = "eu-west-1"
)

var (
	trustedProfile = "arn:aws:signer:" + benchRegion + ":" + benchAccount + ":/signing-profiles/release"
	cscARN         = "arn:aws:lambda:" + benchRegion + ":" + benchAccount + ":code-signing-config:csc-0123456789abcdef0"
	benchSettings  = settings.Settings{
		Mode: finding.ModeEnforce, TrustedProfiles: []string{trustedProfile}, CodeSigningConfigARN: cscARN,
		GuardRoleARNs:    []string{"arn:aws:iam::" + benchAccount + ":role/selfguard-lambda-guard"},
		ApprovalTemplate: settings.DefaultApprovalTemplate, RequiredApprovals: 1, ProtectedBranches: []string{"main"},
		ExemptFunctions: []string{"sandbox-*"},
		LambdaRate:      settings.DefaultLambdaRate,
	}
	benchTarget = Target{Account: benchAccount, Region: benchRegion, Function: "pay", Alias: "prod", Repository: "payments",
		ActorARN: "arn:aws:iam::" + benchAccount + ":role/deployer"}
)

func signed(v string) snapshot.Code {
	return snapshot.Code{Version: v, RevisionID: "rev-" + v, CodeSha256: "sha-" + v, PackageType: "Zip",
		SigningProfileVersionARN: trustedProfile + "/AbCdEf1234",
		SigningJobARN:            "arn:aws:signer:" + benchRegion + ":" + benchAccount + ":/signing-jobs/job-" + v,
		LastUpdateStatus:         "Successful", State: "Active"}
}

// snapshotFor is what the guard's reads would return after each event: the
// bad state the event announces, so the decision does its whole work.
func snapshotFor(k Kind) snapshot.Snapshot {
	s := snapshot.Snapshot{
		Name: "pay", ARN: fnARN(benchTarget), Account: benchAccount, PackageType: "Zip",
		Latest: signed("$LATEST"), LatestRead: true,
		CSC:      &snapshot.CodeSigningConfig{ARN: cscARN, AllowedPublishers: []string{trustedProfile + "/AbCdEf1234"}, UntrustedArtifactOnDeployment: "Enforce"},
		CSCRead:  true,
		Versions: map[string]snapshot.Code{"1": signed("1"), "2": signed("2")},
	}
	switch k {
	case KindCodeUpdate:
		s.Latest.SigningProfileVersionARN, s.Latest.SigningJobARN, s.Latest.CodeSha256 = "", "", "sha-backdoor"
		s.VersionsListed = true
	case KindAliasUpdate:
		s.Aliases = []snapshot.Alias{{Name: "prod", ARN: s.ARN + ":prod", FunctionVersion: "$LATEST", RevisionID: "a1"}}
		s.AliasesRead = true
		s.Latest.SigningProfileVersionARN, s.Latest.SigningJobARN = "", ""
		s.VersionsListed = true
	case KindCSCDetach:
		s.CSC = nil
	}
	return s
}

func repoSnapshot() reposnap.Snapshot {
	return reposnap.Snapshot{
		Name: "payments", ARN: "arn:aws:codecommit:" + benchRegion + ":" + benchAccount + ":payments", AccountID: benchAccount,
		DefaultBranch: "main",
		Reviews:       []reposnap.ReviewStatus{{Reviewer: "codeguru", State: reposnap.StateNone}},
	}
}

// decideEvent is the guard's whole CPU path for one delivery: parse the
// envelope, the pipeline's ignore checks, the subjects, and the decision on
// the snapshot the reads return.
func decideEvent(k Kind, payload []byte, lg *lambdaguard.Guard, rg *repoguard.Guard) (finding.Decision, error) {
	ctx := context.Background()
	_, rec, err := cloudtrail.ParseEnvelope(payload)
	if err != nil {
		return finding.Decision{}, err
	}
	if benchSettings.IsGuard(rec.UserIdentity.IssuerARN(), rec.UserIdentity.ARN) || rec.Failed() || rec.IsReadOnly() {
		return finding.Decision{}, fmt.Errorf("event %s ignored", rec.EventName)
	}
	if k == KindRepoCreate {
		subs, err := rg.Subjects(ctx, rec)
		if err != nil || len(subs) != 1 {
			return finding.Decision{}, fmt.Errorf("subjects %v: %w", subs, err)
		}
		return repodecide.Decide(repoSnapshot(), benchSettings), nil
	}
	subs, err := lg.Subjects(ctx, rec)
	if err != nil || len(subs) != 1 {
		return finding.Decision{}, fmt.Errorf("subjects %v: %w", subs, err)
	}
	return decide.Decide(snapshotFor(k), benchSettings), nil
}

// TestDecisionPlansAnAction holds the benchmark to the real path: every
// kind's event leads to a finding and a planned action, so the benchmark
// times a decision that does its work, not an early exit.
func TestDecisionPlansAnAction(t *testing.T) {
	lg := lambdaguard.New(nil, benchSettings)
	rg := repoguard.New(nil, nil, benchSettings)
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			d, err := decideEvent(k, Event(k, "ev-1", benchTarget), lg, rg)
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			if len(d.Findings) == 0 || len(d.Actions) == 0 {
				t.Fatalf("decision = %+v, want findings and actions", d)
			}
		})
	}
}

// BenchmarkDecide times parse + decide per event kind (figure 3).
func BenchmarkDecide(b *testing.B) {
	lg := lambdaguard.New(nil, benchSettings)
	rg := repoguard.New(nil, nil, benchSettings)
	for _, k := range Kinds {
		payload := Event(k, "ev-1", benchTarget)
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := decideEvent(k, payload, lg, rg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
