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
)

// updated waits until a function's last update has finished.
func updated(ctx context.Context, t *testing.T, c *lambda.Client, fn string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestConfigurationThatLoadsOtherCodeIsUndoneEndToEnd: signed code is made
// to load other code through configuration alone. mallory sets NODE_OPTIONS
// and another handler on orders-api, publishes a version and releases it
// through prod. Through template.yaml's rules and the real guard under the
// runtime emulator, $LATEST gets version 1's configuration back, prod goes
// back to version 1, and the alerts say what was put back and how to undo it.
func TestConfigurationThatLoadsOtherCodeIsUndoneEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{World: DemoWorld(), Parameters: GuardParameters("enforce"),
		Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	mallory := bed.Lambda(emulator.ActorAttacker)
	if _, err := mallory.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(Orders), Handler: aws.String("debug"),
		Environment: &types.Environment{Variables: map[string]string{"NODE_OPTIONS": "--require /tmp/x.js"}},
	}); err != nil {
		t.Fatal(err)
	}
	updated(ctx, t, mallory, Orders)
	v, err := mallory.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(Orders)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(Orders), Name: aws.String("prod"), FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	admin := bed.Lambda(emulator.ActorAdmin)
	latest, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Orders)})
	if err != nil {
		t.Fatal(err)
	}
	if c := latest.Configuration; aws.ToString(c.Handler) != "bootstrap" || c.Environment != nil && c.Environment.Variables["NODE_OPTIONS"] != "" {
		t.Errorf("$LATEST handler %s environment %+v: want version 1's", aws.ToString(c.Handler), c.Environment)
	}
	prod, err := admin.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(Orders), Name: aws.String("prod")})
	if err != nil || aws.ToString(prod.FunctionVersion) != "1" {
		t.Errorf("prod = %v, %v; want version 1", aws.ToString(prod.FunctionVersion), err)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Alert{}
	for _, a := range alerts {
		t.Logf("alert: %s", a.Subject)
		got[a.Attributes["resource"]+" "+a.Attributes["rule"]+" "+a.Attributes["outcome"]] = a
	}
	loader, ok := got[Orders+" lambda.loader-variable done"]
	if !ok {
		t.Fatalf("no alert of a done repair of the loader variable: %v", alertKeys(got))
	}
	for _, want := range []string{"To undo:", `--handler debug`, `"NODE_OPTIONS":"--require /tmp/x.js"`} {
		if !strings.Contains(loader.Message, want) {
			t.Errorf("the alert lacks %q:\n%s", want, loader.Message)
		}
	}
	for _, k := range []string{Orders + " lambda.handler-drift done", Orders + ":prod lambda.alias-untrusted-version done"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no alert %q among %v", k, alertKeys(got))
		}
	}
}

// TestAnUnsignedLayerOfAnotherAccountGivesOneAlertThatReportsTheRestore:
// README promises that enforce mode restores the layer list for a foreign
// layer. An unsigned layer of another account is one finding, so one alert,
// and it reports the restore.
func TestAnUnsignedLayerOfAnotherAccountGivesOneAlertThatReportsTheRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{World: DemoWorld(), Parameters: GuardParameters("enforce"),
		Functions: []string{"LambdaGuardFunction"}, LogWriter: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	// payments-api's code signing config only warns, so the layer deploys.
	if _, err := bed.Lambda(emulator.ActorAttacker).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(Payments), Layers: []string{PartnerLayerARN},
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	latest, err := bed.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(Payments)})
	if err != nil {
		t.Fatal(err)
	}
	if ls := latest.Configuration.Layers; len(ls) != 0 {
		t.Errorf("layers %+v, want version 1's (none)", ls)
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var layer []Alert
	for _, a := range alerts {
		t.Logf("alert: %s [%s %s]", a.Subject, a.Attributes["rule"], a.Attributes["outcome"])
		if strings.HasPrefix(a.Attributes["resource"], Payments+"/") {
			layer = append(layer, a)
		}
	}
	if len(layer) != 1 {
		t.Fatalf("%d alerts about the layer, want one", len(layer))
	}
	if a := layer[0]; a.Attributes["outcome"] != "done" || !strings.Contains(a.Attributes["action"], "restore") ||
		!strings.Contains(a.Message, PartnerAccount) {
		t.Errorf("the alert does not report the restore of a layer of %s: %+v\n%s", PartnerAccount, a.Attributes, a.Message)
	}
}

func alertKeys(m map[string]Alert) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
