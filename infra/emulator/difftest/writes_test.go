package difftest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// missingCSC is a well-formed ARN of a code signing config that does not exist.
const missingCSC = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:csc-0123456789abcdefg"

func zip(body string) []byte { return lambdaemu.ZipOf(map[string]string{"bootstrap": body}) }

// step is one call of a recorded sequence: the recording it is held to
// and the allowance.
type step struct {
	name  string
	rec   canned
	call  call
	allow allowance
}

func (r *replay) sequence(t *testing.T, e *emu, steps []step) {
	t.Helper()
	for _, s := range steps {
		r.against(t, e, s.name, s.rec, s.call, s.allow)
	}
}

func TestCodeSigningConfigLifecycleDecodesLikeAWS(t *testing.T) {
	r := newReplay(t)
	e := newEmu(t, lambdaemu.World{UpdateDelayMs: aws.Int(0), SigningProfiles: []lambdaemu.ProfileWorld{{Name: "test"}},
		Functions: []lambdaemu.FunctionWorld{{Name: "fn"}, {Name: "nocsc"}}})
	profile, ok := e.srv.Lambda.ProfileVersionARNOf("test")
	if !ok {
		t.Fatal("no profile version ARN for test")
	}
	ctx := context.Background()
	created, err := e.lambda.CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{
		AllowedPublishers:   &types.AllowedPublishers{SigningProfileVersionArns: []string{profile}},
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce},
		Description:         aws.String("Testing CodeSigning Config"),
	})
	if err != nil {
		t.Fatalf("create on the emulator: %v", err)
	}
	arn := created.CodeSigningConfig.CodeSigningConfigArn
	// The recorded create is compared by replaying the same input once more:
	// the emulator then holds two CSCs, which no later step depends on.
	createCall := wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateCodeSigningConfigOutput, error) {
		return c.CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{
			AllowedPublishers:   &types.AllowedPublishers{SigningProfileVersionArns: []string{profile}},
			CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce},
			Description:         aws.String("Testing CodeSigning Config"),
		})
	})
	listCSCs := snapshotRaw(t, fileCSCLifecycle, "list_code_signing_configs")
	steps := []step{
		{"CreateCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "create_code_signing_config"), createCall, allowance{}},
		{"UpdateCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "update_code_signing_config"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateCodeSigningConfigOutput, error) {
				return c.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: arn,
					CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyWarn}})
			}), allowance{}},
		{"GetCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "get_code_signing_config"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetCodeSigningConfigOutput, error) {
				return c.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: arn})
			}), allowance{}},
		{"PutFunctionCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "put_function_code_signing_config"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PutFunctionCodeSigningConfigOutput, error) {
				return c.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("fn"), CodeSigningConfigArn: arn})
			}), allowance{}},
		{"GetFunctionCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "get_function_code_signing_config"), getFunctionCSC("fn"), allowance{}},
		// LocalStack kept only the list's element; it is put back in its list.
		{"ListCodeSigningConfigs", cannedOf(t, map[string]any{"CodeSigningConfigs": []any{listCSCs}}, 200),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListCodeSigningConfigsOutput, error) {
				return c.ListCodeSigningConfigs(ctx, &lambda.ListCodeSigningConfigsInput{})
			}), allowance{}},
		{"ListFunctionsByCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "list_functions_by_code_signing_config"), listByCSC(arn), allowance{}},
		{"GetFunctionCodeSigningConfig of a function without one", snapshotStep(t, fileCSCErrors, "get_function_csc_fnwithoutcsc"),
			getFunctionCSC("nocsc"), allowance{}},
		{"GetFunctionCodeSigningConfig of a missing function", snapshotStep(t, fileCSCErrors, "get_function_csc_nonexistingfn"),
			getFunctionCSC("csc-test-doesnotexist"), allowance{}},
		{"GetCodeSigningConfig of a missing CSC", snapshotStep(t, fileCSCErrors, "get_csc_invalid"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetCodeSigningConfigOutput, error) {
				return c.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(missingCSC)})
			}), allowance{}},
		{"UpdateCodeSigningConfig of a missing CSC", snapshotStep(t, fileCSCErrors, "update_csc_invalid_csc_arn"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateCodeSigningConfigOutput, error) {
				return c.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: aws.String(missingCSC),
					Description: aws.String("x")})
			}), allowance{}},
		{"PutFunctionCodeSigningConfig of a missing CSC", snapshotStep(t, fileCSCErrors, "put_function_csc_invalid_csc_arn"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PutFunctionCodeSigningConfigOutput, error) {
				return c.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("nocsc"),
					CodeSigningConfigArn: aws.String(missingCSC)})
			}), allowance{}},
		{"PutFunctionCodeSigningConfig on a missing function", snapshotStep(t, fileCSCErrors, "put_function_csc_invalid_fnname"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PutFunctionCodeSigningConfigOutput, error) {
				return c.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("csc-test-doesnotexist"),
					CodeSigningConfigArn: arn})
			}), allowance{}},
		{"ListFunctionsByCodeSigningConfig of a missing CSC", snapshotStep(t, fileCSCErrors, "list_functions_by_csc_invalid_cscarn"),
			listByCSC(aws.String(missingCSC)), allowance{}},
		{"DeleteFunctionCodeSigningConfig on a missing function", snapshotStep(t, fileCSCErrors, "delete_function_csc_fnnotfound"),
			deleteFunctionCSC("csc-test-doesnotexist"), allowance{}},
		{"DeleteFunctionCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "delete_function_code_signing_config"), deleteFunctionCSC("fn"), allowance{}},
		{"DeleteCodeSigningConfig", snapshotStep(t, fileCSCLifecycle, "delete_code_signing_config"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteCodeSigningConfigOutput, error) {
				return c.DeleteCodeSigningConfig(ctx, &lambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: arn})
			}), allowance{}},
		{"DeleteCodeSigningConfig of a missing CSC", snapshotStep(t, fileCSCErrors, "delete_csc_notfound"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteCodeSigningConfigOutput, error) {
				return c.DeleteCodeSigningConfig(ctx, &lambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: aws.String(missingCSC)})
			}), allowance{}},
	}
	r.sequence(t, e, steps)

	// An unused CSC lists no functions as an empty list, not a missing one.
	r.against(t, e, "ListFunctionsByCodeSigningConfig of an unused CSC", snapshotStep(t, fileCSCErrors, "list_functions_by_csc_fnwithoutcsc"),
		listByCSC(arn2(t, e, profile)), allowance{})
}

// arn2 creates a second, unused CSC on the emulator.
func arn2(t *testing.T, e *emu, profile string) *string {
	t.Helper()
	out, err := e.lambda.CreateCodeSigningConfig(context.Background(), &lambda.CreateCodeSigningConfigInput{
		AllowedPublishers: &types.AllowedPublishers{SigningProfileVersionArns: []string{profile}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.CodeSigningConfig.CodeSigningConfigArn
}

func getFunctionCSC(name string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetFunctionCodeSigningConfigOutput, error) {
		return c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(name)})
	})
}

func deleteFunctionCSC(name string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteFunctionCodeSigningConfigOutput, error) {
		return c.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(name)})
	})
}

func listByCSC(arn *string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListFunctionsByCodeSigningConfigOutput, error) {
		return c.ListFunctionsByCodeSigningConfig(ctx, &lambda.ListFunctionsByCodeSigningConfigInput{CodeSigningConfigArn: arn})
	})
}
