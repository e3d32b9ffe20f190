package exposureguard_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
	partner = "444455556666"
	foreign = "999988887777"
)

type bed struct {
	srv     *emulator.Server
	limiter *ratelimit.Limiter
	guard   *exposureguard.Guard
	as      func(actor string) *lambda.Client
	// seen is the trail position the next event is taken after.
	seen int64
}

func world() lambdaemu.World {
	delay := 50
	code := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "#!/bin/sh\necho hi\n"}}
	return lambdaemu.World{
		UpdateDelayMs: &delay,
		Layers:        []lambdaemu.LayerWorld{{Name: "shared", CodeWorld: code}},
		Functions: []lambdaemu.FunctionWorld{
			{Name: "api", CodeWorld: code, Versions: []lambdaemu.VersionWorld{{CodeWorld: code}},
				Aliases: []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1"}},
				Permissions: []lambdaemu.PermissionWorld{{StatementID: "apigw", Principal: "apigateway.amazonaws.com",
					SourceArn: "arn:aws:execute-api:" + region + ":" + account + ":abc123/*/*"}}},
			{Name: "web", CodeWorld: code},
			{Name: "worker", CodeWorld: code},
			{Name: "sandbox-play", CodeWorld: code},
		},
	}
}

func newBed(t *testing.T, mode finding.Mode) *bed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(&emulator.World{Lambda: world()}); err != nil {
		t.Fatalf("load world: %v", err)
	}
	limiter := ratelimit.New(settings.DefaultLambdaRate, emulatorClock{srv.Env.Clock})
	as := func(actor string, optFns ...func(*lambda.Options)) *lambda.Client {
		for _, a := range emulator.DefaultActors(account) {
			if a.Name == actor {
				optFns = append(optFns, retryAtOnce)
				return lambda.New(lambda.Options{
					Region: region, BaseEndpoint: aws.String(ts.URL), Retryer: retry.NewStandard(),
					Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
						return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
					}),
				}, optFns...)
			}
		}
		t.Fatalf("no actor %q", actor)
		return nil
	}
	cfg := settings.Settings{Mode: mode, ExemptFunctions: []string{"sandbox-*"},
		Exposure: settings.Exposure{Account: account, TrustedAccounts: []string{partner}}}
	g := exposureguard.New(as(emulator.ActorGuard, limiter.LambdaOptions()), cfg)
	g.SettleInterval = 20 * time.Millisecond
	return &bed{srv: srv, guard: g, limiter: limiter, as: func(actor string) *lambda.Client { return as(actor) }}
}

// emulatorClock is the limiter's clock on the emulator's time.
type emulatorClock struct{ c *awsproto.Clock }

func (e emulatorClock) Now() time.Time { return e.c.Now() }

func (e emulatorClock) Sleep(ctx context.Context, d time.Duration) error {
	e.c.Advance(d)
	return ctx.Err()
}

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

// event returns the subjects of the newest trail record of an operation
// recorded since the last call, as the pipeline would get them.
func (b *bed) event(t *testing.T, op string) []pipeline.Subject {
	t.Helper()
	events := b.srv.Env.Trail.Since(b.seen)
	for i := len(events) - 1; i >= 0; i-- {
		_, rec, err := cloudtrail.ParseEnvelope(events[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Operation()) != op {
			continue
		}
		b.seen = events[len(events)-1].Seq
		subs, err := b.guard.Subjects(context.Background(), rec)
		if err != nil {
			t.Fatalf("subjects of %s: %v", rec.EventName, err)
		}
		return subs
	}
	t.Fatalf("no %s in the trail", op)
	return nil
}

// judge evaluates the subjects and carries out every planned action, as
// the pipeline does in enforce mode.
func (b *bed) judge(t *testing.T, subs []pipeline.Subject) (finding.Decision, []pipeline.Outcome) {
	t.Helper()
	var all finding.Decision
	var outs []pipeline.Outcome
	for _, s := range subs {
		d, err := b.guard.Evaluate(context.Background(), s)
		if err != nil {
			t.Fatalf("evaluate %+v: %v", s, err)
		}
		all.Findings = append(all.Findings, d.Findings...)
		all.Actions = append(all.Actions, d.Actions...)
		if b.guard.Settings.Mode != finding.ModeEnforce {
			continue
		}
		for _, a := range d.Actions {
			outs = append(outs, b.guard.Act(context.Background(), s, a))
		}
	}
	return all, outs
}

// assertQuiet: every record the guard's own writes left, judged again,
// plans nothing.
func (b *bed) assertQuiet(t *testing.T) {
	t.Helper()
	for _, e := range b.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(e.Event)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rec.UserIdentity.ARN, emulator.ActorGuard) {
			continue
		}
		subs, err := b.guard.Subjects(context.Background(), rec)
		if err != nil {
			t.Fatalf("subjects of the guard's own %s: %v", rec.EventName, err)
		}
		for _, s := range subs {
			d, err := b.guard.Evaluate(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Actions) > 0 {
				t.Errorf("after the guard's own %s, %+v still plans %+v", rec.EventName, s, d.Actions)
			}
		}
	}
}

func onlyDone(t *testing.T, outs []pipeline.Outcome, kind finding.ActionKind) pipeline.Outcome {
	t.Helper()
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Action.Kind != kind {
		t.Fatalf("outcomes %+v, want one %s done", outs, kind)
	}
	return outs[0]
}

func (b *bed) policy(t *testing.T, fn, q string) []snapshot.Statement {
	t.Helper()
	in := &lambda.GetPolicyInput{FunctionName: aws.String(fn)}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := b.as(emulator.ActorAdmin).GetPolicy(context.Background(), in)
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	sts, err := snapshot.ParsePolicy(aws.ToString(out.Policy))
	if err != nil {
		t.Fatal(err)
	}
	return sts
}

func statementNamed(sts []snapshot.Statement, sid string) (snapshot.Statement, bool) {
	for _, s := range sts {
		if s.Sid == sid {
			return s, true
		}
	}
	return snapshot.Statement{}, false
}

func TestStratusBackdoorIsRemovedAndTheUndoPutsItBackExactly(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	if _, err := b.as(emulator.ActorAttacker).AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("api"), StatementId: aws.String("backdoor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := statementNamed(b.policy(t, "api", ""), "backdoor")
	d, outs := b.judge(t, b.event(t, "AddPermission"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.PublicInvoke || d.Findings[0].Resource != "api#backdoor" {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionRemovePermission)
	if !strings.Contains(o.Message, before.Raw) || !strings.Contains(d.Findings[0].Detail, before.Raw) {
		t.Errorf("the alert does not carry the removed statement verbatim:\n%s\n%s\nwant %s", o.Message, d.Findings[0].Detail, before.Raw)
	}
	sts := b.policy(t, "api", "")
	if _, still := statementNamed(sts, "backdoor"); still {
		t.Fatal("the backdoor statement is still there")
	}
	if _, kept := statementNamed(sts, "apigw"); !kept {
		t.Error("the function's own API Gateway statement was removed too")
	}
	b.assertQuiet(t)
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	after, ok := statementNamed(b.policy(t, "api", ""), "backdoor")
	if !ok || after.Raw != before.Raw {
		t.Errorf("undo wrote %s, want %s", after.Raw, before.Raw)
	}
}

func TestAStatementOnAnAliasIsRemovedFromTheAliasPolicy(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	if _, err := b.as(emulator.ActorAttacker).AddPermission(context.Background(), &lambda.AddPermissionInput{
		FunctionName: aws.String("api"), Qualifier: aws.String("live"), StatementId: aws.String("partner-x"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(foreign),
	}); err != nil {
		t.Fatal(err)
	}
	d, outs := b.judge(t, b.event(t, "AddPermission"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.UntrustedAccount || d.Findings[0].Resource != "api:live#partner-x" {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionRemovePermission)
	if len(b.policy(t, "api", "live")) != 0 {
		t.Error("the alias still has the statement")
	}
	if want := "aws lambda add-permission --function-name api --qualifier live --statement-id partner-x --action lambda:InvokeFunction --principal " + foreign; o.Taken.Undo != want {
		t.Errorf("undo %q, want %q", o.Taken.Undo, want)
	}
}

func TestATrustedPartnerAndAnExemptFunctionAreLeftAlone(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	l := b.as(emulator.ActorDeveloper)
	for _, fn := range []string{"worker", "sandbox-play"} {
		principal := partner
		if fn == "sandbox-play" {
			principal = "*"
		}
		if _, err := l.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("p"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal)}); err != nil {
			t.Fatal(err)
		}
		d, _ := b.judge(t, b.event(t, "AddPermission"))
		if len(d.Findings) != 0 {
			t.Errorf("%s: findings %+v", fn, d.Findings)
		}
	}
}

func TestARacingPolicyChangeIsReadAgainNotClobbered(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	m := b.as(emulator.ActorAttacker)
	if _, err := m.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("web"), StatementId: aws.String("one"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	subs := b.event(t, "AddPermission")
	d, err := b.guard.Evaluate(ctx, subs[0])
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("decision %+v, %v", d, err)
	}
	// The policy changes after the guard read it: its RevisionId moves on.
	if _, err := m.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("web"), StatementId: aws.String("two"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(partner)}); err != nil {
		t.Fatal(err)
	}
	o := b.guard.Act(ctx, subs[0], d.Actions[0])
	if o.Status != pipeline.OutcomeDone {
		t.Fatalf("outcome %+v", o)
	}
	sts := b.policy(t, "web", "")
	if _, ok := statementNamed(sts, "one"); ok {
		t.Error("statement one is still there")
	}
	if _, ok := statementNamed(sts, "two"); !ok {
		t.Error("the newer, trusted statement was removed")
	}
}

func TestAPublicFunctionURLIsMadeToRequireIAMAndTheUndoOpensItAgain(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	m := b.as(emulator.ActorAttacker)
	created, err := m.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	urlEvent := b.event(t, "CreateFunctionUrlConfig")
	if _, err := m.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("web"), StatementId: aws.String("FunctionURLAllowPublicAccess"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		t.Fatal(err)
	}
	// Since October 2025 a new URL also needs InvokeFunction, through the URL only.
	if _, err := m.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("web"), StatementId: aws.String("FunctionURLAllowInvokeAction"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	// The permission's own event: the public statement only works
	// through the URL, so the guard reads the URL and judges it there.
	d, outs := b.judge(t, b.event(t, "AddPermission"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.PublicURL || d.Findings[0].Severity != finding.SeverityCritical {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionURLRequireIAM)
	got, err := b.as(emulator.ActorAdmin).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	if err != nil || got.AuthType != types.FunctionUrlAuthTypeAwsIam || aws.ToString(got.FunctionUrl) != aws.ToString(created.FunctionUrl) {
		t.Fatalf("URL %+v, %v: want the same address, AuthType AWS_IAM", got, err)
	}
	// The URL's own event, arriving later, finds nothing left to do.
	if d, _ := b.judge(t, urlEvent); len(d.Findings) != 0 {
		t.Errorf("the late URL event still finds %+v", d.Findings)
	}
	b.assertQuiet(t)
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	got, _ = b.as(emulator.ActorAdmin).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	if got.AuthType != types.FunctionUrlAuthTypeNone {
		t.Errorf("after undo AuthType %s, want NONE", got.AuthType)
	}
}

func TestCORSWithCredentialsForAnyOriginIsTurnedOffKeepingTheRest(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	cors := &types.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true), AllowMethods: []string{"GET"}, MaxAge: aws.Int32(300)}
	if _, err := b.as(emulator.ActorDeveloper).CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("api"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeAwsIam, Cors: cors}); err != nil {
		t.Fatal(err)
	}
	d, outs := b.judge(t, b.event(t, "CreateFunctionUrlConfig"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.URLCorsCredentials || d.Findings[0].Resource != "api:live" {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionURLCorsNoCredentials)
	got, err := b.as(emulator.ActorAdmin).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("api"), Qualifier: aws.String("live")})
	if err != nil || got.Cors == nil || aws.ToBool(got.Cors.AllowCredentials) || aws.ToInt32(got.Cors.MaxAge) != 300 || len(got.Cors.AllowMethods) != 1 {
		t.Fatalf("CORS %+v, %v", got.Cors, err)
	}
	b.assertQuiet(t)
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	got, _ = b.as(emulator.ActorAdmin).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("api"), Qualifier: aws.String("live")})
	if !aws.ToBool(got.Cors.AllowCredentials) {
		t.Error("undo did not turn credentials back on")
	}
}

func TestAPublicLayerIsUnsharedAndTheUndoSharesItAgain(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	if _, err := b.as(emulator.ActorAttacker).AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("shared"), VersionNumber: aws.Int64(1), StatementId: aws.String("everyone"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	before := b.layerPolicy(t)
	d, outs := b.judge(t, b.event(t, "AddLayerVersionPermission"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.PublicLayer || d.Findings[0].ARN != "arn:aws:lambda:"+region+":"+account+":layer:shared:1" {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionRemoveLayerPermission)
	if after := b.layerPolicy(t); after != "" {
		t.Errorf("the layer is still shared: %s", after)
	}
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	if again := b.layerPolicy(t); again != before {
		t.Errorf("undo shared it as %s, want %s", again, before)
	}
}

func (b *bed) layerPolicy(t *testing.T) string {
	t.Helper()
	out, err := b.as(emulator.ActorAdmin).GetLayerVersionPolicy(context.Background(), &lambda.GetLayerVersionPolicyInput{
		LayerName: aws.String("shared"), VersionNumber: aws.Int64(1)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	sts, err := snapshot.ParsePolicy(aws.ToString(out.Policy))
	if err != nil || len(sts) != 1 {
		t.Fatalf("layer policy %s: %v", aws.ToString(out.Policy), err)
	}
	return sts[0].Raw
}

func TestAnEventSourceOfAnUntrustedAccountIsDisabledOnceItSettles(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	created, err := b.as(emulator.ActorAttacker).CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("worker"), EventSourceArn: aws.String("arn:aws:sqs:" + region + ":" + foreign + ":feed")})
	if err != nil {
		t.Fatal(err)
	}
	// Still Creating when the event arrives: Lambda refuses a change until
	// it settles, so the guard waits and decides again.
	d, outs := b.judge(t, b.event(t, "CreateEventSourceMapping"))
	if len(d.Findings) != 1 || d.Findings[0].Rule != rules.UntrustedEventSource {
		t.Fatalf("findings %+v", d.Findings)
	}
	o := onlyDone(t, outs, rules.ActionDisableMapping)
	if want := "aws lambda update-event-source-mapping --uuid " + aws.ToString(created.UUID) + " --enabled"; o.Taken.Undo != want {
		t.Errorf("undo %q, want %q", o.Taken.Undo, want)
	}
	if s := b.mappingState(t, aws.ToString(created.UUID), "Disabled"); s != "Disabled" {
		t.Fatalf("state %s, want Disabled", s)
	}
	b.assertQuiet(t)
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	if s := b.mappingState(t, aws.ToString(created.UUID), "Enabled"); s != "Enabled" {
		t.Errorf("after undo state %s, want Enabled", s)
	}
}

// mappingState waits for a mapping to reach a state and returns the last
// state read.
func (b *bed) mappingState(t *testing.T, uuid, want string) string {
	t.Helper()
	var state string
	for i := 0; i < 100; i++ {
		out, err := b.as(emulator.ActorAdmin).GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		if err != nil {
			t.Fatal(err)
		}
		if state = aws.ToString(out.State); state == want {
			return state
		}
		time.Sleep(10 * time.Millisecond)
	}
	return state
}

func TestRecursiveLoopDetectionIsTurnedBackOn(t *testing.T) {
	b := newBed(t, finding.ModeEnforce)
	ctx := context.Background()
	if _, err := b.as(emulator.ActorDeveloper).PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{
		FunctionName: aws.String("worker"), RecursiveLoop: types.RecursiveLoopAllow}); err != nil {
		t.Fatal(err)
	}
	_, outs := b.judge(t, b.event(t, "PutFunctionRecursionConfig"))
	o := onlyDone(t, outs, rules.ActionRecursionTerminate)
	got, err := b.as(emulator.ActorAdmin).GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("worker")})
	if err != nil || got.RecursiveLoop != types.RecursiveLoopTerminate {
		t.Fatalf("recursion %+v, %v", got, err)
	}
	b.assertQuiet(t)
	runUndo(t, b.as(emulator.ActorAdmin), o.Taken.Undo)
	got, _ = b.as(emulator.ActorAdmin).GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("worker")})
	if got.RecursiveLoop != types.RecursiveLoopAllow {
		t.Errorf("after undo %s, want Allow", got.RecursiveLoop)
	}
}

func TestMonitorModeChangesNothing(t *testing.T) {
	b := newBed(t, finding.ModeMonitor)
	ctx := context.Background()
	if _, err := b.as(emulator.ActorAttacker).AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("api"), StatementId: aws.String("backdoor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	subs := b.event(t, "AddPermission")
	d, _ := b.judge(t, subs)
	if len(d.Findings) != 1 {
		t.Fatalf("findings %+v", d.Findings)
	}
	if o := b.guard.Act(ctx, subs[0], d.Actions[0]); !errors.Is(o.Err, pipeline.ErrMonitorMode) {
		t.Errorf("Act in monitor mode: %+v", o)
	}
	if _, ok := statementNamed(b.policy(t, "api", ""), "backdoor"); !ok {
		t.Error("monitor mode removed the statement")
	}
}

func TestAFullReadJudgesEveryHolderAndSpendsGetPolicyOnItsOwnQuota(t *testing.T) {
	b := newBed(t, finding.ModeMonitor)
	ctx := context.Background()
	a := b.as(emulator.ActorAttacker)
	for _, q := range []string{"", "1", "live"} {
		in := &lambda.AddPermissionInput{FunctionName: aws.String("api"), StatementId: aws.String("open" + q),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		if _, err := a.AddPermission(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	before := b.limiter.Counts()
	d, err := b.guard.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceFunction, Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	var resources []string
	for _, f := range d.Findings {
		resources = append(resources, f.Resource)
	}
	if strings.Join(resources, " ") != "api#open api:live#openlive api:1#open1" {
		t.Errorf("findings on %v", resources)
	}
	after := b.limiter.Counts()
	if n := after[ratelimit.BucketGetPolicy] - before[ratelimit.BucketGetPolicy]; n != 3 {
		t.Errorf("%d GetPolicy calls, want 3 (function, version, alias)", n)
	}
	// ListAliases, ListVersionsByFunction, ListFunctionUrlConfigs, GetFunctionRecursionConfig.
	if n := after[ratelimit.BucketControl] - before[ratelimit.BucketControl]; n != 4 {
		t.Errorf("%d shared-bucket calls, want 4", n)
	}
}
