package lambdaguard_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	account  = "111122223333"
	region   = "eu-west-1"
	cscID    = "csc-0123456789abcdef0"
	cscARN   = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + cscID
	trusted  = "arn:aws:signer:" + region + ":" + account + ":/signing-profiles/release"
	layerOK  = "arn:aws:lambda:" + region + ":" + account + ":layer:shared:1"
	briefCSC = "csc-0123456789abcdef1"
	layerNo  = "arn:aws:lambda:" + region + ":" + account + ":layer:unsigned:1"
)

type bed struct {
	srv *emulator.Server
	// limiter counts the guard's calls per quota bucket.
	limiter *ratelimit.Limiter
	guard   *lambdaguard.Guard
	// as makes clients acting as other actors.
	as func(actor string) *lambda.Client
}

func files(body string) lambdaemu.CodeWorld {
	return lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": body}}
}

func signedFiles(body string) lambdaemu.CodeWorld {
	c := files(body)
	c.SignedBy = "release"
	return c
}

// world holds the functions every test below starts from.
func world() lambdaemu.World {
	delay := 50
	return lambdaemu.World{
		UpdateDelayMs: &delay,
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "release", Version: "AbCdEf1234"}, {Name: "rogue", Version: "Zz99Zz99Zz"},
			{Name: "brief", Version: "Br1efBr1ef", SignatureValidity: "1h"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{{ID: cscID, AllowedPublishers: []string{"release"},
			UntrustedArtifactOnDeployment: "Enforce"},
			{ID: briefCSC, AllowedPublishers: []string{"brief"}, UntrustedArtifactOnDeployment: "Enforce"}},
		Layers: []lambdaemu.LayerWorld{
			{Name: "shared", CodeWorld: signedFiles("layer")},
			{Name: "unsigned", CodeWorld: files("evil layer")},
		},
		Functions: []lambdaemu.FunctionWorld{
			{Name: "pay", CodeWorld: files("backdoor"), CodeSigningConfig: cscID,
				Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("v1")}, {CodeWorld: signedFiles("v2")}},
				Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "2"}}},
			{Name: "orphan", CodeWorld: files("backdoor"), CodeSigningConfig: cscID, ReservedConcurrency: aws.Int32(7),
				Versions: []lambdaemu.VersionWorld{{CodeWorld: files("never signed")}}},
			{Name: "web", CodeWorld: signedFiles("web"), CodeSigningConfig: cscID,
				Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("web v1")}, {CodeWorld: files("web v2 unsigned")}},
				Aliases:  []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1", AdditionalVersionWeights: map[string]float64{"2": 0.1}}}},
			{Name: "canary", CodeWorld: signedFiles("canary"), CodeSigningConfig: cscID,
				Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("canary v1")}},
				Aliases:  []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "$LATEST"}}},
			{Name: "nocsc", CodeWorld: files("plain")},
			{Name: "lay", CodeWorld: signedFiles("lay"), CodeSigningConfig: cscID, Layers: []string{layerOK},
				Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles("lay v1")}}},
			{Name: "stale", CodeWorld: files("backdoor"), CodeSigningConfig: briefCSC,
				Versions: []lambdaemu.VersionWorld{{CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v1"}, SignedBy: "brief"}}}},
			{Name: "sandbox-play", CodeWorld: files("anything")},
		},
	}
}

func newBed(t *testing.T) *bed { t.Helper(); return newBedWith(t, world()) }

// newBedWith starts the emulator on a world of the test's own.
func newBedWith(t *testing.T, w lambdaemu.World) *bed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(&emulator.World{Lambda: w}); err != nil {
		t.Fatalf("load world: %v", err)
	}
	// The guard's limiter waits on the emulator's clock, so a wait for a
	// token moves the emulator's quota buckets on without real time passing.
	limiter := ratelimit.New(settings.DefaultLambdaRate, emulatorClock{srv.Env.Clock})
	as := func(actor string, optFns ...func(*lambda.Options)) *lambda.Client {
		for _, a := range emulator.DefaultActors(account) {
			if a.Name == actor {
				optFns = append(optFns, retryAtOnce)
				return lambda.New(lambda.Options{
					Region: region, BaseEndpoint: aws.String(ts.URL),
					Retryer: retry.NewStandard(),
					Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
						return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
					}),
				}, optFns...)
			}
		}
		t.Fatalf("no actor %q", actor)
		return nil
	}
	cfg := settings.Settings{Mode: finding.ModeEnforce, TrustedProfiles: []string{trusted, "arn:aws:signer:" + region + ":" + account + ":/signing-profiles/brief"},
		CodeSigningConfigARN: cscARN, ExemptFunctions: []string{"sandbox-*"}}
	// The guard's client is limited and retried as in production, but
	// retries come at once.
	g := lambdaguard.New(as(emulator.ActorGuard, limiter.LambdaOptions()), cfg)
	g.Remediator.WaitMin, g.Remediator.WaitMax = 50*time.Millisecond, time.Second
	return &bed{srv: srv, guard: g, limiter: limiter, as: func(actor string) *lambda.Client { return as(actor) }}
}

// emulatorClock is the limiter's clock on the emulator's time: sleeping
// advances it.
type emulatorClock struct{ c *awsproto.Clock }

func (e emulatorClock) Now() time.Time { return e.c.Now() }

func (e emulatorClock) Sleep(ctx context.Context, d time.Duration) error {
	e.c.Advance(d)
	return ctx.Err()
}

// retryAtOnce keeps a client's retry policy (which errors, how many
// attempts) but takes out its back-off and client-side throttling, which
// would only make the tests wait in real time.
func retryAtOnce(o *lambda.Options) {
	if r, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = instantRetryer{r}
	}
}

type instantRetryer struct{ aws.RetryerV2 }

func (instantRetryer) RetryDelay(int, error) (time.Duration, error) { return 0, nil }

func (instantRetryer) GetAttemptToken(context.Context) (func(error) error, error) {
	return func(error) error { return nil }, nil
}

// weakenCSC sets the shared CSC to Warn, so that unsigned deploys land.
func (b *bed) weakenCSC(t *testing.T) {
	t.Helper()
	if _, err := b.as(emulator.ActorAdmin).UpdateCodeSigningConfig(context.Background(), &lambda.UpdateCodeSigningConfigInput{
		CodeSigningConfigArn: aws.String(cscARN),
		CodeSigningPolicies:  &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyWarn}}); err != nil {
		t.Fatalf("weaken CSC: %v", err)
	}
}

func (b *bed) latest(t *testing.T, fn string) *lambda.GetFunctionOutput {
	t.Helper()
	out, err := b.as(emulator.ActorAdmin).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatalf("get %s: %v", fn, err)
	}
	return out
}

func (b *bed) version(t *testing.T, fn, v string) *types.FunctionConfiguration {
	t.Helper()
	out, err := b.as(emulator.ActorAdmin).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)})
	if err != nil {
		t.Fatalf("get %s:%s: %v", fn, v, err)
	}
	return out.Configuration
}

// evaluateAndAct runs the guard on a subject and carries out every planned
// action, as the pipeline does in enforce mode.
func (b *bed) evaluateAndAct(t *testing.T, s pipeline.Subject) (finding.Decision, []pipeline.Outcome) {
	t.Helper()
	ctx := context.Background()
	d, err := b.guard.Evaluate(ctx, s)
	if err != nil {
		t.Fatalf("evaluate %+v: %v", s, err)
	}
	var outs []pipeline.Outcome
	for _, a := range d.Actions {
		outs = append(outs, b.guard.Act(ctx, s, a))
	}
	return d, outs
}

func fn(name string) pipeline.Subject {
	return pipeline.Subject{Type: finding.ResourceFunction, Name: name}
}

func kinds(d finding.Decision) []finding.ActionKind {
	var out []finding.ActionKind
	for _, a := range d.Actions {
		out = append(out, a.Kind)
	}
	return out
}

// assertQuiet checks the guard's own writes leave nothing to do: every
// record in the trail, evaluated again, plans no action.
func (b *bed) assertQuiet(t *testing.T) {
	t.Helper()
	for _, e := range b.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(e.Event)
		if err != nil {
			t.Fatalf("trail event: %v", err)
		}
		subs, err := b.guard.Subjects(context.Background(), rec)
		if err != nil {
			t.Fatalf("subjects of %s: %v", rec.EventName, err)
		}
		for _, s := range subs {
			d, err := b.guard.Evaluate(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Actions) > 0 {
				t.Errorf("after the guard's own %s, %+v still plans %v", rec.EventName, s, kinds(d))
			}
		}
	}
}

func TestRestoreToTheLastSignedVersion(t *testing.T) {
	b := newBed(t)
	v2 := b.version(t, "pay", "2")
	d, outs := b.evaluateAndAct(t, fn("pay"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
	cfg := b.latest(t, "pay").Configuration
	if aws.ToString(cfg.CodeSha256) != aws.ToString(v2.CodeSha256) || aws.ToString(cfg.SigningProfileVersionArn) == "" {
		t.Errorf("$LATEST sha %s profile %q, want version 2's sha %s, signed", aws.ToString(cfg.CodeSha256),
			aws.ToString(cfg.SigningProfileVersionArn), aws.ToString(v2.CodeSha256))
	}
	b.assertQuiet(t)
}

func TestContainWhenNoTrustedVersion(t *testing.T) {
	b := newBed(t)
	d, outs := b.evaluateAndAct(t, fn("orphan"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionContain {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
	if got := b.latest(t, "orphan").Concurrency; got == nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 0 {
		t.Errorf("reserved concurrency = %+v, want 0", got)
	}
	if want := "aws lambda put-function-concurrency --function-name orphan --reserved-concurrent-executions 7 --region eu-west-1"; outs[0].Taken.Undo != want {
		t.Errorf("undo = %q, want %q", outs[0].Taken.Undo, want)
	}
	b.assertQuiet(t)
}

func TestExpiredSignatureEndsInContainment(t *testing.T) {
	b := newBed(t)
	b.srv.Env.Clock.Advance(2 * time.Hour) // version 1's signature has expired
	d, outs := b.evaluateAndAct(t, fn("stale"))
	if len(outs) != 1 || outs[0].Action.Kind != rules.ActionRestoreCode {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
	if outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionContain {
		t.Fatalf("outcome %+v, want a restore ending in containment", outs[0])
	}
	if !strings.Contains(outs[0].Message, "restoring version 1 failed") {
		t.Errorf("message %q does not say Lambda refused the expired signature", outs[0].Message)
	}
	if c := b.latest(t, "stale").Concurrency; c == nil || aws.ToInt32(c.ReservedConcurrentExecutions) != 0 {
		t.Errorf("reserved concurrency = %+v, want 0", c)
	}
}

func TestMonitorModeChangesNothing(t *testing.T) {
	b := newBed(t)
	b.guard.Settings.Mode = finding.ModeMonitor
	d, outs := b.evaluateAndAct(t, fn("pay"))
	if len(d.Findings) == 0 || len(outs) != 1 || !errors.Is(outs[0].Err, pipeline.ErrMonitorMode) {
		t.Fatalf("decision %+v, outcomes %+v", d, outs)
	}
	if got := aws.ToString(b.latest(t, "pay").Configuration.SigningProfileVersionArn); got != "" {
		t.Errorf("$LATEST changed in monitor mode (now signed by %s)", got)
	}
}

func TestWeightedAliasMovedBack(t *testing.T) {
	b := newBed(t)
	d, outs := b.evaluateAndAct(t, pipeline.Subject{Type: finding.ResourceAlias, Name: "web", Qualifier: "live"})
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("decision %v %+v, outcomes %+v", kinds(d), d.Findings, outs)
	}
	a, err := b.as(emulator.ActorAdmin).GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.FunctionVersion) != "1" || a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		t.Errorf("alias = %s %+v, want version 1 with no weights", aws.ToString(a.FunctionVersion), a.RoutingConfig)
	}
	b.assertQuiet(t)
}

func TestAliasOnLatestMovedToNewestTrustedVersion(t *testing.T) {
	b := newBed(t)
	_, outs := b.evaluateAndAct(t, pipeline.Subject{Type: finding.ResourceAlias, Name: "canary", Qualifier: "live"})
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("outcomes %+v", outs)
	}
	a, err := b.as(emulator.ActorAdmin).GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live")})
	if err != nil || aws.ToString(a.FunctionVersion) != "1" {
		t.Fatalf("alias = %+v, %v; want version 1", a, err)
	}
}

func TestCodeSigningConfigAttached(t *testing.T) {
	b := newBed(t)
	d, outs := b.evaluateAndAct(t, fn("nocsc"))
	if len(outs) == 0 || outs[0].Action.Kind != rules.ActionAttachCSC || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
	got, err := b.as(emulator.ActorAdmin).GetFunctionCodeSigningConfig(context.Background(),
		&lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("nocsc")})
	if err != nil || aws.ToString(got.CodeSigningConfigArn) != cscARN {
		t.Fatalf("attached CSC = %+v, %v; want %s", got, err, cscARN)
	}
	// Its unsigned code has no trusted version to come back to: contained.
	if c := b.latest(t, "nocsc").Concurrency; c == nil || aws.ToInt32(c.ReservedConcurrentExecutions) != 0 {
		t.Errorf("unsigned code with no trusted version is not contained: %+v", c)
	}
}

func TestUntrustedLayerReplacedByTheTrustedVersionsLayers(t *testing.T) {
	b := newBed(t)
	ctx := context.Background()
	b.weakenCSC(t)
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("lay"), Layers: []string{layerNo}}); err != nil {
		t.Fatalf("attacker adds a layer: %v", err)
	}
	d, outs := b.evaluateAndAct(t, fn("lay"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreConfiguration {
		t.Fatalf("decision %v %+v, outcomes %+v", kinds(d), d.Findings, outs)
	}
	ls := b.latest(t, "lay").Configuration.Layers
	if len(ls) != 1 || aws.ToString(ls[0].Arn) != layerOK {
		t.Errorf("layers = %+v, want only %s", ls, layerOK)
	}
}

func TestARacingSignedDeployIsNeverClobbered(t *testing.T) {
	b := newBed(t)
	ctx := context.Background()
	d, err := b.guard.Evaluate(ctx, fn("pay"))
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	// CI deploys new, signed code after the guard read the function.
	zip, _, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "v3 from CI"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.as(emulator.ActorCI).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("pay"), ZipFile: zip}); err != nil {
		t.Fatalf("CI deploy: %v", err)
	}
	o := b.guard.Act(ctx, fn("pay"), d.Actions[0])
	if o.Status != pipeline.OutcomeNotNeeded {
		t.Fatalf("outcome %+v, want not-needed", o)
	}
	if got := aws.ToString(b.latest(t, "pay").Configuration.CodeSha256); got != sha(zip) {
		t.Errorf("$LATEST sha %s, want CI's %s", got, sha(zip))
	}
}

func TestARacingUnsignedDeployIsRevertedOnce(t *testing.T) {
	b := newBed(t)
	ctx := context.Background()
	b.weakenCSC(t)
	d, err := b.guard.Evaluate(ctx, fn("pay"))
	if err != nil {
		t.Fatal(err)
	}
	var restore finding.Action
	for _, a := range d.Actions {
		if a.Kind == rules.ActionRestoreCode {
			restore = a
		}
	}
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("pay"), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "backdoor 2"})}); err != nil {
		t.Fatalf("attacker deploy: %v", err)
	}
	o := b.guard.Act(ctx, fn("pay"), restore)
	if o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("outcome %+v, want the restore redone on the fresh revision", o)
	}
	if got, want := aws.ToString(b.latest(t, "pay").Configuration.CodeSha256), aws.ToString(b.version(t, "pay", "2").CodeSha256); got != want {
		t.Errorf("$LATEST sha %s, want version 2's %s", got, want)
	}
}

func TestADeletedFunctionNeedsNothing(t *testing.T) {
	b := newBed(t)
	ctx := context.Background()
	d, err := b.guard.Evaluate(ctx, fn("pay"))
	if err != nil || len(d.Actions) == 0 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	if _, err := b.as(emulator.ActorAdmin).DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("pay")}); err != nil {
		t.Fatal(err)
	}
	if o := b.guard.Act(ctx, fn("pay"), d.Actions[0]); o.Status != pipeline.OutcomeNotNeeded || o.Err != nil {
		t.Errorf("act on a deleted function: %+v", o)
	}
	for _, s := range []pipeline.Subject{fn("pay"), {Type: finding.ResourceAlias, Name: "pay", Qualifier: "prod"}} {
		d, err := b.guard.Evaluate(ctx, s)
		if err != nil || len(d.Findings)+len(d.Actions) != 0 {
			t.Errorf("evaluate deleted %+v: %+v, %v", s, d, err)
		}
	}
}

// TestExemptFunctionCostsOneGetFunction: an exempt function is read only
// to see whether it borrows a guard role: one GetFunction, on its own
// quota, and nothing from the shared bucket.
func TestExemptFunctionCostsOneGetFunction(t *testing.T) {
	b := newBed(t)
	d, err := b.guard.Evaluate(context.Background(), fn("sandbox-play"))
	if err != nil || len(d.Findings) != 0 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	if c := b.limiter.Counts(); c[ratelimit.BucketGetFunction] != 1 || c[ratelimit.BucketControl] != 0 {
		t.Errorf("calls per bucket for an exempt function = %v, want one GetFunction and nothing shared", c)
	}
}

func TestCodeSigningConfigSubjectCoversItsFunctions(t *testing.T) {
	b := newBed(t)
	d, err := b.guard.Evaluate(context.Background(), pipeline.Subject{Type: finding.ResourceCodeSigningConfig, Name: cscARN})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range d.Findings {
		seen[f.Resource] = true
	}
	if !seen["pay"] || !seen["orphan"] || seen["web"] {
		t.Errorf("findings cover %v, want pay and orphan (web's $LATEST is signed)", seen)
	}
}

// TestWeakenedConfiguredCSCIsJudgedOnItsOwnEvent checks the other half of
// skipping the configured CSC's policy on code events: the
// UpdateCodeSigningConfig event that weakens it is judged with the policy
// read, for every function using it.
func TestWeakenedConfiguredCSCIsJudgedOnItsOwnEvent(t *testing.T) {
	b := newBed(t)
	b.weakenCSC(t)
	rules := func(d finding.Decision) map[string]bool {
		out := map[string]bool{}
		for _, f := range d.Findings {
			if f.Rule == rules.CSCWarnOnly {
				out[f.Resource] = true
			}
		}
		return out
	}
	ctx := context.Background()
	code, err := b.guard.Evaluate(ctx, fn("web"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(code); len(got) != 0 {
		t.Errorf("code event on web flagged the configured CSC (%v): its policy should not have been read", got)
	}
	csc, err := b.guard.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceCodeSigningConfig, Name: cscARN})
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(csc); !got["web"] || !got["pay"] || !got["lay"] {
		t.Errorf("UpdateCodeSigningConfig event flagged %v as warn-only, want web, pay and lay", got)
	}
}

// TestEventCostsOnTheQuotaBuckets checks, against the emulator, the read
// costs package observe documents for a healthy function.
func TestEventCostsOnTheQuotaBuckets(t *testing.T) {
	cases := []struct {
		name                string
		subject             pipeline.Subject
		configured          string
		getFunction, shared int64
	}{
		{"code event, the configured CSC attached", fn("web"), cscARN, 1, 1},
		{"code event, a CSC other than the configured one", fn("web"), "", 1, 2},
		// GetAlias and the version list, which holds the routed versions:
		// whether a version may run takes the versions before it.
		{"weighted alias event on trusted versions", pipeline.Subject{Type: finding.ResourceAlias, Name: "pay", Qualifier: "prod"}, cscARN, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t)
			b.guard.Reader.ConfiguredCSC = tc.configured
			d, err := b.guard.Evaluate(context.Background(), tc.subject)
			if err != nil || len(d.Actions) != 0 {
				t.Fatalf("decision %+v, %v", d, err)
			}
			c := b.limiter.Counts()
			if c[ratelimit.BucketGetFunction] != tc.getFunction || c[ratelimit.BucketControl] != tc.shared {
				t.Errorf("calls per bucket = %v, want GetFunction %d, shared %d", c, tc.getFunction, tc.shared)
			}
		})
	}
}

func TestThrottlingBurstsAreAbsorbed(t *testing.T) {
	b := newBed(t)
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "lambda", Operation: "GetFunctionCodeSigningConfig",
		ErrorRate: 1, Status: 429, Code: "TooManyRequestsException", Count: 2}})
	d, outs := b.evaluateAndAct(t, fn("pay"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestDecidesOnTheResultOfAnUpdateStillInProgress: the event of a code
// update arrives while Lambda is still applying it. The guard waits for the
// result and decides on it, so its own write carries the current RevisionId
// and meets no 409 or 412 (each would cost a failed call and a second
// decision from the shared quota).
func TestDecidesOnTheResultOfAnUpdateStillInProgress(t *testing.T) {
	b := newBed(t)
	b.weakenCSC(t)
	ctx := context.Background()
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("pay"), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "evil, in progress"}),
	}); err != nil {
		t.Fatal(err)
	}
	if st := b.latest(t, "pay").Configuration.LastUpdateStatus; st != types.LastUpdateStatusInProgress {
		t.Fatalf("the update is %s already; the test needs it in progress", st)
	}
	before := len(b.srv.Env.Trail.Since(0))
	_, outs := b.evaluateAndAct(t, fn("pay"))
	for _, o := range outs {
		if o.Status != pipeline.OutcomeDone {
			t.Errorf("outcome %+v, want done", o)
		}
	}
	for _, ev := range b.srv.Env.Trail.Since(int64(before)) {
		if strings.Contains(string(ev.Event), `"errorCode"`) {
			t.Errorf("the guard made a failing call: %.300s", ev.Event)
		}
	}
}

// TestSettlingLeavesTimeToDecide: an update that stays in progress must
// not take all the time left: the guard waits for it at most half of it,
// then decides on what it reads.
func TestSettlingLeavesTimeToDecide(t *testing.T) {
	b := newBed(t)
	b.weakenCSC(t)
	b.srv.Lambda.SetUpdateDelay(time.Hour)
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("pay"), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "evil, for ever in progress"}),
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if _, err := b.guard.Evaluate(ctx, fn("pay")); err != nil {
		t.Fatalf("evaluate: %v; the wait for the update left no time to read", err)
	}
}
