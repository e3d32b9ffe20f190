package lambdaemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// exposedWorld declares one of each way to expose a function.
func exposedWorld() lambdaemu.World {
	w := exposureWorld()
	w.Layers = []lambdaemu.LayerWorld{{Name: "ext", Permissions: []lambdaemu.LayerPermissionWorld{{StatementID: "all", Principal: "*"}}}}
	f := &w.Functions[0]
	f.Permissions = []lambdaemu.PermissionWorld{
		{StatementID: "public", Principal: "*"},
		{StatementID: "s3", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket", Qualifier: "live"},
		{StatementID: "v1", Principal: "444455556666", Qualifier: "1"},
	}
	f.URLs = []lambdaemu.URLWorld{{AuthType: "NONE"}, {Qualifier: "live", AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM"}}
	f.RecursiveLoop = "Allow"
	w.EventSourceMappings = []lambdaemu.MappingWorld{{FunctionName: "orders:live", EventSourceArn: queueARN, BatchSize: 5}}
	return w
}

// exposure reads back what the API reports about a function's exposure,
// for comparing two emulators.
func exposure(t *testing.T, c *lambda.Client) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range []string{"", "1", "live"} {
		in := &lambda.GetPolicyInput{FunctionName: aws.String("orders")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		p, err := c.GetPolicy(ctx, in)
		if err != nil {
			t.Fatalf("policy %q: %v", q, err)
		}
		out = append(out, aws.ToString(p.Policy))
	}
	urls, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range urls.FunctionUrlConfigs {
		out = append(out, aws.ToString(u.FunctionUrl)+" "+string(u.AuthType)+" "+string(u.InvokeMode))
	}
	loop, err := c.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(loop.RecursiveLoop), aws.ToString(lp.Policy))
	for _, m := range ms.EventSourceMappings {
		out = append(out, aws.ToString(m.UUID)+" "+aws.ToString(m.FunctionArn)+" "+aws.ToString(m.State)+" "+aws.ToString(m.EventSourceArn))
	}
	return strings.Join(out, "\n")
}

func TestWorldDeclaresExposureAndRoundTrips(t *testing.T) {
	b := newBed(t, exposedWorld())
	got := exposure(t, b.client)
	for _, want := range []string{
		`"Sid":"public"`, `"Resource":"` + ordersARN + `:live","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}`,
		`"Principal":{"AWS":"arn:aws:iam::444455556666:root"}`, " NONE BUFFERED", " AWS_IAM RESPONSE_STREAM", "\nAllow\n",
		`"Sid":"all"`, ordersARN + ":live Enabled " + queueARN,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("exposure lacks %q:\n%s", want, got)
		}
	}
	raw, err := json.Marshal(b.srv.Lambda.DumpWorld())
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := emulator.DecodeWorld(bytes.NewReader([]byte(`{"lambda":` + string(raw) + `}`)))
	if err != nil {
		t.Fatalf("decode dumped world strictly: %v", err)
	}
	b2 := newBed(t, decoded.Lambda)
	if again := exposure(t, b2.client); again != got {
		t.Errorf("after a dump and reload:\n%s\nwant\n%s", again, got)
	}
}

func TestWorldExposureIsValidatedAsTheAPIIs(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(w *lambdaemu.World)
		wantErr string
	}{
		{"a bad principal", func(w *lambdaemu.World) {
			w.Functions[0].Permissions = []lambdaemu.PermissionWorld{{StatementID: "x", Principal: "nobody at all"}}
		}, "permissions[0]: The provided principal was invalid"},
		{"a statement id twice", func(w *lambdaemu.World) {
			w.Functions[0].Permissions = []lambdaemu.PermissionWorld{{StatementID: "x", Principal: "*"}, {StatementID: "x", Principal: "*"}}
		}, "permissions[1]: The statement id (x) provided already exists"},
		{"a policy on a missing alias", func(w *lambdaemu.World) {
			w.Functions[0].Permissions = []lambdaemu.PermissionWorld{{StatementID: "x", Principal: "*", Qualifier: "ghost"}}
		}, `qualifier "ghost"`},
		{"a URL on a version", func(w *lambdaemu.World) {
			w.Functions[0].URLs = []lambdaemu.URLWorld{{AuthType: "NONE", Qualifier: "1"}}
		}, "urls[0]: qualifier"},
		{"a URL with no auth type", func(w *lambdaemu.World) {
			w.Functions[0].URLs = []lambdaemu.URLWorld{{}}
		}, "urls[0]: 1 validation error"},
		{"a recursive loop setting that is none", func(w *lambdaemu.World) { w.Functions[0].RecursiveLoop = "Maybe" }, "recursiveLoop"},
		{"a layer permission for a service", func(w *lambdaemu.World) {
			w.Layers = []lambdaemu.LayerWorld{{Name: "ext", Permissions: []lambdaemu.LayerPermissionWorld{{StatementID: "x", Principal: "s3.amazonaws.com"}}}}
		}, "permissions[0]"},
		{"a mapping to a missing function", func(w *lambdaemu.World) {
			w.EventSourceMappings = []lambdaemu.MappingWorld{{FunctionName: "ghost", EventSourceArn: queueARN}}
		}, "eventSourceMappings[0]: Function does not exist"},
		{"a mapping used twice", func(w *lambdaemu.World) {
			w.EventSourceMappings = []lambdaemu.MappingWorld{{FunctionName: "orders", EventSourceArn: queueARN}, {FunctionName: "orders", EventSourceArn: queueARN}}
		}, "eventSourceMappings[1]: An event source mapping with SQS arn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := emulator.New(account, region)
			w := exposureWorld()
			c.edit(&w)
			err := srv.Lambda.LoadWorld(w)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

func TestDeletingAFunctionLeavesItsMappings(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposedWorld())
	if _, err := b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	ms, err := b.client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(queueARN)})
	if err != nil || len(ms.EventSourceMappings) != 1 {
		t.Errorf("mappings after DeleteFunction (AWS keeps them): %+v %v", ms, err)
	}
	if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("the policy goes with the function: %v", err)
	}
	if d := b.srv.Lambda.DumpWorld(); len(d.EventSourceMappings) != 0 {
		t.Errorf("a dump leaves out mappings of deleted functions, so it loads back: %+v", d.EventSourceMappings)
	}
}
