package lambdaemu_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

var functionURLRE = regexp.MustCompile(`^https://[a-z0-9]{32}\.lambda-url\.eu-west-1\.on\.aws/$`)

func TestFunctionURLLifecycle(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposureWorld())
	created, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"),
		AuthType: types.FunctionUrlAuthTypeNone, Cors: &types.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if !functionURLRE.MatchString(aws.ToString(created.FunctionUrl)) || aws.ToString(created.FunctionArn) != ordersARN ||
		created.AuthType != types.FunctionUrlAuthTypeNone || created.Cors == nil || created.Cors.AllowOrigins[0] != "*" || created.CreationTime == nil {
		t.Errorf("create: %+v", created)
	}
	if created.InvokeMode != "" {
		t.Errorf("create answered InvokeMode %q; AWS leaves it out unless it was asked for", created.InvokeMode)
	}
	if _, err := time.Parse(time.RFC3339Nano, aws.ToString(created.CreationTime)); err != nil {
		t.Errorf("CreationTime %q: %v", aws.ToString(created.CreationTime), err)
	}
	b.srv.Env.Clock.Advance(time.Minute)
	up, err := b.client.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	if err != nil {
		t.Fatal(err)
	}
	if up.AuthType != types.FunctionUrlAuthTypeAwsIam || aws.ToString(up.FunctionUrl) != aws.ToString(created.FunctionUrl) ||
		up.Cors == nil || aws.ToString(up.LastModifiedTime) == aws.ToString(up.CreationTime) || up.InvokeMode != types.InvokeModeBuffered {
		t.Errorf("update keeps the URL and CORS, changes the auth type and the modified time: %+v", up)
	}
	if _, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"),
		Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: types.InvokeModeResponseStream}); err != nil {
		t.Fatal(err)
	}
	list, err := b.client.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("orders")})
	if err != nil || len(list.FunctionUrlConfigs) != 2 || aws.ToString(list.FunctionUrlConfigs[1].FunctionArn) != ordersARN+":live" ||
		list.FunctionUrlConfigs[1].InvokeMode != types.InvokeModeResponseStream {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := b.client.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders:live")})
	if err != nil || got.AuthType != types.FunctionUrlAuthTypeNone || aws.ToString(got.FunctionUrl) == aws.ToString(created.FunctionUrl) {
		t.Errorf("the alias has a URL of its own: %+v %v", got, err)
	}
	if _, err := b.client.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := b.client.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	list, err = b.client.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("orders")})
	if err != nil || len(list.FunctionUrlConfigs) != 0 {
		t.Errorf("an alias's URL goes with the alias: %+v %v", list, err)
	}
}

func TestFunctionURLErrorsAreLambdas(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposureWorld())
	create := func(name, q string) error {
		in := &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: types.FunctionUrlAuthTypeNone}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		_, err := b.client.CreateFunctionUrlConfig(ctx, in)
		return err
	}
	if err := create("orders", ""); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"a second URL config", "ResourceConflictException", "Failed to create function url config for [functionArn = " + ordersARN + "]. Error message:  FunctionUrlConfig exists for this Lambda function",
			func() error { return create("orders", "") }},
		{"a function that does not exist", "ResourceNotFoundException", "Function does not exist", func() error { return create("ghost", "") }},
		{"an alias that does not exist", "ResourceNotFoundException", "Function does not exist", func() error { return create("orders", "nope") }},
		{"a version as qualifier", "ValidationException", `1 validation error detected: Value '1' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`,
			func() error { return create("orders", "1") }},
		{"$LATEST as qualifier", "ValidationException", "", func() error { return create("orders", "$LATEST") }},
		{"a qualifier unlike the name's", "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.",
			func() error { return create("orders:live", "other") }},
		{"an unknown auth type", "ValidationException", "", func() error {
			_, err := b.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), AuthType: "OPEN"})
			return err
		}},
		{"get without a URL config", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")})
			return err
		}},
		{"update without a URL config", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeNone})
			return err
		}},
		{"delete of a function that does not exist", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := b.client.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("ghost")})
			return err
		}},
		{"list of a function that does not exist", "ResourceNotFoundException", "Function does not exist", func() error {
			_, err := b.client.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("ghost")})
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

func TestRecursionConfigDefaultsToTerminate(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, exposureWorld())
	get := func() (types.RecursiveLoop, error) {
		out, err := b.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("orders")})
		if err != nil {
			return "", err
		}
		return out.RecursiveLoop, nil
	}
	if loop, err := get(); err != nil || loop != types.RecursiveLoopTerminate {
		t.Errorf("default: %q %v", loop, err)
	}
	put, err := b.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("orders"), RecursiveLoop: types.RecursiveLoopAllow})
	if err != nil || put.RecursiveLoop != types.RecursiveLoopAllow {
		t.Fatalf("put: %+v %v", put, err)
	}
	if loop, err := get(); err != nil || loop != types.RecursiveLoopAllow {
		t.Errorf("after put: %q %v", loop, err)
	}
	if _, err := b.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("orders"), RecursiveLoop: "Sometimes"}); apiCode(t, err) != "ValidationException" {
		t.Errorf("unknown value: %v", err)
	}
	if _, err := b.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("ghost")}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("unknown function: %v", err)
	}
}
