package lambdaemu_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// realRecord reads a real CloudTrail record from the shared test data.
func realRecord(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "testdata", "cloudtrail", name))
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("shared test data absent: %v", err)
		}
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func missing(want, got []string) []string {
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

func TestTrailRecordsWritesAsCloudTrailDoes(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Layers: []lambdaemu.LayerWorld{{Name: "ext"}},
		Functions: []lambdaemu.FunctionWorld{{Name: "orders", Environment: map[string]string{"SECRET": "hunter2"}}}})
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:111122223333:function:orders"), ZipFile: zipOf("v2"), Publish: true}); err != nil {
		t.Fatal(err)
	}
	b.settle()
	if _, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"),
		Layers: []string{"arn:aws:lambda:eu-west-1:111122223333:layer:ext:1"}, Environment: &types.Environment{Variables: map[string]string{"SECRET": "hunter3"}}}); err != nil {
		t.Fatal(err)
	}
	b.settle()
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf("v3"), RevisionId: aws.String("stale")}); err == nil {
		t.Fatal("stale revision accepted")
	}
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		call func() error
	}{
		{"CreateAlias20150331", func() error {
			_, err := b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
			return err
		}},
		{"PutFunctionConcurrency20171031", func() error {
			_, err := b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(0)})
			return err
		}},
		{"DeleteFunctionCodeSigningConfig", func() error {
			_, err := b.client.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("orders")})
			return err
		}},
	}
	for _, op := range ops {
		if err := op.call(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
	}

	events := b.trail(t)
	var names []string
	for _, e := range events {
		names = append(names, e["eventName"].(string))
		if e["eventSource"] != "lambda.amazonaws.com" || e["readOnly"] != false {
			t.Errorf("%s: source %v readOnly %v", e["eventName"], e["eventSource"], e["readOnly"])
		}
	}
	want := []string{"UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2", "UpdateFunctionCode20150331v2",
		"CreateAlias20150331", "PutFunctionConcurrency20171031", "DeleteFunctionCodeSigningConfig"}
	if len(names) != len(want) {
		t.Fatalf("events %v, want %v (reads are not recorded)", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("event %d %s, want %s", i, names[i], want[i])
		}
	}

	code := events[0]
	req, resp := code["requestParameters"].(map[string]any), code["responseElements"].(map[string]any)
	if _, ok := req["zipFile"]; ok {
		t.Error("requestParameters hold zipFile")
	}
	if req["publish"] != true || req["functionName"] != "arn:aws:lambda:eu-west-1:111122223333:function:orders" || resp["version"] != "1" {
		t.Errorf("UpdateFunctionCode record: request %v, response version %v", req, resp["version"])
	}
	realCode := realRecord(t, "lambda-UpdateFunctionCode20150331v2.stratus-red-team.record.json")
	skipRuntime := func(ks []string) []string { // fields of a real runtime this emulator does not model
		var out []string
		for _, k := range ks {
			if k != "runtimeVersionConfig" && k != "state" && k != "stateReason" && k != "stateReasonCode" {
				out = append(out, k)
			}
		}
		return out
	}
	if m := missing(skipRuntime(keys(realCode["responseElements"])), keys(resp)); len(m) > 0 {
		t.Errorf("UpdateFunctionCode responseElements lack %v", m)
	}
	if env, _ := resp["environment"].(map[string]any); env == nil || len(env) != 0 {
		t.Errorf("responseElements.environment %v, want {}", resp["environment"])
	}

	cfg := events[1]
	realCfg := realRecord(t, "lambda-UpdateFunctionConfiguration20150331v2.stratus-red-team.record.json")
	cresp := cfg["responseElements"].(map[string]any)
	if m := missing(skipRuntime(keys(realCfg["responseElements"])), keys(cresp)); len(m) > 0 {
		t.Errorf("UpdateFunctionConfiguration responseElements lack %v", m)
	}
	if m := missing(keys(realCfg["requestParameters"]), keys(cfg["requestParameters"])); len(m) > 0 {
		t.Errorf("UpdateFunctionConfiguration requestParameters lack %v", m)
	}
	raw, _ := json.Marshal(cfg)
	if strings.Contains(string(raw), "hunter3") {
		t.Error("an environment value reached the trail")
	}
	layers, _ := cresp["layers"].([]any)
	if len(layers) != 1 || keys(layers[0])[0] != "arn" {
		t.Errorf("responseElements.layers %v", cresp["layers"])
	}

	failed := events[2]
	if failed["errorCode"] != "PreconditionFailedException" || failed["errorMessage"] == "" || failed["responseElements"] != nil {
		t.Errorf("failed write: errorCode %v errorMessage %v response %v", failed["errorCode"], failed["errorMessage"], failed["responseElements"])
	}

	b.srv.Env.Trail.RecordReads = true
	if _, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	all := b.trail(t)
	if last := all[len(all)-1]; last["eventName"] != "GetFunction20150331v2" || last["readOnly"] != true {
		t.Errorf("read when recording reads: %v %v", last["eventName"], last["readOnly"])
	}
}
