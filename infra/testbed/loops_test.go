package testbed

import (
	"context"
	"encoding/json"
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

// TestNoLoopsAndNoPassForLookAlikes, end to end through the bus and the real
// bootstrap: N bad changes get N actions and N alerts, not more, although
// every action the guard takes comes back to it as a CloudTrail event; a
// role merely named like the guard's is judged like anyone else; and so is
// another function given the guard's own role (iam:PassRole to Lambda),
// whose session Lambda names after that function.
func TestNoLoopsAndNoPassForLookAlikes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{World: DemoWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	guardRole := bed.Roles["LambdaGuardFunction"]
	guard, ok := bed.Emulator.Identities.ByName("LambdaGuardFunction")
	if !ok {
		t.Fatal("the guard function has no identity in the local account")
	}
	guardFunction := StackName + "-lambda-guard"
	lookAlike := roleActor("LambdaGuardFunction", guardFunction, guardRole+"-copy")
	lookAlike.Name, lookAlike.AccessKeyID = "look-alike", "ASIALOCALLOOKALIKE01"
	bed.Emulator.Identities.Add(lookAlike)
	// Mallory's own function, created with the guard's role.
	bed.Emulator.Identities.Add(roleActor("pass-role", "innocent-looking", guardRole))

	settle := func() {
		if err := bed.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// N times, alice releases $LATEST through orders-api's prod alias.
	const reverts = 3
	for i := 0; i < reverts; i++ {
		if _, err := bed.Lambda(emulator.ActorDeveloper).UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(Orders), Name: aws.String("prod"), FunctionVersion: aws.String("$LATEST"),
		}); err != nil {
			t.Fatal(err)
		}
		settle()
	}
	// A role named like the guard's overwrites payments-api.
	if _, err := bed.Lambda("look-alike").UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(Payments), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho not the guard\n"}),
	}); err != nil {
		t.Fatal(err)
	}
	settle()
	// A function of Mallory's running with the guard's own role deploys
	// unsigned code of its own.
	if _, err := bed.Lambda("pass-role").CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("side-door"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String(guardRole), Code: &types.FunctionCode{ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho the guard's role, not the guard\n"})},
	}); err != nil {
		t.Fatal(err)
	}
	settle()

	// An unsigned function with no trusted version: the guard attaches the
	// code signing config and contains it. The attachment comes back as an
	// event on which, without loop protection, the guard would contain and
	// alert again.
	if _, err := bed.Lambda(emulator.ActorDeveloper).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("quick-fix"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + Account + ":role/quick-fix"), Code: &types.FunctionCode{ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "x"})},
	}); err != nil {
		t.Fatal(err)
	}
	settle()

	writes := map[string]int{} // operation/function → the guard's successful writes
	for _, ev := range bed.Emulator.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Failed() || rec.UserIdentity.ARN != guard.Identity.ARN {
			continue
		}
		var req struct {
			FunctionName string `json:"functionName"`
		}
		_ = rec.Request(&req)
		writes[string(rec.Operation())+"/"+req.FunctionName]++
	}
	if got := writes["UpdateAlias/"+Orders]; got != reverts {
		t.Errorf("the guard moved %s:prod back %d times, want %d (one per bad change)", Orders, got, reverts)
	}
	if got := writes["UpdateFunctionCode/"+Payments]; got != 1 {
		t.Errorf("the guard restored %s %d times after the look-alike's overwrite, want once", Payments, got)
	}
	if got := writes["PutFunctionConcurrency/side-door"]; got != 1 {
		t.Errorf("the guard contained side-door, deployed with its own role by another function, %d times, want once", got)
	}
	if got := writes["PutFunctionConcurrency/quick-fix"]; got != 1 {
		t.Errorf("the guard contained quick-fix %d times, want once", got)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[string]int{}
	for _, a := range alerts {
		perKey[a.Attributes["resource"]+" "+a.Attributes["rule"]]++
	}
	if got := perKey[Orders+":prod lambda.alias-latest"]; got != reverts {
		t.Errorf("%d alias-latest alerts for %s:prod, want %d", got, Orders, reverts)
	}
	if got := perKey[Payments+" lambda.unsigned-code"]; got != 1 {
		t.Errorf("%d unsigned-code alerts for %s, want 1", got, Payments)
	}
	if got := perKey["side-door lambda.unsigned-code"]; got != 1 {
		t.Errorf("%d unsigned-code alerts for side-door, want 1 (alerts: %v)", got, perKey)
	}
	if got := perKey["quick-fix lambda.unsigned-code"]; got != 1 {
		t.Errorf("%d unsigned-code alerts for quick-fix, want 1 (alerts: %v)", got, perKey)
	}
	logs := bed.Functions["LambdaGuardFunction"].Logs()
	if !strings.Contains(logs, `"reason":"the guard's own write"`) {
		t.Error("the guard never logged ignoring its own write: its actions did not come back through the bus")
	}
}

// TestAForgedInvocationCannotSilenceTheRealEvent: anyone allowed to invoke
// the guard hands it a copy of a real event's id with a harmless function
// named, before EventBridge delivers the real event. The forged payload may
// cause a check; the real delivery must still be judged, reverted and
// alerted.
func TestAForgedInvocationCannotSilenceTheRealEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{World: DemoWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if _, err := bed.Lambda(emulator.ActorAttacker).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(Payments), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho backdoor\n"}),
	}); err != nil {
		t.Fatal(err)
	}
	trail := bed.Emulator.Env.Trail.Since(0)
	var forged map[string]any
	if err := json.Unmarshal(trail[len(trail)-1].Event, &forged); err != nil {
		t.Fatal(err)
	}
	detail := forged["detail"].(map[string]any)
	detail["requestParameters"] = map[string]any{"functionName": Orders}
	payload, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	if _, fnErr, err := bed.Functions["LambdaGuardFunction"].Invoke(ctx, payload); err != nil || fnErr != "" {
		t.Fatalf("forged invocation: %v %s", err, fnErr)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	restored := 0
	for _, a := range alerts {
		if a.Attributes["resource"] == Payments && a.Attributes["rule"] == "lambda.unsigned-code" && a.Attributes["outcome"] == "done" {
			restored++
		}
	}
	if restored != 1 {
		t.Errorf("%d alerts of %s reverted, want 1: the forged copy silenced the real event (logs:\n%s)", restored, Payments, bed.Functions["LambdaGuardFunction"].Logs())
	}
}
