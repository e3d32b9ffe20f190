package sweep_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/exposureguard/observe"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/sweep"
)

const (
	partner = "444455556666"
	foreign = "999988887777"
)

// exposedWorld has every kind of exposure, each next to its harmless twin.
func exposedWorld() *emulator.World {
	code := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "x"}}
	off := false
	fn := func(name string) lambdaemu.FunctionWorld { return lambdaemu.FunctionWorld{Name: name, CodeWorld: code} }
	api := fn("api")
	api.Versions = []lambdaemu.VersionWorld{{}, {}}
	api.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "2"}}
	api.Permissions = []lambdaemu.PermissionWorld{
		{StatementID: "backdoor", Principal: "*"},
		{StatementID: "old", Principal: "*", Qualifier: "1"},
		{StatementID: "partner", Principal: partner, Qualifier: "live"},
		{StatementID: "stranger", Principal: foreign, Qualifier: "live"},
		{StatementID: "apigw", Principal: "apigateway.amazonaws.com", SourceArn: "arn:aws:execute-api:" + region + ":" + account + ":a1/*/*"},
	}
	web := fn("web")
	web.URLs = []lambdaemu.URLWorld{{AuthType: "NONE"}}
	web.Permissions = []lambdaemu.PermissionWorld{{StatementID: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "NONE"}}
	loop := fn("loop")
	loop.RecursiveLoop = "Allow"
	toy := fn("sandbox-toy")
	toy.Permissions = []lambdaemu.PermissionWorld{{StatementID: "p", Principal: "*"}}
	return &emulator.World{Lambda: lambdaemu.World{
		Layers: []lambdaemu.LayerWorld{
			{Name: "open", CodeWorld: code, Permissions: []lambdaemu.LayerPermissionWorld{{StatementID: "all", Principal: "*"}}},
			{Name: "partnered", CodeWorld: code, Permissions: []lambdaemu.LayerPermissionWorld{{StatementID: "p", Principal: partner}}},
		},
		Functions: []lambdaemu.FunctionWorld{api, web, loop, fn("quiet"), toy},
		EventSourceMappings: []lambdaemu.MappingWorld{
			{FunctionName: "quiet", EventSourceArn: "arn:aws:sqs:" + region + ":" + foreign + ":feed"},
			{FunctionName: "quiet", EventSourceArn: "arn:aws:sqs:" + region + ":" + account + ":jobs"},
			{FunctionName: "loop", EventSourceArn: "arn:aws:sqs:" + region + ":" + foreign + ":paused", Enabled: &off},
			{FunctionName: "sandbox-toy", EventSourceArn: "arn:aws:sqs:" + region + ":" + foreign + ":toy"},
		},
	}}
}

func (tb *testbed) exposure() *exposureguard.Guard {
	cfg := tb.cfg
	cfg.Exposure.Account, cfg.Exposure.TrustedAccounts = account, []string{partner}
	return exposureguard.New(tb.lambda, cfg)
}

// TestSweepFindsTheExposuresTheEventGuardFinds: the sweep, spending its
// listings, and the exposure guard reading each resource in full agree.
// GetPolicy is spent on its own bucket: one per function, version and alias.
func TestSweepFindsTheExposuresTheEventGuardFinds(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, exposedWorld(), finding.ModeMonitor)
	limiter := ratelimit.New(15, nil)
	tb.lambda = lambda.NewFromConfig(clientConfig(t, emulator.ActorGuard), func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) }, limiter.LambdaOptions())
	// A CORS setting the world cannot hold: written as a developer would.
	if _, err := tb.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("api"), Qualifier: aws.String("live"),
		AuthType: types.FunctionUrlAuthTypeAwsIam, Cors: &types.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	g := tb.exposure()
	l := tb.lister()
	l.Exposure = tb.lambda
	w := tb.worker(nil)
	var got collect
	w.Sink, w.Exposure = &got, g
	st, err := sweep.RunLocal(ctx, l, w, 2, "run-x")
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	sweptPolicies := limiter.Counts()[ratelimit.BucketGetPolicy]
	if st.Layers != 2 || st.Mappings != 3 {
		t.Errorf("listed %+v, want 2 layer versions and 3 mappings (1 exempt)", st)
	}

	var want []string
	add := func(d finding.Decision, err error) {
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Findings {
			want = append(want, f.Key())
		}
	}
	for _, fn := range []string{"api", "web", "loop", "quiet", "sandbox-toy"} {
		add(g.EvaluateFunction(ctx, fn, observe.Full))
	}
	for _, layer := range []string{"open", "partnered"} {
		add(g.EvaluateLayer(ctx, layer, "1", ""))
	}
	ms, err := tb.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.EventSourceMappings {
		add(g.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceEventSourceMapping, Name: aws.ToString(m.UUID)}))
	}
	var exposures []string
	for _, k := range got.keys() {
		rule, _, _ := strings.Cut(k, "|")
		if rules.Must(finding.RuleID(rule)).Guardrail == rules.Exposure {
			exposures = append(exposures, k)
		}
	}
	// api: the function, versions 1 and 2, alias live; web, loop, quiet:
	// one each. The exempt function costs nothing.
	if sweptPolicies != 7 {
		t.Errorf("the sweep made %d GetPolicy calls, want 7", sweptPolicies)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(exposures, want) {
		t.Errorf("sweep found\n  %v\nthe exposure guard finds\n  %v", exposures, want)
	}
	joined := strings.Join(want, "\n")
	for _, must := range []string{
		"lambda.public-invoke|function|api#backdoor", "lambda.public-invoke|function|api:1#old",
		"lambda.untrusted-account-invoke|function|api:live#stranger", "lambda.public-url|function|web",
		"lambda.url-cors-credentials|function|api:live", "lambda.recursion-allowed|function|loop",
		"lambda.layer-public|layer|open:1#all", "lambda.untrusted-event-source|event-source-mapping|",
	} {
		if !strings.Contains(joined, must) {
			t.Errorf("missing finding %s", must)
		}
	}
	for _, clean := range []string{"api#apigw", "api:live#partner", "partnered", "sandbox-toy", "web#url"} {
		if strings.Contains(joined, clean) {
			t.Errorf("a finding on %s, which is trusted, exempt or judged with its URL", clean)
		}
	}
	if n := strings.Count(joined, "untrusted-event-source"); n != 1 {
		t.Errorf("%d mapping findings, want 1 (the own queue, the disabled and the exempt one are fine)", n)
	}
}

// TestSweepRepairsExposuresInEnforceMode: the same actions as the event
// guard, and the state read again afterwards is clean.
func TestSweepRepairsExposuresInEnforceMode(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, exposedWorld(), finding.ModeEnforce)
	g := tb.exposure()
	l := tb.lister()
	l.Exposure, l.Repositories = tb.lambda, nil
	w := tb.worker(nil)
	var got collect
	w.Sink, w.Exposure, w.ExposureActor = &got, g, g
	w.LambdaActor = nil // only the exposure actions here
	if _, err := sweep.RunLocal(ctx, l, w, 1, "run-e"); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	done := 0
	for _, r := range got.results {
		if r.Subject.Guard != exposureguard.Name {
			continue
		}
		for _, o := range r.Outcomes {
			if o.Status != pipeline.OutcomeDone {
				t.Errorf("%s on %s: %s %s", o.Action.Kind, r.Subject.Name, o.Status, o.Message)
			}
			done++
		}
		if len(r.Outcomes) > 0 && (r.After == nil || len(r.After.Findings) != 0) {
			t.Errorf("%s %s after repair: %+v", r.Subject.Type, r.Subject.Name, r.After)
		}
	}
	if done != 7 {
		t.Errorf("%d actions done, want 7 (2 public statements, 1 stranger, URL, recursion, layer, mapping)", done)
	}
}
