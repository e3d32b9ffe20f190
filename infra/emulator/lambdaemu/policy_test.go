package lambdaemu_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

const ordersARN = "arn:aws:lambda:eu-west-1:111122223333:function:orders"

// exposureWorld is a function with a published version and an alias.
func exposureWorld() lambdaemu.World {
	return lambdaemu.World{UpdateDelayMs: aws.Int(0), Functions: []lambdaemu.FunctionWorld{{
		Name: "orders", Versions: []lambdaemu.VersionWorld{{}}, Aliases: []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1"}},
	}}}
}

func TestAddPermissionWritesStatementsAsLambdaBuildsThem(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		in   lambda.AddPermissionInput
		want string
	}{
		{"anyone, as the stratus backdoor does", lambda.AddPermissionInput{StatementId: aws.String("backdoor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")},
			`{"Sid":"backdoor","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `"}`},
		{"another account, as its root", lambda.AddPermissionInput{StatementId: aws.String("xaccount"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("444455556666")},
			`{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `"}`},
		{"a role ARN as given", lambda.AddPermissionInput{StatementId: aws.String("role"), Action: aws.String("lambda:GetFunction"), Principal: aws.String("arn:aws:iam::444455556666:role/reader")},
			`{"Sid":"role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/reader"},"Action":"lambda:GetFunction","Resource":"` + ordersARN + `"}`},
		{"a service limited by source", lambda.AddPermissionInput{StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
			SourceArn: aws.String("arn:aws:s3:::bucket"), SourceAccount: aws.String("111122223333")},
			`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"},"StringEquals":{"AWS:SourceAccount":"111122223333"}}}`},
		{"an organization", lambda.AddPermissionInput{StatementId: aws.String("org"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), PrincipalOrgID: aws.String("o-a1b2c3d4e5")},
			`{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`},
		{"a public function URL", lambda.AddPermissionInput{StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone},
			`{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + ordersARN + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`},
		{"invoke only through the URL", lambda.AddPermissionInput{StatementId: aws.String("viaurl"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true)},
			`{"Sid":"viaurl","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}`},
		{"an Alexa skill token", lambda.AddPermissionInput{StatementId: aws.String("alexa"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("alexa-appkit.amazon.com"), EventSourceToken: aws.String("amzn1.ask.skill.1")},
			`{"Sid":"alexa","Effect":"Allow","Principal":{"Service":"alexa-appkit.amazon.com"},"Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `","Condition":{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.1"}}}`},
		{"on an alias, with the alias ARN", lambda.AddPermissionInput{StatementId: aws.String("alias"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), Qualifier: aws.String("live")},
			`{"Sid":"alias","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `:live"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBed(t, exposureWorld())
			in := c.in
			in.FunctionName = aws.String("orders")
			out, err := b.client.AddPermission(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.Statement); got != c.want {
				t.Errorf("statement\n got %s\nwant %s", got, c.want)
			}
			pol, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: in.Qualifier})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"Version":"2012-10-17","Id":"default","Statement":[` + c.want + `]}`; aws.ToString(pol.Policy) != want {
				t.Errorf("policy\n got %s\nwant %s", aws.ToString(pol.Policy), want)
			}
		})
	}
}

func TestPermissionErrorsAreLambdas(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposureWorld())
	add := func(sid, principal, q, rev string) error {
		in := &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal)}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		if rev != "" {
			in.RevisionId = aws.String(rev)
		}
		_, err := b.client.AddPermission(ctx, in)
		return err
	}
	if err := add("s3", "s3.amazonaws.com", "", ""); err != nil {
		t.Fatal(err)
	}
	stale := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"a statement id used twice", "ResourceConflictException", "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.",
			func() error { return add("s3", "*", "", "") }},
		{"a stale RevisionId on add", "PreconditionFailedException", "", func() error { return add("other", "*", "", stale) }},
		{"a policy on $LATEST", "InvalidParameterValueException", "We currently do not support adding policies for $LATEST.", func() error { return add("x", "*", "$LATEST", "") }},
		{"a version that does not exist", "ResourceNotFoundException", "Function not found: " + ordersARN + ":42", func() error { return add("x", "*", "42", "") }},
		{"an alias that does not exist", "ResourceNotFoundException", "Cannot find alias arn: " + ordersARN + ":nope", func() error { return add("x", "*", "nope", "") }},
		{"a principal that is none", "InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again.", func() error { return add("x", "not a principal", "", "") }},
		{"a statement id with a dot", "ValidationException", "", func() error { return add("example.com", "*", "", "") }},
		{"a function that does not exist", "ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:111122223333:function:ghost", func() error {
			_, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("ghost"), StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
			return err
		}},
		{"GetPolicy without a policy", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")})
			return err
		}},
		{"GetPolicy of a version that does not exist", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("9")})
			return err
		}},
		{"RemovePermission of an unknown statement", "ResourceNotFoundException", "Statement nope is not found in resource policy.", func() error {
			_, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("nope")})
			return err
		}},
		{"RemovePermission with a stale RevisionId", "PreconditionFailedException", "", func() error {
			_, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("s3"), RevisionId: aws.String(stale)})
			return err
		}},
		{"RemovePermission without a policy", "ResourceNotFoundException", "No policy is associated with the given resource.", func() error {
			_, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("s3"), Qualifier: aws.String("1")})
			return err
		}},
		{"RemovePermission of a function that does not exist", "ResourceNotFoundException", "No policy found for: arn:aws:lambda:eu-west-1:111122223333:function:ghost", func() error {
			_, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("ghost"), StatementId: aws.String("s3")})
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

func TestPolicyRevisionIsItsHoldersAndChangesWithEachWrite(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposureWorld())
	fnRev := func(q string) string {
		g, err := b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(g.RevisionId)
	}
	before := fnRev("$LATEST")
	if _, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("a"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), RevisionId: aws.String(before)}); err != nil {
		t.Fatalf("add with the function's current RevisionId: %v", err)
	}
	pol, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	after := fnRev("$LATEST")
	if after == before || aws.ToString(pol.RevisionId) != after {
		t.Errorf("function revision %s → %s, policy revision %s: want a new one, the same for both", before, after, aws.ToString(pol.RevisionId))
	}
	if _, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders:1"), StatementId: aws.String("v1"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	v1, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	if err != nil || aws.ToString(v1.RevisionId) != fnRev("1") || fnRev("$LATEST") != after {
		t.Errorf("a version's policy is its own: %+v %v", v1, err)
	}
	var doc struct{ Statement []struct{ Resource string } }
	if err := json.Unmarshal([]byte(aws.ToString(v1.Policy)), &doc); err != nil || len(doc.Statement) != 1 || doc.Statement[0].Resource != ordersARN+":1" {
		t.Errorf("version policy %s, %v", aws.ToString(v1.Policy), err)
	}
	if _, err := b.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("a"), RevisionId: aws.String(after)}); err != nil {
		t.Fatalf("remove with the current RevisionId: %v", err)
	}
	if fnRev("$LATEST") == after {
		t.Error("RemovePermission left the RevisionId as it was")
	}
	if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("GetPolicy once the last statement is gone: %v", err)
	}
}

func TestGetPolicyHasItsOwnQuota(t *testing.T) {
	ctx := context.Background()
	one := 2.0
	w := exposureWorld()
	w.Quotas = &lambdaemu.Quotas{GetFunctionPerSecond: 100, ControlPlanePerSecond: 1, GetPolicyPerSecond: &one}
	w.Functions[0].Permissions = []lambdaemu.PermissionWorld{{StatementID: "a", Principal: "*"}}
	b := newBed(t, w)
	b.srv.Env.Clock.Set(time.Now().Add(time.Hour))
	if _, err := b.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatalf("GetPolicy %d with the shared bucket empty: %v", i, err)
		}
	}
	if _, err := b.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "TooManyRequestsException" {
		t.Errorf("over the GetPolicy quota: %v", err)
	}
	if _, err := b.client.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("b"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); apiCode(t, err) != "TooManyRequestsException" {
		t.Errorf("AddPermission draws on the shared bucket: %v", err)
	}
	if q := b.srv.Lambda.CurrentQuotas(); q.GetPolicyPerSecond == nil || *q.GetPolicyPerSecond != 2 {
		t.Errorf("quotas %+v", q)
	}
}
