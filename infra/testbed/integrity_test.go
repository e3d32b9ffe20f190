package testbed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// OwnFunctions are the template's functions by logical id, as the stack
// names them.
var OwnFunctions = map[string]string{
	"LambdaGuardFunction": StackName + "-lambda-guard",
	"RepoGuardFunction":   StackName + "-repo-guard",
	"SweepFunction":       StackName + "-sweep",
	"SweepWorkerFunction": StackName + "-sweep-worker",
}

// withOwnFunctions adds the stack's four functions to a world as the default
// deploy leaves them (GuardSigningProfileVersionArn empty): unsigned, no
// code signing config, each with its own role.
func withOwnFunctions(w *emulator.World, roles map[string]string) *emulator.World {
	for id, name := range OwnFunctions {
		w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
			Name: name, Role: roles[id], CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": id}},
		})
	}
	return w
}

// guardWritesOn counts the Lambda guard's successful writes per function.
func guardWritesOn(t *testing.T, bed *Bed) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, ev := range bed.Emulator.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Failed() || rec.IsReadOnly() || rec.UserIdentity.IssuerARN() != bed.Roles["LambdaGuardFunction"] {
			continue
		}
		var req struct {
			FunctionName string `json:"functionName"`
		}
		_ = rec.Request(&req)
		out[req.FunctionName]++
	}
	return out
}

// TestAPublishVersionOnTheGuardNeitherTurnsItNorGoesUnseen, end to end: an
// attacker publishes a version of the unsigned lambda-guard. The event
// reaches the real guard through template.yaml's rule; the guard must not
// contain itself or replace its own code signing config (which would switch
// it off), and the tamper rule must alert on the change with no guard in the
// path.
func TestAPublishVersionOnTheGuardNeitherTurnsItNorGoesUnseen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	roles := map[string]string{}
	for id, name := range OwnFunctions {
		roles[id] = "arn:aws:iam::" + Account + ":role/" + name
	}
	bed, err := Start(ctx, Options{
		World: withOwnFunctions(DemoWorld(), roles), Parameters: GuardParameters("enforce"),
		Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if _, err := bed.Lambda(emulator.ActorAttacker).PublishVersion(ctx, &lambda.PublishVersionInput{
		FunctionName: aws.String(OwnFunctions["LambdaGuardFunction"]),
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for fn, n := range guardWritesOn(t, bed) {
		t.Errorf("the guard wrote %d times to %s", n, fn)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tamper := 0
	for _, a := range alerts {
		if strings.Contains(a.Message, "[selfguard] CRITICAL selfguard itself was changed") && strings.Contains(a.Message, "PublishVersion") {
			tamper++
		}
	}
	if tamper != 1 {
		t.Errorf("%d tamper alerts for the PublishVersion, want 1 (alerts: %+v)", tamper, alerts)
	}
}

// TestABorrowedGuardRoleIsContainedEndToEnd: a developer creates a function
// with the guard's role (Lambda developer policies commonly allow
// iam:PassRole to Lambda): signed code under the enforcing config, so only
// the role is wrong. The guard contains it and alerts critical.
func TestABorrowedGuardRoleIsContainedEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{
		World: DemoWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	zip, _, err := bed.Emulator.Lambda.Sign(ReleaseProfile, lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\naws lambda update-function-code ...\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bed.Lambda(emulator.ActorAttacker).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("exfil"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String(bed.Roles["LambdaGuardFunction"]), Code: &types.FunctionCode{ZipFile: zip},
		CodeSigningConfigArn: aws.String(EnforceCSCARN),
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := bed.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("exfil")})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.Concurrency; c == nil || aws.ToInt32(c.ReservedConcurrentExecutions) != 0 {
		t.Errorf("exfil runs with the guard's role and is not contained: %+v", c)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range alerts {
		found = found || a.Attributes["rule"] == "lambda.guard-role-borrowed" && a.Attributes["resource"] == "exfil" &&
			a.Attributes["severity"] == "critical"
	}
	if !found {
		t.Errorf("no critical lambda.guard-role-borrowed alert for exfil; alerts %+v", alerts)
	}
}
