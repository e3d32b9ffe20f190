package lambdaemu_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// TestEnvironmentUnderACustomerManagedKeyShowsOnlyToDecrypters: every read
// of the configuration (GetFunction, the listings) shows the variables to
// a caller that may decrypt with the key, and Environment.Error to others.
func TestEnvironmentUnderACustomerManagedKeyShowsOnlyToDecrypters(t *testing.T) {
	const key = "arn:aws:kms:" + region + ":" + account + ":key/1111aaaa-2222-3333-4444-555566667777"
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{
		KMSKeys: []lambdaemu.KMSKeyWorld{{ARN: key, Decrypters: []string{emulator.ActorAdmin}}},
		Functions: []lambdaemu.FunctionWorld{{Name: "sealed", KMSKeyArn: key, Environment: map[string]string{"NODE_OPTIONS": "--require /x.js"},
			Versions: []lambdaemu.VersionWorld{{}}}},
	})
	reads := map[string]func(c *lambda.Client) (*types.FunctionConfiguration, error){
		"GetFunction": func(c *lambda.Client) (*types.FunctionConfiguration, error) {
			out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sealed")})
			if err != nil {
				return nil, err
			}
			return out.Configuration, nil
		},
		"ListVersionsByFunction": func(c *lambda.Client) (*types.FunctionConfiguration, error) {
			out, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("sealed")})
			if err != nil {
				return nil, err
			}
			return &out.Versions[1], nil
		},
		"ListFunctions": func(c *lambda.Client) (*types.FunctionConfiguration, error) {
			out, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
			if err != nil {
				return nil, err
			}
			return &out.Functions[0], nil
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			open, err := read(clientAs(t, b.url, emulator.ActorAdmin))
			if err != nil {
				t.Fatal(err)
			}
			if open.Environment == nil || open.Environment.Variables["NODE_OPTIONS"] != "--require /x.js" || aws.ToString(open.KMSKeyArn) != key {
				t.Errorf("a decrypter sees %+v", open.Environment)
			}
			sealed, err := read(b.client)
			if err != nil {
				t.Fatal(err)
			}
			if e := sealed.Environment; e == nil || len(e.Variables) != 0 || e.Error == nil || aws.ToString(e.Error.ErrorCode) != "AccessDeniedException" {
				t.Errorf("another caller sees %+v, want Environment.Error and no variables", e)
			}
		})
	}
}
