package difftest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// motoAccount is the account moto_server serves.
const motoAccount = "123456789012"

// accountOf is the account a backend's ARNs carry.
func accountOf(b backend) string {
	if b.name == "moto" {
		return motoAccount
	}
	return account
}

func queueOf(b backend) string { return "arn:aws:sqs:" + region + ":" + accountOf(b) + ":exposure-q" }

// sameDocument compares two JSON documents (policies, statements) with the
// backends' accounts made equal.
func sameDocument(t *testing.T, what string, ref, got string) {
	t.Helper()
	var r, g any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(ref, motoAccount, account)), &r); err != nil {
		t.Fatalf("%s: moto's document: %v", what, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: the emulator's document: %v", what, err)
	}
	if !reflect.DeepEqual(r, g) {
		t.Errorf("%s:\n emulator %s\n moto     %s", what, got, ref)
	}
}

// exposureStep is a motoStep whose outputs may also be compared by value.
type exposureStep struct {
	motoStep
	values func(t *testing.T, ref, got outcome)
}

func policyOf(o outcome) string {
	switch out := o.out.(type) {
	case *lambda.AddPermissionOutput:
		return aws.ToString(out.Statement)
	case *lambda.GetPolicyOutput:
		return aws.ToString(out.Policy)
	case *lambda.AddLayerVersionPermissionOutput:
		return aws.ToString(out.Statement)
	case *lambda.GetLayerVersionPolicyOutput:
		return aws.ToString(out.Policy)
	}
	return ""
}

func samePolicy(what string) func(t *testing.T, ref, got outcome) {
	return func(t *testing.T, ref, got outcome) { sameDocument(t, what, policyOf(ref), policyOf(got)) }
}

// motoURLGaps: moto's CreateFunctionUrlConfig answer carries a field AWS's
// recorded one does not.
var motoURLGaps = allowance{awsOnly: map[string]string{
	"InvokeMode": "moto's CreateFunctionUrlConfig answers InvokeMode (\"Buffered\", not AWS's BUFFERED); AWS's recorded create answer leaves it out unless it was set",
}}

// motoMappingGaps: moto leaves out the SQS batching window and the
// response types AWS returns (an empty list) for an SQS mapping.
var motoMappingGaps = allowance{emulatorOnly: map[string]string{
	"MaximumBatchingWindowInSeconds": "AWS returns the SQS batching window (0 by default); moto only what was set",
	"FunctionResponseTypes":          "AWS returns FunctionResponseTypes, an empty list by default; moto only what was set",
}}

func getURL(fn string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetFunctionUrlConfigOutput, error) {
		return c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)})
	})
}

func getPolicy(fn string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetPolicyOutput, error) {
		return c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	})
}

// mappingIDs holds each backend's mapping UUID between steps.
type mappingIDs map[string]string

func (m mappingIDs) call(op func(ctx context.Context, c *lambda.Client, id string) outcome) func(backend) call {
	return func(b backend) call {
		return func(ctx context.Context, c *lambda.Client) outcome { return op(ctx, c, m[b.name]) }
	}
}

// exposureSequence is the call sequence both get: only what moto 5
// implements (no ListFunctionUrlConfigs, no recursion config, no function
// URL qualifiers).
func exposureSequence(ids mappingIDs) []exposureStep {
	step := func(name string, c func(backend) call) exposureStep {
		return exposureStep{motoStep: motoStep{name: name, call: c}}
	}
	addS3 := step("AddPermission for a service with a source", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.AddPermissionOutput, error) {
		return c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("s3"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::bucket")})
	})))
	addS3.values, addS3.awsStatus = samePolicy("statement"), 201
	addAll := step("AddPermission for anyone", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.AddPermissionOutput, error) {
		return c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("backdoor"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
	})))
	addAll.values, addAll.awsStatus = samePolicy("statement"), 201
	get := step("GetPolicy", fixed(getPolicy("fn")))
	get.values = samePolicy("policy")
	createURL := step("CreateFunctionUrlConfig", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateFunctionUrlConfigOutput, error) {
		return c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone,
			Cors: &types.Cors{AllowOrigins: []string{"*"}}})
	})))
	createURL.allow = motoURLGaps
	getU := step("GetFunctionUrlConfig", fixed(getURL("fn")))
	getU.awsStatus = 200
	createESM := step("CreateEventSourceMapping", func(b backend) call {
		return func(ctx context.Context, c *lambda.Client) outcome {
			o := wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateEventSourceMappingOutput, error) {
				return c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(queueOf(b))})
			})(ctx, c)
			if out, ok := o.out.(*lambda.CreateEventSourceMappingOutput); ok {
				ids[b.name] = aws.ToString(out.UUID)
			}
			return o
		}
	})
	createESM.awsStatus, createESM.allow, createESM.settle = 202, motoMappingGaps, true
	getESM := step("GetEventSourceMapping", ids.call(func(ctx context.Context, c *lambda.Client, id string) outcome {
		return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetEventSourceMappingOutput, error) {
			return c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		})(ctx, c)
	}))
	getESM.allow = motoMappingGaps
	listESM := step("ListEventSourceMappings by function", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListEventSourceMappingsOutput, error) {
		return c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("fn")})
	})))
	listESM.allow = allowance{emulatorOnly: prefixed("EventSourceMappings[].", motoMappingGaps.emulatorOnly)}
	updateESM := step("UpdateEventSourceMapping disables", ids.call(func(ctx context.Context, c *lambda.Client, id string) outcome {
		return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateEventSourceMappingOutput, error) {
			return c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
		})(ctx, c)
	}))
	updateESM.allow, updateESM.settle = motoMappingGaps, true
	deleteESM := step("DeleteEventSourceMapping", ids.call(func(ctx context.Context, c *lambda.Client, id string) outcome {
		return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteEventSourceMappingOutput, error) {
			return c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
		})(ctx, c)
	}))
	deleteESM.allow, deleteESM.settle = motoMappingGaps, true
	addLayer := step("AddLayerVersionPermission", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.AddLayerVersionPermissionOutput, error) {
		return c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1),
			StatementId: aws.String("all"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
	})))
	addLayer.values, addLayer.awsStatus = samePolicy("layer statement"), 201
	getLayer := step("GetLayerVersionPolicy", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetLayerVersionPolicyOutput, error) {
		return c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1)})
	})))
	getLayer.values = samePolicy("layer policy")
	return []exposureStep{
		addS3, addAll, get,
		step("RemovePermission", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.RemovePermissionOutput, error) {
			return c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("s3")})
		}))),
		step("RemovePermission of the last statement", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.RemovePermissionOutput, error) {
			return c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("backdoor")})
		}))),
		step("GetPolicy without statements", fixed(getPolicy("fn"))),
		createURL, getU,
		step("UpdateFunctionUrlConfig", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateFunctionUrlConfigOutput, error) {
			return c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeAwsIam})
		}))),
		step("DeleteFunctionUrlConfig", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteFunctionUrlConfigOutput, error) {
			return c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("fn")})
		}))),
		step("GetFunctionUrlConfig after delete", fixed(getURL("fn"))),
		createESM, getESM, listESM, updateESM, deleteESM,
		step("GetEventSourceMapping of an unknown UUID", fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetEventSourceMappingOutput, error) {
			return c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("00000000-0000-4000-8000-000000000000")})
		}))),
		addLayer, getLayer,
	}
}

// exposureBackends creates, on moto and on the emulator, the function, the
// queue (moto checks that an SQS source exists) and the layer the sequence
// uses.
func exposureBackends(t *testing.T) ([2]backend, *emu) {
	t.Helper()
	m := needMoto(t)
	ctx := context.Background()
	e := newEmu(t, lambdaemu.World{})
	backends := [2]backend{
		{name: "moto", client: lambdaAt(m.URL, "AKIAMOTO", "moto"), role: motoRole(t, m.URL, "fn-role")},
		{name: "emulator", client: e.lambda, role: "arn:aws:iam::" + account + ":role/fn-role"},
	}
	q := sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String(m.URL), Credentials: staticCreds("AKIAMOTO", "moto")})
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("exposure-q")}); err != nil {
		t.Fatalf("moto: create queue: %v", err)
	}
	for _, b := range backends {
		if _, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimePython312,
			Handler: aws.String("index.handler"), Role: aws.String(b.role), Code: &types.FunctionCode{ZipFile: zip("v1")}}); err != nil {
			t.Fatalf("%s: create function: %v", b.name, err)
		}
		if _, err := b.client.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("ext"),
			Content: &types.LayerVersionContentInput{ZipFile: zip("layer")}}); err != nil {
			t.Fatalf("%s: publish layer: %v", b.name, err)
		}
	}
	e.finish()
	return backends, e
}

func TestMotoAndTheEmulatorAnswerExposureCallsAlike(t *testing.T) {
	backends, e := exposureBackends(t)
	ctx := context.Background()
	mb, eb := backends[0], backends[1]
	for _, s := range exposureSequence(mappingIDs{}) {
		ref := s.call(mb)(ctx, mb.client)
		got := s.call(eb)(ctx, eb.client)
		if s.awsStatus != 0 {
			if got.status != s.awsStatus {
				t.Errorf("%s: HTTP status %d, AWS's is %d", s.name, got.status, s.awsStatus)
			}
			ref.status = got.status // moto's own status is checked in TestMotoExposureGapsAreStillThere
		}
		compareOutcomes(t, s.name, ref, got, s.allow)
		if s.values != nil && ref.err == nil && got.err == nil {
			s.values(t, ref, got)
		}
		if s.settle {
			e.finish()
		}
	}
}

// TestMotoExposureGapsAreStillThere checks the moto gaps the exposure
// sequence works around, on moto, and AWS's behaviour on the emulator.
func TestMotoExposureGapsAreStillThere(t *testing.T) {
	backends, _ := exposureBackends(t)
	ctx := context.Background()
	gaps := []struct {
		name  string
		probe func(t *testing.T, b backend) bool
	}{
		{"AddPermission answers 201", func(t *testing.T, b backend) bool {
			return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.AddPermissionOutput, error) {
				return c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("created"),
					Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
			})(ctx, b.client).status == 201
		}},
		{"GetFunctionUrlConfig answers 200", func(t *testing.T, b backend) bool {
			if _, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone}); err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
			return getURL("fn")(ctx, b.client).status == 200
		}},
		{"a second CreateFunctionUrlConfig is a 409 conflict", func(t *testing.T, b backend) bool {
			_, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeAwsIam})
			return outcomeOf(nil, middleware.Metadata{}, err).status == 409
		}},
		{"CreateEventSourceMapping answers 202, Creating", func(t *testing.T, b backend) bool {
			o := wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateEventSourceMappingOutput, error) {
				return c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn"), EventSourceArn: aws.String(queueOf(b))})
			})(ctx, b.client)
			out, _ := o.out.(*lambda.CreateEventSourceMappingOutput)
			return o.status == 202 && out != nil && aws.ToString(out.State) == "Creating"
		}},
		{"an account principal becomes its root ARN", func(t *testing.T, b backend) bool {
			out, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("xacct"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("444455556666")})
			if err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
			return strings.Contains(aws.ToString(out.Statement), `{"AWS":"arn:aws:iam::444455556666:root"}`)
		}},
	}
	for _, g := range gaps {
		t.Run(g.name, func(t *testing.T) {
			if g.probe(t, backends[0]) {
				t.Errorf("moto now does this as AWS does: drop the gap from the exposure sequence's allowances")
			}
			if !g.probe(t, backends[1]) {
				t.Errorf("the emulator does not do this as AWS does")
			}
		})
	}
}

// TestAddPermissionRecordHasTheRealShape holds the emulator's record of the
// stratus-red-team backdoor (AddPermission for anyone, by an IAM user) to
// the real one: the same keys at every level, the statement a JSON string
// with the same fields and principal.
func TestAddPermissionRecordHasTheRealShape(t *testing.T) {
	ctx := context.Background()
	e := newEmu(t, lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "stratus-red-team-backdoor-f-func"}}})
	if _, err := e.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("stratus-red-team-backdoor-f-func"),
		StatementId: aws.String("backdoor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	recs := emulatorRecords(t, e)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	real, got := realRecord(t, "lambda-AddPermission20150331v2.stratus-red-team.record.json"), recs[0]
	if got["eventName"] != real["eventName"] {
		t.Fatalf("event %v, want %v", got["eventName"], real["eventName"])
	}
	sameKeys(t, "top level", real, got, allowance{awsOnly: noTLS})
	sameKeys(t, "requestParameters", real["requestParameters"], got["requestParameters"], allowance{})
	sameKeys(t, "responseElements", real["responseElements"], got["responseElements"], allowance{})
	sameKeys(t, "userIdentity (IAMUser)", real["userIdentity"], got["userIdentity"], allowance{})
	for _, k := range []string{"action", "functionName", "principal", "statementId"} {
		if obj(got["requestParameters"], k) != obj(real["requestParameters"], k) {
			t.Errorf("requestParameters.%s %v, real %v", k, obj(got["requestParameters"], k), obj(real["requestParameters"], k))
		}
	}
	// The statement names the function's ARN in its own region and account.
	realSt, _ := obj(real["responseElements"], "statement").(string)
	gotSt, _ := obj(got["responseElements"], "statement").(string)
	want := strings.ReplaceAll(strings.ReplaceAll(realSt, "ca-centralnorth-1r", region), "880896431042", account)
	if gotSt != want {
		t.Errorf("statement\n got %s\nwant %s", gotSt, want)
	}
}
