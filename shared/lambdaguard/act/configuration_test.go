package act

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// compromised sets $LATEST's entry point and loader variables apart from
// trusted version 3's.
func compromised(f *fakeLambda) {
	v := f.versions["3"]
	v.Handler, v.Runtime = aws.String("index.handler"), types.RuntimeNodejs20x
	v.Environment = &types.EnvironmentResponse{Variables: map[string]string{"DB_HOST": "old", "NODE_PATH": "/opt/nodejs"}}
	f.versions["3"] = v
	f.latest.Handler, f.latest.Runtime = aws.String("debug.handler"), types.RuntimeNodejs20x
	f.latest.Environment = &types.EnvironmentResponse{Variables: map[string]string{"DB_HOST": "new", "NODE_OPTIONS": "--require /tmp/x.js"}}
}

func TestACodeRestoreGoesOnToTheConfigurationAsOneRepair(t *testing.T) {
	f, a := world(t)
	compromised(f)
	a.Params[decide.ParamConfiguration] = "1"
	a.Undo = "aws lambda update-function-code --function-name pay --zip-file fileb://<package.zip>"
	o := remediator(f).Do(context.Background(), a)
	if o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != rules.ActionRestoreCode {
		t.Fatalf("outcome %+v", o)
	}
	if got := strings.Join(writes(f.calls), ","); got != "UpdateFunctionCode,UpdateFunctionConfiguration" {
		t.Errorf("writes %s, want the code then the configuration", got)
	}
	env := f.latest.Environment.Variables
	if aws.ToString(f.latest.Handler) != "index.handler" || env["NODE_OPTIONS"] != "" || env["NODE_PATH"] != "/opt/nodejs" || env["DB_HOST"] != "new" {
		t.Errorf("$LATEST handler %s env %v: want version 3's handler and loader variables, DB_HOST kept", aws.ToString(f.latest.Handler), env)
	}
	for _, want := range []string{`--handler debug.handler`, `"NODE_OPTIONS":"--require /tmp/x.js"`, `--argjson drop '["NODE_PATH"]'`, "update-function-code"} {
		if !strings.Contains(o.Taken.Undo, want) {
			t.Errorf("undo %q lacks %q", o.Taken.Undo, want)
		}
	}
	if !strings.Contains(o.Message, `handler "debug.handler" → "index.handler"`) {
		t.Errorf("message %q does not say what changed", o.Message)
	}
}

func TestAConfigurationRestoreOnAChangedFunctionIsAConflict(t *testing.T) {
	f, _ := world(t)
	compromised(f)
	a := finding.Action{Kind: rules.ActionRestoreConfiguration, Resource: "pay", Params: map[string]string{
		decide.ParamFunction: "pay", decide.ParamVersion: "3", decide.ParamRevisionID: "r0"}}
	o := remediator(f).Do(context.Background(), a)
	if !errors.Is(o.Err, ErrConflict) || len(writes(f.calls)) != 0 {
		t.Errorf("outcome %+v after writes %v, want a conflict and no write", o, writes(f.calls))
	}
}

func TestAnUnreadableEnvironmentIsContainedNotOverwritten(t *testing.T) {
	f, _ := world(t)
	compromised(f)
	f.latest.Environment = &types.EnvironmentResponse{Error: &types.EnvironmentError{ErrorCode: aws.String("AccessDeniedException")}}
	a := finding.Action{Kind: rules.ActionRestoreConfiguration, Resource: "pay", Params: map[string]string{
		decide.ParamFunction: "pay", decide.ParamVersion: "3", decide.ParamRevisionID: "r1"}}
	o := remediator(f).Do(context.Background(), a)
	if o.Taken == nil || o.Taken.Kind != rules.ActionContain || f.reserved == nil || *f.reserved != 0 {
		t.Errorf("outcome %+v, want containment", o)
	}
	if strings.Contains(strings.Join(f.calls, ","), "UpdateFunctionConfiguration") {
		t.Error("an environment the guard cannot read was overwritten")
	}
}

func writes(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "Update") || strings.HasPrefix(c, "Put") {
			out = append(out, c)
		}
	}
	return out
}
