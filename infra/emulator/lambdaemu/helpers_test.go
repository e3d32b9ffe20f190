package lambdaemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
)

type bed struct {
	srv    *emulator.Server
	url    string
	client *lambda.Client
}

// newBed starts an emulator with a world and returns a Lambda client acting
// as the default developer, with retries off so every status is seen.
func newBed(t *testing.T, w lambdaemu.World) *bed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.Lambda.LoadWorld(w); err != nil {
		t.Fatalf("load world: %v", err)
	}
	return &bed{srv: srv, url: ts.URL, client: clientAs(t, ts.URL, emulator.ActorDeveloper)}
}

func clientAs(t *testing.T, url, actor string) *lambda.Client {
	t.Helper()
	var a *struct{ key, secret string }
	for _, act := range emulator.DefaultActors(account) {
		if act.Name == actor {
			a = &struct{ key, secret string }{act.AccessKeyID, act.SecretKey}
		}
	}
	if a == nil {
		t.Fatalf("no actor %q", actor)
	}
	return lambda.New(lambda.Options{
		Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: a.key, SecretAccessKey: a.secret}, nil
		}),
	})
}

// apiCode returns the AWS error code of err, or "" for nil.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// settle moves the emulator clock past any update in progress.
func (b *bed) settle() { b.srv.Env.Clock.Advance(time.Second) }

// trail returns the details of the recorded events, in order.
func (b *bed) trail(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range b.srv.Env.Trail.Since(0) {
		var env struct {
			Detail map[string]any `json:"detail"`
		}
		if err := json.Unmarshal(e.Event, &env); err != nil {
			t.Fatalf("trail event: %v", err)
		}
		out = append(out, env.Detail)
	}
	return out
}

func zipOf(body string) []byte { return lambdaemu.ZipOf(map[string]string{"bootstrap": body}) }

func createZip(t *testing.T, b *bed, name string, zip []byte, csc string) (*lambda.CreateFunctionOutput, error) {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: "provided.al2023", Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + account + ":role/fn"), Code: &types.FunctionCode{ZipFile: zip},
	}
	if csc != "" {
		in.CodeSigningConfigArn = aws.String(csc)
	}
	return b.client.CreateFunction(context.Background(), in)
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
