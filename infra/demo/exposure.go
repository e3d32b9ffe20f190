package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/testbed"
)

// exposureScenarios are the stories of who can invoke the code: Stratus
// Red Team's "backdoor a Lambda function" (one AddPermission call), and a
// function URL opened to the internet.
func exposureScenarios() []Scenario {
	return []Scenario{
		{
			Name: "mallory backdoors payments-api: anyone may invoke it (stratus-red-team lambda-backdoor-function)", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.Lambda(mallory).AddPermission(ctx, &lambda.AddPermissionInput{
					FunctionName: aws.String(testbed.Payments), StatementId: aws.String("backdoor"),
					Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
				})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if has, err := hasStatement(ctx, b, testbed.Payments, "backdoor"); err != nil || has {
					return fmt.Errorf("the backdoor statement is still in payments-api's policy (%v)", err)
				}
				if err := alerted(alerts, testbed.Payments+"#backdoor", "lambda.public-invoke", "done"); err != nil {
					return err
				}
				return alertSays(alerts, "lambda.public-invoke", `"Sid":"backdoor"`,
					"To undo: aws lambda add-permission --function-name payments-api --statement-id backdoor --action lambda:InvokeFunction --principal '*'")
			},
		},
		{
			Name: "alice opens orders-api to the internet with a function URL", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				l := b.Lambda(alice)
				fn := aws.String(testbed.Orders)
				if _, err := l.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: fn, AuthType: types.FunctionUrlAuthTypeNone}); err != nil {
					return err
				}
				// As the console does: both permissions a NONE URL needs since October 2025.
				if _, err := l.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: fn, StatementId: aws.String("FunctionURLAllowPublicAccess"),
					Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
					return err
				}
				_, err := l.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: fn, StatementId: aws.String("FunctionURLAllowInvokeAction"),
					Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true)})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				out, err := b.Lambda(emulator.ActorAdmin).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(testbed.Orders)})
				if err != nil {
					return err
				}
				if out.AuthType != types.FunctionUrlAuthTypeAwsIam {
					return fmt.Errorf("orders-api's URL has AuthType %s, want AWS_IAM", out.AuthType)
				}
				if err := alerted(alerts, testbed.Orders, "lambda.public-url", "done"); err != nil {
					return err
				}
				return alertSays(alerts, "lambda.public-url", "To undo: aws lambda update-function-url-config --function-name orders-api --auth-type NONE")
			},
		},
	}
}

func hasStatement(ctx context.Context, b *testbed.Bed, fn, sid string) (bool, error) {
	out, err := b.Lambda(emulator.ActorAdmin).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return strings.Contains(aws.ToString(out.Policy), `"Sid":"`+sid+`"`), nil
}
