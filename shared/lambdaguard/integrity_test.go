package lambdaguard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

const (
	ownName  = "selfguard-lambda-guard"
	ownARN   = "arn:aws:lambda:" + region + ":" + account + ":function:" + ownName
	ownRole  = "arn:aws:iam::" + account + ":role/selfguard-lambda-guard"
	sweepARN = "arn:aws:lambda:" + region + ":" + account + ":function:selfguard-sweep"
)

// ownBed is the usual world plus selfguard's own lambda-guard as the
// default deploy leaves it: unsigned, no code signing config.
func ownBed(t *testing.T) *bed {
	t.Helper()
	w := world()
	w.Functions = append(w.Functions, lambdaemu.FunctionWorld{Name: ownName, CodeWorld: files("the guard"), Role: ownRole})
	b := newBedWith(t, w)
	for _, s := range []*struct{ fns, roles *[]string }{
		{&b.guard.Settings.GuardFunctionARNs, &b.guard.Settings.GuardRoleARNs},
		{&b.guard.Remediator.Settings.GuardFunctionARNs, &b.guard.Remediator.Settings.GuardRoleARNs},
	} {
		*s.fns = []string{ownARN, sweepARN}
		*s.roles = []string{ownRole}
	}
	return b
}

// guardWrites counts the successful writes the guard made on fn.
func (b *bed) guardWrites(t *testing.T, fn string) int {
	t.Helper()
	n := 0
	for _, e := range b.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(e.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Failed() || rec.IsReadOnly() || !strings.Contains(string(rec.RequestParameters), fn) {
			continue
		}
		if rec.UserIdentity.IssuerARN() == "arn:aws:iam::"+account+":role/"+emulator.GuardRoleName {
			n++
		}
	}
	return n
}

func TestTheGuardNeverActsOnItsOwnFunctions(t *testing.T) {
	b := ownBed(t)
	ctx := context.Background()
	for _, s := range []pipeline.Subject{fn(ownName), fn(ownARN), {Type: finding.ResourceFunction, Name: ownName, Qualifier: "1"}} {
		d, outs := b.evaluateAndAct(t, s)
		if len(d.Findings)+len(d.Actions)+len(outs) != 0 {
			t.Errorf("subject %+v: decision %+v, outcomes %+v; want nothing on the guard's own unsigned function", s, d, outs)
		}
	}
	// Even an action handed to it (a crafted payload, a bug) is refused.
	o := b.guard.Act(ctx, fn(ownName), decide.ContainAction(ownName, "", []finding.RuleID{rules.UnsignedCode}, "test"))
	if o.Status != pipeline.OutcomeRefused || !errors.Is(o.Err, lambdaguard.ErrOwnFunction) {
		t.Errorf("containment of the guard's own function: %+v, want refused", o)
	}
	if n := b.guardWrites(t, ownName); n != 0 {
		t.Errorf("the guard wrote %d times to its own function", n)
	}
	if c := b.latest(t, ownName).Concurrency; c != nil && c.ReservedConcurrentExecutions != nil {
		t.Errorf("the guard's own function got reserved concurrency %d", *c.ReservedConcurrentExecutions)
	}
}

func TestAFunctionBorrowingAGuardRoleIsContained(t *testing.T) {
	for _, name := range []string{"exfil", "sandbox-exfil"} {
		t.Run(name, func(t *testing.T) {
			b := ownBed(t)
			ctx := context.Background()
			zip, _, err := b.srv.Lambda.Sign("release", lambdaemu.ZipOf(map[string]string{"bootstrap": "signed, but runs as the guard"}))
			if err != nil {
				t.Fatal(err)
			}
			// Signed code under the enforcing CSC: only the role is wrong.
			if _, err := b.as(emulator.ActorAttacker).CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(name), Role: aws.String(ownRole), Runtime: "provided.al2023", Handler: aws.String("bootstrap"),
				Code: &types.FunctionCode{ZipFile: zip}, CodeSigningConfigArn: aws.String(cscARN),
			}); err != nil {
				t.Fatalf("attacker creates a function with the guard's role: %v", err)
			}
			d, outs := b.evaluateAndAct(t, fn(name))
			if len(d.Findings) != 1 || d.Findings[0].Rule != rules.GuardRoleBorrowed || d.Findings[0].Severity != finding.SeverityCritical {
				t.Fatalf("findings %+v, want one critical %s", d.Findings, rules.GuardRoleBorrowed)
			}
			if len(outs) != 1 || outs[0].Status != pipeline.OutcomeDone || outs[0].Action.Kind != rules.ActionContain {
				t.Fatalf("outcomes %+v, want the function contained", outs)
			}
			if c := b.latest(t, name).Concurrency; c == nil || aws.ToInt32(c.ReservedConcurrentExecutions) != 0 {
				t.Errorf("reserved concurrency %+v, want 0", c)
			}
		})
	}
}
