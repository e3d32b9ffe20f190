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

func updateCode(name, revision string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateFunctionCodeOutput, error) {
		in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip("v2")}
		if revision != "" {
			in.RevisionId = aws.String(revision)
		}
		return c.UpdateFunctionCode(ctx, in)
	})
}

func updateConfig(name, revision string, layers []string) call {
	return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateFunctionConfigurationOutput, error) {
		in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: layers}
		if revision != "" {
			in.RevisionId = aws.String(revision)
		}
		if layers == nil {
			in.Timeout = aws.Int32(30)
		}
		return c.UpdateFunctionConfiguration(ctx, in)
	})
}

// lastUpdate returns LastUpdateStatus and its reason code from an update
// or GetFunction output.
func lastUpdate(t *testing.T, out any) (types.LastUpdateStatus, types.LastUpdateStatusReasonCode) {
	t.Helper()
	switch o := out.(type) {
	case *lambda.UpdateFunctionCodeOutput:
		return o.LastUpdateStatus, o.LastUpdateStatusReasonCode
	case *lambda.UpdateFunctionConfigurationOutput:
		return o.LastUpdateStatus, o.LastUpdateStatusReasonCode
	case *lambda.GetFunctionOutput:
		return o.Configuration.LastUpdateStatus, o.Configuration.LastUpdateStatusReasonCode
	}
	t.Fatalf("no LastUpdateStatus in %T", out)
	return "", ""
}

// sameUpdateState fails when the emulator reports another LastUpdateStatus
// or reason code than AWS did at the same point of the sequence.
func sameUpdateState(t *testing.T, what string, ref, got outcome) {
	t.Helper()
	if ref.err != nil || got.err != nil {
		return
	}
	rs, rc := lastUpdate(t, ref.out)
	gs, gc := lastUpdate(t, got.out)
	if rs != gs || rc != gc {
		t.Errorf("%s: LastUpdateStatus %q reason %q, AWS %q reason %q", what, gs, gc, rs, rc)
	}
}

// slowUpdates is a world whose one function keeps every update in
// progress for a minute of emulator time, so the calls after one meet it
// as AWS's did.
func slowUpdates(fn lambdaemu.FunctionWorld) lambdaemu.World {
	fn.Name, fn.Timeout = "fn", 30
	return lambdaemu.World{UpdateDelayMs: aws.Int(60_000), Functions: []lambdaemu.FunctionWorld{fn}}
}

// withEnv is an environment; the recorded functions of the RevisionId and
// layer sequences had one (empty), so Environment.Variables is set there.
var withEnv = map[string]string{"A": ""}

// bugLayerArchitectures is an emulator bug the layer recordings show.
const bugLayerArchitectures = "EMULATOR BUG (reported to the lambdaemu owner): PublishLayerVersion echoes CompatibleArchitectures " +
	"but does not keep them, so GetLayerVersion, GetLayerVersionByArn and ListLayerVersions leave them out where AWS returns them"

func TestAsynchronousUpdatesDecodeLikeAWS(t *testing.T) {
	r := newReplay(t)
	e := newEmu(t, slowUpdates(lambdaemu.FunctionWorld{}))
	e.finish()
	getAllow := allowance{awsOnly: prefixed("Configuration.", modernConfig)}

	ref, got := r.against(t, e, "UpdateFunctionCode in progress", snapshotStep(t, fileInProgress, "update-function-response"),
		updateCode("fn", ""), allowance{awsOnly: modernConfig})
	sameUpdateState(t, "UpdateFunctionCode", ref, got)
	ref, got = r.against(t, e, "GetFunction while the update runs", snapshotStep(t, fileInProgress, "get-function-response-updated"),
		getFunction("fn", ""), getAllow)
	sameUpdateState(t, "GetFunction while the update runs", ref, got)
	r.against(t, e, "UpdateFunctionCode during an update", snapshotStep(t, fileConflict, "update-during-in-progress-update-exc"),
		updateCode("fn", ""), allowance{})
	e.finish()
	ref, got = r.against(t, e, "GetFunction after the update", snapshotStep(t, fileInProgress, "get-function-response"),
		getFunction("fn", ""), getAllow)
	sameUpdateState(t, "GetFunction after the update", ref, got)
}

func TestStaleRevisionIdsFailLikeAWS(t *testing.T) {
	r := newReplay(t)
	e := newEmu(t, slowUpdates(lambdaemu.FunctionWorld{Environment: withEnv,
		Versions: []lambdaemu.VersionWorld{{}}, Aliases: []lambdaemu.AliasWorld{{Name: "revision_alias", FunctionVersion: "1"}}}))
	e.finish()
	const stale = "d4a47d6a-0000-4000-8000-000000000000"
	cfgAllow := allowance{awsOnly: modernConfig}
	r.sequence(t, e, []step{
		{"UpdateFunctionCode with a stale RevisionId", snapshotStep(t, fileRevCode, "update_function_revision_exception"), updateCode("fn", stale), allowance{}},
		{"UpdateFunctionCode", snapshotStep(t, fileRevCode, "update_function_code_response_rev3"), updateCode("fn", ""), cfgAllow},
	})
	e.finish() // the recording waited for the update before the next call
	r.sequence(t, e, []step{
		{"UpdateFunctionConfiguration with a stale RevisionId", snapshotStep(t, fileRevCode, "update_function_configuration_revision_exception"),
			updateConfig("fn", stale, nil), allowance{}},
	})
	e.finish()
	r.sequence(t, e, []step{
		{"UpdateFunctionConfiguration", snapshotStep(t, fileRevCode, "update_function_configuration_response_rev5"), updateConfig("fn", "", nil), cfgAllow},
	})
	e.finish()
	r.sequence(t, e, []step{
		{"PublishVersion with a stale RevisionId", snapshotStep(t, fileRevAlias, "publish_version_revision_exception"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PublishVersionOutput, error) {
				return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: aws.String(stale)})
			}), allowance{}},
		{"PublishVersion", snapshotStep(t, fileRevAlias, "publish_version_response_rev_v1"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PublishVersionOutput, error) {
				return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
			}), cfgAllow},
		{"CreateAlias", snapshotStep(t, fileRevAlias, "create_alias_response_rev_a1"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateAliasOutput, error) {
				return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("other"), FunctionVersion: aws.String("1")})
			}), allowance{}},
		{"UpdateAlias with a stale RevisionId", snapshotStep(t, fileRevAlias, "update_alias_revision_exception"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateAliasOutput, error) {
				return c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("revision_alias"),
					Description: aws.String("something changed"), RevisionId: aws.String(stale)})
			}), allowance{}},
		{"UpdateAlias", snapshotStep(t, fileRevAlias, "update_alias_response_rev_a2"),
			wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateAliasOutput, error) {
				return c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("revision_alias"),
					Description: aws.String("something changed")})
			}), allowance{}},
		{"GetFunction through a missing alias", snapshotStep(t, fileAliases, "get_function_alias_notfound_exc"),
			getFunction("fn", "aliasdoesnotexist"), allowance{}},
	})
}

func TestLayersDecodeLikeAWS(t *testing.T) {
	r := newReplay(t)
	e := newEmu(t, slowUpdates(lambdaemu.FunctionWorld{Environment: withEnv}))
	e.finish()
	ctx := context.Background()
	publish := func(ctx context.Context, c *lambda.Client) (*lambda.PublishLayerVersionOutput, error) {
		return c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("layer"),
			Content:                 &types.LayerVersionContentInput{ZipFile: zip("layer")},
			CompatibleRuntimes:      []types.Runtime{types.RuntimePython312},
			CompatibleArchitectures: []types.Architecture{types.ArchitectureX8664},
			Description:             aws.String("a layer"), LicenseInfo: aws.String("MIT")})
	}
	_, got := r.against(t, e, "PublishLayerVersion", snapshotStep(t, fileLayers, "publish_result"), wrap(publish), allowance{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	layer := got.out.(*lambda.PublishLayerVersionOutput)
	before := t.Failed()
	r.against(t, e, "GetLayerVersion", snapshotStep(t, fileLayers, "get_layer_ver_result"),
		wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetLayerVersionOutput, error) {
			return c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("layer"), VersionNumber: aws.Int64(layer.Version)})
		}), allowance{})
	r.against(t, e, "GetLayerVersionByArn", snapshotStep(t, fileLayers, "get_layer_by_arn_version"),
		wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetLayerVersionByArnOutput, error) {
			return c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: layer.LayerVersionArn})
		}), allowance{})
	if _, err := publish(ctx, e.lambda); err != nil {
		t.Fatal(err)
	}
	r.against(t, e, "ListLayerVersions", snapshotStep(t, fileLayers, "list_layer_versions_predelete"),
		wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListLayerVersionsOutput, error) {
			return c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("layer")})
		}), allowance{})
	if !before && t.Failed() {
		t.Error(bugLayerArchitectures)
	}
	ref, upd := r.against(t, e, "UpdateFunctionConfiguration with a layer", snapshotStep(t, fileLayers, "update_fn_config"),
		updateConfig("fn", "", []string{*layer.LayerVersionArn}), allowance{awsOnly: modernConfig})
	sameUpdateState(t, "UpdateFunctionConfiguration with a layer", ref, upd)
	e.finish()
	r.against(t, e, "GetFunctionConfiguration with a layer", snapshotStep(t, fileLayers, "get_fn_config"), getConfig("fn"),
		allowance{awsOnly: modernConfig})
}
