package lambdaemu_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

const (
	queueARN  = "arn:aws:sqs:eu-west-1:111122223333:orders-queue"
	streamARN = "arn:aws:kinesis:eu-west-1:111122223333:stream/clicks"
)

func mappingWorld() lambdaemu.World {
	w := exposureWorld()
	w.UpdateDelayMs = aws.Int(300)
	return w
}

func TestEventSourceMappingLifecycleTakesTime(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, mappingWorld())
	created, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders:live"), EventSourceArn: aws.String(queueARN)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UUID)
	if aws.ToString(created.State) != "Creating" || aws.ToString(created.FunctionArn) != ordersARN+":live" || aws.ToInt32(created.BatchSize) != 10 ||
		aws.ToString(created.StateTransitionReason) != "USER_INITIATED" || aws.ToString(created.EventSourceMappingArn) != "arn:aws:lambda:eu-west-1:111122223333:event-source-mapping:"+id ||
		created.LastModified == nil {
		t.Errorf("create: %+v", created)
	}
	update := func(enabled bool) error {
		_, err := b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(enabled)})
		return err
	}
	if err := update(false); apiCode(t, err) != "ResourceInUseException" {
		t.Errorf("update while Creating: %v, want ResourceInUseException", err)
	}
	state := func() string {
		g, err := b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			return apiCode(t, err)
		}
		return aws.ToString(g.State)
	}
	steps := []struct {
		name string
		act  func() error
		mid  string
		end  string
	}{
		{"created", func() error { return nil }, "Creating", "Enabled"},
		{"disabled", func() error { return update(false) }, "Disabling", "Disabled"},
		{"enabled again", func() error { return update(true) }, "Enabling", "Enabled"},
		{"deleted", func() error {
			_, err := b.client.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
			return err
		}, "Deleting", "ResourceNotFoundException"},
	}
	for _, s := range steps {
		if err := s.act(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := state(); got != s.mid {
			t.Errorf("%s: state %s, want %s", s.name, got, s.mid)
		}
		b.settle()
		if got := state(); got != s.end {
			t.Errorf("%s, settled: state %s, want %s", s.name, got, s.end)
		}
	}
}

func TestStreamMappingsCarryStreamDefaults(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, mappingWorld())
	out, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders"),
		EventSourceArn: aws.String(streamARN), StartingPosition: types.EventSourcePositionLatest, Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.BatchSize) != 100 || out.StartingPosition != types.EventSourcePositionLatest || aws.ToString(out.LastProcessingResult) != "No records processed" ||
		aws.ToInt32(out.MaximumRetryAttempts) != -1 || aws.ToInt32(out.ParallelizationFactor) != 1 || aws.ToString(out.StateTransitionReason) != "User action" {
		t.Errorf("stream mapping: %+v", out)
	}
	b.settle()
	g, err := b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out.UUID})
	if err != nil || aws.ToString(g.State) != "Disabled" {
		t.Errorf("created disabled: %+v %v", g, err)
	}
}

func TestEventSourceMappingErrorsAreLambdas(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, mappingWorld())
	create := func(fn, source string) error {
		_, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(fn), EventSourceArn: aws.String(source)})
		return err
	}
	if err := create("orders", queueARN); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"the same queue and function again", "ResourceConflictException", "", func() error { return create("orders", queueARN) }},
		{"a function that does not exist", "InvalidParameterValueException", "Function does not exist", func() error { return create("ghost", queueARN) }},
		{"an alias that does not exist", "InvalidParameterValueException", "Function does not exist", func() error { return create("orders:nope", queueARN) }},
		{"an unknown kind of source", "InvalidParameterValueException", "Unrecognized event source.", func() error { return create("orders", "arn:aws:s3:::bucket") }},
		{"a stream without a starting position", "InvalidParameterValueException", "", func() error { return create("orders", streamARN) }},
		{"a batch too big for the queue", "InvalidParameterValueException", "", func() error {
			_, err := b.client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders:1"),
				EventSourceArn: aws.String(queueARN), BatchSize: aws.Int32(20000)})
			return err
		}},
		{"get of an unknown UUID", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}},
		{"delete of an unknown UUID", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}},
		{"update of an unknown UUID", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String("00000000-0000-4000-8000-000000000000"), Enabled: aws.Bool(false)})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if apiCode(t, err) != c.code || (c.msg != "" && apiMessage(err) != c.msg) {
				t.Errorf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
}

func TestListEventSourceMappingsFiltersByFunctionAndSource(t *testing.T) {
	ctx := context.Background()
	w := mappingWorld()
	w.EventSourceMappings = []lambdaemu.MappingWorld{
		{FunctionName: "orders", EventSourceArn: queueARN},
		{FunctionName: "orders:live", EventSourceArn: queueARN},
		{FunctionName: "orders", EventSourceArn: streamARN, StartingPosition: "TRIM_HORIZON", Enabled: aws.Bool(false)},
	}
	b := newBed(t, w)
	list := func(fn, source string) []string {
		in := &lambda.ListEventSourceMappingsInput{}
		if fn != "" {
			in.FunctionName = aws.String(fn)
		}
		if source != "" {
			in.EventSourceArn = aws.String(source)
		}
		out, err := b.client.ListEventSourceMappings(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.EventSourceMappings {
			got = append(got, aws.ToString(m.FunctionArn)+" "+aws.ToString(m.EventSourceArn)+" "+aws.ToString(m.State))
		}
		return got
	}
	cases := []struct {
		name, fn, source string
		want             int
	}{
		{"all", "", "", 3},
		{"by function name, unqualified ARN only", "orders", "", 2},
		{"by alias", "orders:live", "", 1},
		{"by source", "", queueARN, 2},
		{"by both", ordersARN, streamARN, 1},
		{"of a function that does not exist", "ghost", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := list(c.fn, c.source); len(got) != c.want {
				t.Errorf("got %v, want %d", got, c.want)
			}
		})
	}
	if got := list("", streamARN); len(got) != 1 || got[0] != ordersARN+" "+streamARN+" Disabled" {
		t.Errorf("a world's disabled stream mapping: %v", got)
	}
}

func TestLayerVersionPolicyLifecycleAndErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{Quotas: &lambdaemu.Quotas{}, Layers: []lambdaemu.LayerWorld{{Name: "ext"}, {Name: "theirs", Account: "444455556666"}}})
	layerARN := "arn:aws:lambda:eu-west-1:111122223333:layer:ext:1"
	add := func(sid, principal, org, rev string) (*lambda.AddLayerVersionPermissionOutput, error) {
		in := &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1), StatementId: aws.String(sid),
			Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String(principal)}
		if org != "" {
			in.OrganizationId = aws.String(org)
		}
		if rev != "" {
			in.RevisionId = aws.String(rev)
		}
		return b.client.AddLayerVersionPermission(ctx, in)
	}
	get := func() (*lambda.GetLayerVersionPolicyOutput, error) {
		return b.client.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1)})
	}
	if _, err := get(); apiCode(t, err) != "ResourceNotFoundException" || apiMessage(err) != "No policy is associated with the given resource." {
		t.Errorf("get before any permission: %v", err)
	}
	first, err := add("public", "*", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Sid":"public","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"` + layerARN + `"}`; aws.ToString(first.Statement) != want {
		t.Errorf("statement %s, want %s", aws.ToString(first.Statement), want)
	}
	second, err := add("org", "*", "o-a1b2c3d4e5", aws.ToString(first.RevisionId))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := add("acct", "444455556666", "", ""); err != nil {
		t.Fatal(err)
	}
	pol, err := get()
	want := `{"Version":"2012-10-17","Id":"default","Statement":[` + aws.ToString(first.Statement) + "," + aws.ToString(second.Statement) +
		`,{"Sid":"acct","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:GetLayerVersion","Resource":"` + layerARN + `"}]}`
	if err != nil || aws.ToString(pol.Policy) != want || aws.ToString(pol.RevisionId) == aws.ToString(second.RevisionId) {
		t.Errorf("policy %s (%v)\nwant %s, with a revision newer than the second add's", aws.ToString(pol.Policy), err, want)
	}
	stale := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"a statement id used twice", "ResourceConflictException", "", func() error { _, err := add("public", "*", "", ""); return err }},
		{"a stale RevisionId", "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id",
			func() error { _, err := add("new", "*", "", stale); return err }},
		{"an action other than GetLayerVersion", "ValidationException", "", func() error {
			_, err := b.client.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1),
				StatementId: aws.String("x"), Action: aws.String("*"), Principal: aws.String("*")})
			return err
		}},
		{"a service principal", "ValidationException", "", func() error { _, err := add("svc", "s3.amazonaws.com", "", ""); return err }},
		{"a version that does not exist", "ResourceNotFoundException", "Layer version arn:aws:lambda:eu-west-1:111122223333:layer:ext:2 does not exist.", func() error {
			_, err := b.client.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(2)})
			return err
		}},
		{"another account's layer", "AccessDeniedException", "", func() error {
			_, err := b.client.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("arn:aws:lambda:eu-west-1:444455556666:layer:theirs"),
				VersionNumber: aws.Int64(1), StatementId: aws.String("x"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
			return err
		}},
		{"removing an unknown statement", "ResourceNotFoundException", "Statement nope is not found in resource policy.", func() error {
			_, err := b.client.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1), StatementId: aws.String("nope")})
			return err
		}},
		{"removing with a stale RevisionId", "PreconditionFailedException", "", func() error {
			_, err := b.client.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1),
				StatementId: aws.String("public"), RevisionId: aws.String(stale)})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if apiCode(t, err) != c.code || (c.msg != "" && apiMessage(err) != c.msg) {
				t.Errorf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
	for _, sid := range []string{"public", "org", "acct"} {
		if _, err := b.client.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1), StatementId: aws.String(sid)}); err != nil {
			t.Fatalf("remove %s: %v", sid, err)
		}
	}
	if _, err := get(); apiCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("get after removing every statement: %v", err)
	}
}
