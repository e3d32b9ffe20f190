package sweep_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/sweep"
)

// TestTheSweepJudgesConfigurationFromTheListingAsTheGuardDoes: a function
// whose $LATEST and newest version set NODE_OPTIONS, and one whose $LATEST
// changed its handler. The sweep, from ListFunctions alone (only the
// loader variables travel in its batches), finds what the event guard finds.
func TestTheSweepJudgesConfigurationFromTheListingAsTheGuardDoes(t *testing.T) {
	ctx := context.Background()
	signed := func(name, handler string, env map[string]string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{Name: name, Runtime: "nodejs20.x", Handler: handler, Environment: env,
			CodeWorld:         lambdaemu.CodeWorld{Files: map[string]string{"index.js": name}, SignedBy: "trusted"},
			CodeSigningConfig: "csc-0000000000000000a", Versions: []lambdaemu.VersionWorld{{}}}
	}
	preloaded := signed("preloaded", "index.handler", map[string]string{"DB_HOST": "secret-host", "NODE_OPTIONS": "--require /tmp/x.js"})
	reentered := signed("reentered", "index.handler", nil)
	tb := newTestbed(t, &emulator.World{Lambda: lambdaemu.World{
		SigningProfiles:    []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{{ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce"}},
		Functions:          []lambdaemu.FunctionWorld{preloaded, reentered},
	}}, finding.ModeMonitor)
	// reentered's handler changes after its version was published.
	admin := lambda.NewFromConfig(clientConfig(t, emulator.ActorAdmin), func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) })
	if _, err := admin.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("reentered"), Handler: aws.String("debug.handler")}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(admin, func(o *lambda.FunctionUpdatedV2WaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("reentered")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var got collect
	if _, err := sweep.RunLocal(ctx, tb.lister(), tb.worker(&got), 1, "run-cfg"); err != nil {
		t.Fatal(err)
	}
	lg := lambdaguard.New(tb.lambda, tb.cfg)
	var want []string
	for _, fn := range []string{"preloaded", "reentered"} {
		d, _, err := lg.EvaluateFunction(ctx, fn, observe.ScopeFull)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Findings {
			want = append(want, f.Key())
		}
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got.keys(), want) {
		t.Errorf("sweep found\n  %v\nthe guard finds\n  %v", got.keys(), want)
	}
	joined := strings.Join(got.keys(), "\n")
	for _, must := range []string{"lambda.loader-variable|function|preloaded", "lambda.untrusted-version|version|preloaded:1",
		"lambda.handler-drift|function|reentered"} {
		if !strings.Contains(joined, must) {
			t.Errorf("the sweep did not find %s in %v", must, got.keys())
		}
	}
}
