package lambdaguard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// signerBed is the emulator's world with the guard asking Signer, on the
// emulator's clock, as the guard's own actor.
func signerBed(t *testing.T) *bed {
	t.Helper()
	b := newBed(t)
	b.guard.Signatures = observe.NewSignatures(b.signer(t, emulator.ActorGuard), b.guard.Settings)
	b.guard.Signatures.Now = b.srv.Env.Clock.Now
	return b
}

func (b *bed) signer(t *testing.T, actor string) *signer.Client {
	t.Helper()
	a, ok := b.srv.Identities.ByName(actor)
	if !ok {
		t.Fatalf("no actor %q", actor)
	}
	return signer.New(signer.Options{Region: region, BaseEndpoint: aws.String(b.srv.Env.BaseURL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
		})})
}

// revokeJob revokes, as the security team, the job behind a version's code.
func (b *bed) revokeJob(t *testing.T, fn, qualifier string) string {
	t.Helper()
	in := &lambda.GetFunctionInput{FunctionName: aws.String(fn)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := b.as(emulator.ActorAdmin).GetFunction(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	job := aws.ToString(out.Configuration.SigningJobArn)
	if job == "" {
		t.Fatalf("%s:%s has no signing job", fn, qualifier)
	}
	if _, err := b.signer(t, emulator.ActorAdmin).RevokeSignature(context.Background(), &signer.RevokeSignatureInput{
		JobId: aws.String(job[strings.LastIndex(job, "/")+1:]), Reason: aws.String("built from a compromised runner"),
	}); err != nil {
		t.Fatal(err)
	}
	return job
}

func (b *bed) revokeRelease(t *testing.T, effective time.Time) {
	t.Helper()
	if _, err := b.signer(t, emulator.ActorAdmin).RevokeSigningProfile(context.Background(), &signer.RevokeSigningProfileInput{
		ProfileName: aws.String("release"), ProfileVersion: aws.String("AbCdEf1234"), Reason: aws.String("key exposed"),
		EffectiveTime: aws.Time(effective),
	}); err != nil {
		t.Fatal(err)
	}
}

func ruleIDs(d finding.Decision) []string {
	var out []string
	for _, f := range d.Findings {
		out = append(out, f.Resource+" "+string(f.Rule))
	}
	return out
}

func TestJobRevokedAfterDeployIsRestoredFromAVersionThatHolds(t *testing.T) {
	b := signerBed(t)
	v1 := b.version(t, "lay", "1")
	b.revokeJob(t, "lay", "")
	d, outs := b.evaluateAndAct(t, fn("lay"))
	if got := ruleIDs(d); len(got) != 1 || got[0] != "lay lambda.revoked-signature" {
		t.Fatalf("findings %v, want lay's $LATEST revoked", got)
	}
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("outcomes %+v, want a done restore", outs)
	}
	if got := aws.ToString(b.latest(t, "lay").Configuration.CodeSha256); got != aws.ToString(v1.CodeSha256) {
		t.Errorf("$LATEST sha %s, want version 1's %s", got, aws.ToString(v1.CodeSha256))
	}
	b.assertQuiet(t)
}

func TestWithoutSignerARevokedJobGoesUnseen(t *testing.T) {
	b := newBed(t)
	b.revokeJob(t, "lay", "")
	d, _ := b.evaluateAndAct(t, fn("lay"))
	if len(d.Findings) != 0 {
		t.Fatalf("findings %v: without Signer the profile alone is judged, and it is trusted", ruleIDs(d))
	}
}

func TestRevocationEventLeadsToTheFunctionsTheJobSigned(t *testing.T) {
	b := signerBed(t)
	seq := int64(len(b.srv.Env.Trail.Since(0)))
	job := b.revokeJob(t, "canary", "")
	var rec cloudtrail.Record
	for _, ev := range b.srv.Env.Trail.Since(seq) {
		_, r, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if r.EventName == "RevokeSignature" {
			rec = r
		}
	}
	subs, err := b.guard.Subjects(context.Background(), rec)
	if err != nil || len(subs) != 1 || subs[0].Type != finding.ResourceSigningJob || subs[0].Name != job {
		t.Fatalf("subjects %+v, %v; want the signing job %s", subs, err, job)
	}
	d, outs := b.evaluateAndAct(t, subs[0])
	want := []string{"canary lambda.revoked-signature", "canary:live lambda.alias-latest"}
	if got := ruleIDs(d); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("findings %v, want %v (only the function the job signed)", got, want)
	}
	for _, o := range outs {
		if o.Status != pipeline.OutcomeDone {
			t.Errorf("outcome %+v, want done", o)
		}
	}
	if got := aws.ToString(b.latest(t, "canary").Configuration.SigningJobArn); got == job {
		t.Errorf("$LATEST still carries the revoked job %s", job)
	}
}

// TestProfileRevocation revokes the release profile from a time in the
// past, as Signer requires: before the world's code was signed, or after.
func TestProfileRevocation(t *testing.T) {
	cases := []struct {
		name      string
		effective time.Duration // from when the world was signed
		want      []string
		kinds     []finding.ActionKind
	}{
		{"effective before everything was signed: nothing holds, the function is contained", -time.Hour,
			[]string{"lay lambda.revoked-signature", "lay/shared:1 lambda.untrusted-layer", "lay:1 lambda.untrusted-version"},
			[]finding.ActionKind{rules.ActionContain}},
		{"effective after the signatures were made: they stay valid", time.Hour, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := signerBed(t)
			signedAt := b.srv.Env.Clock.Now()
			b.srv.Env.Clock.Advance(2 * time.Hour)
			b.revokeRelease(t, signedAt.Add(tc.effective))
			d, outs := b.evaluateAndAct(t, fn("lay"))
			if got := ruleIDs(d); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("findings %v, want %v", got, tc.want)
			}
			if len(kinds(d)) != len(tc.kinds) {
				t.Fatalf("actions %v, want %v", kinds(d), tc.kinds)
			}
			for i, o := range outs {
				if o.Status != pipeline.OutcomeDone || o.Taken.Kind != tc.kinds[i] {
					t.Errorf("outcome %+v, want %s done", o, tc.kinds[i])
				}
			}
		})
	}
}

func TestExpiredSignatureIsNotARestoreTarget(t *testing.T) {
	b := signerBed(t)
	b.srv.Env.Clock.Advance(2 * time.Hour) // "stale" version 1's signature (brief, 1h) has expired
	d, outs := b.evaluateAndAct(t, fn("stale"))
	if len(outs) != 1 || outs[0].Action.Kind != rules.ActionContain || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("decision %v, outcomes %+v; want containment planned, not a restore Lambda would refuse", kinds(d), outs)
	}
}

func TestExpiredLatestIsFound(t *testing.T) {
	b := signerBed(t)
	ctx := context.Background()
	zip, _, err := b.srv.Lambda.Sign("brief", lambdaemu.ZipOf(map[string]string{"bootstrap": "brief"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.as(emulator.ActorAdmin).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("short"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + account + ":role/fn"), Code: &types.FunctionCode{ZipFile: zip},
		CodeSigningConfigArn: aws.String("arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + briefCSC),
	}); err != nil {
		t.Fatal(err)
	}
	d, _ := b.evaluateAndAct(t, fn("short"))
	if len(d.Findings) != 0 {
		t.Fatalf("findings %v before expiry", ruleIDs(d))
	}
	b.srv.Env.Clock.Advance(2 * time.Hour)
	d, outs := b.evaluateAndAct(t, fn("short"))
	if got := ruleIDs(d); len(got) != 1 || got[0] != "short lambda.expired-signature" {
		t.Fatalf("findings %v, want short's $LATEST expired", got)
	}
	if len(outs) != 1 || outs[0].Taken.Kind != rules.ActionContain || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("outcomes %+v, want containment (no version to restore)", outs)
	}
}

// TestRevokedJobOfAnUnroutedVersionIsFound: the revoked job signed only a
// published version no alias routes to. Its revocation event judges every
// version of the functions it signed, so the version is found, not only
// $LATEST and the aliases.
func TestRevokedJobOfAnUnroutedVersionIsFound(t *testing.T) {
	b := signerBed(t)
	job := b.revokeJob(t, "lay", "1")
	d, err := b.guard.Evaluate(context.Background(), pipeline.Subject{Type: finding.ResourceSigningJob, Name: job})
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(d); strings.Join(got, ",") != "lay:1 lambda.untrusted-version" {
		t.Fatalf("findings %v, want lay's version 1 alone", got)
	}
	if !strings.Contains(d.Findings[0].Summary, "which AWS Signer shows revoked") {
		t.Errorf("summary %q does not say why", d.Findings[0].Summary)
	}
}
