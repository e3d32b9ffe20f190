package lambdaguard_test

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
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

const (
	foreignAccount = "999988887777"
	layerForeign   = "arn:aws:lambda:" + region + ":" + foreignAccount + ":layer:plugin:1"
	layerForeignNo = "arn:aws:lambda:" + region + ":" + foreignAccount + ":layer:plugin-unsigned:1"
	keyGuard       = "arn:aws:kms:" + region + ":" + account + ":key/11111111-aaaa-bbbb-cccc-000000000001"
	keySealed      = "arn:aws:kms:" + region + ":" + account + ":key/11111111-aaaa-bbbb-cccc-000000000002"
)

// configWorld adds functions whose configuration matters: "shop", a
// Node.js function released through prod; "open" and "sealed", whose
// environments are encrypted with customer managed keys the guard may and
// may not decrypt with; "plugins", with a layer of its own account.
func configWorld() lambdaemu.World {
	w := world()
	node := func(name, key string, layers ...string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{Name: name, Runtime: "nodejs20.x", Handler: "index.handler", CodeWorld: signedFiles(name),
			CodeSigningConfig: cscID, Environment: map[string]string{"DB_HOST": "db.internal"}, KMSKeyArn: key, Layers: layers,
			Versions: []lambdaemu.VersionWorld{{CodeWorld: signedFiles(name)}},
			Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "1"}}}
	}
	w.KMSKeys = []lambdaemu.KMSKeyWorld{{ARN: keyGuard, Decrypters: []string{emulator.ActorGuard, emulator.ActorAdmin}},
		{ARN: keySealed, Decrypters: []string{emulator.ActorAdmin}}}
	w.Layers = append(w.Layers,
		lambdaemu.LayerWorld{Name: "plugin", Account: foreignAccount, CodeWorld: signedFiles("plugin")},
		lambdaemu.LayerWorld{Name: "plugin-unsigned", Account: foreignAccount, CodeWorld: files("plugin, patched")})
	w.Functions = append(w.Functions, node("shop", ""), node("open", keyGuard), node("sealed", keySealed), node("plugins", "", layerOK))
	return w
}

// configure changes a function's configuration as someone and waits for
// the update, as a script would before publishing.
func (b *bed) configure(t *testing.T, actor string, in *lambda.UpdateFunctionConfigurationInput) {
	t.Helper()
	ctx := context.Background()
	c := b.as(actor)
	if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
		t.Fatalf("%s updates the configuration of %s: %v", actor, aws.ToString(in.FunctionName), err)
	}
	b.waitUpdated(t, aws.ToString(in.FunctionName))
}

func (b *bed) waitUpdated(t *testing.T, fn string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(b.as(emulator.ActorAdmin), func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 10*time.Second); err != nil {
		t.Fatalf("wait for %s: %v", fn, err)
	}
}

func configEvent(name string) pipeline.Subject {
	return pipeline.Subject{Type: finding.ResourceFunction, Name: name,
		Event: &cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "UpdateFunctionConfiguration20150331v2",
			RequestParameters: []byte(`{"functionName":"` + name + `"}`)}}
}

func findingRules(d finding.Decision) []finding.RuleID {
	var out []finding.RuleID
	for _, f := range d.Findings {
		out = append(out, f.Rule)
	}
	return out
}

func TestALoaderVariableAndAChangedHandlerArePutBack(t *testing.T) {
	b := newBedWith(t, configWorld())
	b.configure(t, emulator.ActorAttacker, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("shop"),
		Handler: aws.String("debug.handler"),
		Environment: &types.Environment{Variables: map[string]string{
			"DB_HOST": "db2.internal", "NODE_OPTIONS": "--require /tmp/evil.js"}}})
	d, outs := b.evaluateAndAct(t, configEvent("shop"))
	if got := findingRules(d); len(got) != 2 {
		t.Fatalf("findings %v, want a loader variable and handler drift", got)
	}
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreConfiguration {
		t.Fatalf("decision %v, outcomes %+v", kinds(d), outs)
	}
	cfg := b.latest(t, "shop").Configuration
	env := cfg.Environment.Variables
	if aws.ToString(cfg.Handler) != "index.handler" || env["NODE_OPTIONS"] != "" || env["DB_HOST"] != "db2.internal" {
		t.Errorf("$LATEST handler %s, environment %v: want index.handler, no NODE_OPTIONS, DB_HOST as the developer left it",
			aws.ToString(cfg.Handler), env)
	}
	for _, want := range []string{"--handler debug.handler", `"NODE_OPTIONS":"--require /tmp/evil.js"`} {
		if !strings.Contains(outs[0].Taken.Undo, want) {
			t.Errorf("undo %q does not put back %s", outs[0].Taken.Undo, want)
		}
	}
	if strings.Contains(outs[0].Taken.Undo, "db2.internal") {
		t.Errorf("undo %q echoes a variable it did not replace", outs[0].Taken.Undo)
	}
	b.assertQuiet(t)
}

func TestAVersionPublishedWithALoaderVariableIsNotReleased(t *testing.T) {
	b := newBedWith(t, configWorld())
	ctx := context.Background()
	b.configure(t, emulator.ActorAttacker, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("shop"),
		Environment: &types.Environment{Variables: map[string]string{"DB_HOST": "db.internal", "NODE_OPTIONS": "--require /tmp/evil.js"}}})
	mallory := b.as(emulator.ActorAttacker)
	v, err := mallory.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("shop"), Name: aws.String("prod"), FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
	d, outs := b.evaluateAndAct(t, pipeline.Subject{Type: finding.ResourceAlias, Name: "shop", Qualifier: "prod"})
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Action.Kind != rules.ActionMoveAlias {
		t.Fatalf("decision %+v, outcomes %+v", d.Findings, outs)
	}
	if !strings.Contains(d.Findings[0].Summary, "NODE_OPTIONS") {
		t.Errorf("finding %q does not name the loader variable", d.Findings[0].Summary)
	}
	a, err := b.as(emulator.ActorAdmin).GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("shop"), Name: aws.String("prod")})
	if err != nil || aws.ToString(a.FunctionVersion) != "1" {
		t.Fatalf("prod = %+v, %v; want version 1", a, err)
	}
}

func TestUnsignedCodeAndALoaderVariableAreRestoredAsOneRepair(t *testing.T) {
	b := newBedWith(t, configWorld())
	ctx := context.Background()
	b.weakenCSC(t)
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("shop"), ZipFile: lambdaemu.ZipOf(map[string]string{"index.js": "evil"})}); err != nil {
		t.Fatal(err)
	}
	b.waitUpdated(t, "shop")
	b.configure(t, emulator.ActorAttacker, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("shop"),
		Environment: &types.Environment{Variables: map[string]string{"DB_HOST": "db.internal", "PYTHONPATH": "/tmp"}}})
	before := len(b.srv.Env.Trail.Since(0))
	d, outs := b.evaluateAndAct(t, fn("shop"))
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("decision %v %v, outcomes %+v", findingRules(d), kinds(d), outs)
	}
	cfg := b.latest(t, "shop").Configuration
	if aws.ToString(cfg.CodeSha256) != aws.ToString(b.version(t, "shop", "1").CodeSha256) || cfg.Environment.Variables["PYTHONPATH"] != "" {
		t.Errorf("$LATEST sha %s env %v: want version 1's code and no PYTHONPATH", aws.ToString(cfg.CodeSha256), cfg.Environment.Variables)
	}
	var writes []string
	for _, ev := range b.srv.Env.Trail.Since(int64(before)) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Failed() && !rec.IsReadOnly() {
			writes = append(writes, string(rec.Operation()))
		}
	}
	if strings.Join(writes, ",") != "UpdateFunctionCode,UpdateFunctionConfiguration" {
		t.Errorf("the guard wrote %v, want the code then the configuration", writes)
	}
	if d, err := b.guard.Evaluate(context.Background(), configEvent("shop")); err != nil || len(d.Findings) != 0 {
		t.Errorf("after the repair: %+v, %v", d.Findings, err)
	}
}

func TestAnEnvironmentTheGuardMayNotReadIsContained(t *testing.T) {
	b := newBedWith(t, configWorld())
	d, _ := b.evaluateAndAct(t, fn("open"))
	if len(d.Findings) != 0 {
		t.Fatalf("the guard may decrypt open's environment, yet found %+v", d.Findings)
	}
	d, outs := b.evaluateAndAct(t, fn("sealed"))
	// Its published version cannot be read either, so it is no trusted
	// version (lambda.untrusted-version) and no restore target.
	if got := findingRules(d); len(got) != 2 || got[0] != rules.LoaderVariable || got[1] != rules.UntrustedVersion {
		t.Fatalf("findings %v, want the environment flagged as unreadable, in $LATEST and version 1", got)
	}
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionContain {
		t.Fatalf("outcomes %+v, want containment", outs)
	}
	if !strings.Contains(outs[0].Taken.Summary, keySealed) {
		t.Errorf("containment %q does not name the key the guard needs", outs[0].Taken.Summary)
	}
}

func TestASignedLayerOfAnUntrustedAccountIsReplaced(t *testing.T) {
	for _, tc := range []struct {
		name     string
		accounts []string
		restored bool
	}{
		{"account not trusted for layers: restored", nil, true},
		{"account trusted for layers: left alone", []string{foreignAccount}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBedWith(t, configWorld())
			b.guard.Settings.TrustedLayerAccounts = tc.accounts
			b.guard.Remediator.Settings.TrustedLayerAccounts = tc.accounts
			b.configure(t, emulator.ActorAttacker, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plugins"),
				Layers: []string{layerOK, layerForeign}})
			d, outs := b.evaluateAndAct(t, configEvent("plugins"))
			if !tc.restored {
				if len(d.Findings) != 0 {
					t.Fatalf("findings %+v", d.Findings)
				}
				return
			}
			if got := findingRules(d); len(got) != 1 || got[0] != rules.ForeignLayer {
				t.Fatalf("findings %v, want one foreign layer", got)
			}
			if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreConfiguration {
				t.Fatalf("outcomes %+v", outs)
			}
			if ls := b.latest(t, "plugins").Configuration.Layers; len(ls) != 1 || aws.ToString(ls[0].Arn) != layerOK {
				t.Errorf("layers %+v, want version 1's", ls)
			}
		})
	}
}

func TestAnUnsignedLayerOfAnotherAccountIsOneFindingAndOneRestore(t *testing.T) {
	b := newBedWith(t, configWorld())
	b.weakenCSC(t)
	b.configure(t, emulator.ActorAttacker, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plugins"),
		Layers: []string{layerForeignNo}})
	d, outs := b.evaluateAndAct(t, fn("plugins"))
	if got := findingRules(d); len(got) != 1 || got[0] != rules.UntrustedLayer {
		t.Fatalf("findings %v, want exactly one (untrusted layer)", got)
	}
	if !strings.Contains(d.Findings[0].Summary, foreignAccount) {
		t.Errorf("finding %q does not say the layer is another account's", d.Findings[0].Summary)
	}
	if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Taken.Kind != rules.ActionRestoreConfiguration {
		t.Fatalf("outcomes %+v", outs)
	}
}
