package sweep_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// ownFunctions are the stack's four functions as the default deploy leaves
// them (GuardSigningProfileVersionArn empty): unsigned, no code signing
// config, each with its own role.
var ownFunctions = []string{"selfguard-lambda-guard", "selfguard-repo-guard", "selfguard-sweep", "selfguard-sweep-worker"}

func ownRole(fn string) string { return "arn:aws:iam::" + account + ":role/" + fn }

func ownARN(fn string) string { return "arn:aws:lambda:" + region + ":" + account + ":function:" + fn }

// TestTheFirstEnforceSweepLeavesTheGuardAloneAndContainsBorrowers: the
// sweep judges the guard's own functions by their exact ARNs and never acts
// on them, and contains every other function that runs with a guard role,
// exempt or not.
func TestTheFirstEnforceSweepLeavesTheGuardAloneAndContainsBorrowers(t *testing.T) {
	w := repairableWorld()
	for _, fn := range ownFunctions {
		w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
			Name: fn, Role: ownRole(fn), CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": fn}},
		})
	}
	borrower := func(name string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{
			Name: name, Role: ownRole("selfguard-sweep-worker"), CodeSigningConfig: "csc-0000000000000000a",
			CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}, SignedBy: "trusted"},
		}
	}
	w.Lambda.Functions = append(w.Lambda.Functions, borrower("exfil"), borrower("sandbox-exfil"))
	tb := newTestbed(t, w, finding.ModeEnforce)
	tb.cfg.ExemptFunctions = []string{"sandbox-*"}
	for _, fn := range ownFunctions {
		tb.cfg.GuardFunctionARNs = append(tb.cfg.GuardFunctionARNs, ownARN(fn))
		tb.cfg.GuardRoleARNs = append(tb.cfg.GuardRoleARNs, ownRole(fn))
	}
	as := newAccountSweep(tb)
	as.run(t, "run-1")

	for _, e := range tb.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(e.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Failed() || rec.IsReadOnly() || rec.UserIdentity.IssuerARN() != "arn:aws:iam::"+account+":role/"+emulator.GuardRoleName {
			continue
		}
		for _, fn := range ownFunctions {
			if strings.Contains(string(rec.RequestParameters), `"`+fn+`"`) {
				t.Errorf("the sweep wrote %s to the guard's own %s", rec.EventName, fn)
			}
		}
	}
	ctx := context.Background()
	for _, fn := range []string{"exfil", "sandbox-exfil"} {
		out, err := tb.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		if c := out.Concurrency; c == nil || aws.ToInt32(c.ReservedConcurrentExecutions) != 0 {
			t.Errorf("%s borrows a guard role and is not contained: %+v", fn, c)
		}
		found := false
		for _, a := range as.sent.alerts {
			found = found || a.Finding.Rule == rules.GuardRoleBorrowed && a.Finding.Resource == fn
		}
		if !found {
			t.Errorf("no %s alert for %s; alerts %v", rules.GuardRoleBorrowed, fn, alertKeys(as.sent))
		}
	}
}
