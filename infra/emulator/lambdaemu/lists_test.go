package lambdaemu_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// AWS documents that ListFunctions returns no state fields and the
// recorded ListVersionsByFunction responses have none either: code that
// reads State from a list must fail here as it would against AWS.
func TestListsLeaveOutStateThatGetFunctionReports(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, lambdaemu.World{})
	if _, err := createZip(t, b, "fn", zipOf("v1"), ""); err != nil {
		t.Fatal(err)
	}
	listed := func(t *testing.T) []types.FunctionConfiguration {
		t.Helper()
		fs, err := b.client.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := b.client.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn")})
		if err != nil {
			t.Fatal(err)
		}
		return append(fs.Functions, vs.Versions...)
	}
	for _, tc := range []struct {
		name      string
		step      func(t *testing.T)
		wantState types.State
	}{
		{name: "while the create is pending", step: func(*testing.T) {}, wantState: types.StatePending},
		{name: "once active and published", wantState: types.StateActive, step: func(t *testing.T) {
			b.settle()
			if _, err := b.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.step(t)
			got, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Configuration.State != tc.wantState {
				t.Errorf("GetFunction State %q, want %q", got.Configuration.State, tc.wantState)
			}
			for _, c := range listed(t) {
				if c.State != "" || c.StateReason != nil || c.StateReasonCode != "" ||
					c.LastUpdateStatus != "" || c.LastUpdateStatusReason != nil || c.LastUpdateStatusReasonCode != "" {
					t.Errorf("listed %s:%s carries state fields (State %q, LastUpdateStatus %q); AWS lists leave them out",
						aws.ToString(c.FunctionName), aws.ToString(c.Version), c.State, c.LastUpdateStatus)
				}
			}
		})
	}
}

func TestLayerVersionsKeepTheirCompatibleArchitectures(t *testing.T) {
	ctx := context.Background()
	archs := []types.Architecture{types.ArchitectureArm64, types.ArchitectureX8664}
	b := newBed(t, lambdaemu.World{Layers: []lambdaemu.LayerWorld{{Name: "from-world", CompatibleArchitectures: []string{"arm64"}}}})
	pub, err := b.client.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("published"),
		Content: &types.LayerVersionContentInput{ZipFile: zipOf("layer")}, CompatibleArchitectures: archs})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pub.CompatibleArchitectures, archs) {
		t.Errorf("PublishLayerVersion CompatibleArchitectures %v, want %v", pub.CompatibleArchitectures, archs)
	}

	check := func(t *testing.T, c *lambda.Client, layer string, want []types.Architecture) {
		t.Helper()
		got, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.CompatibleArchitectures, want) {
			t.Errorf("GetLayerVersion %s: %v, want %v", layer, got.CompatibleArchitectures, want)
		}
		byArn, err := c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: got.LayerVersionArn})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(byArn.CompatibleArchitectures, want) {
			t.Errorf("GetLayerVersionByArn %s: %v, want %v", layer, byArn.CompatibleArchitectures, want)
		}
		list, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.LayerVersions) != 1 || !slices.Equal(list.LayerVersions[0].CompatibleArchitectures, want) {
			t.Errorf("ListLayerVersions %s: %+v, want one version with %v", layer, list.LayerVersions, want)
		}
	}
	check(t, b.client, "published", archs)
	check(t, b.client, "from-world", []types.Architecture{types.ArchitectureArm64})

	// A dump keeps them, so a reloaded world answers the same.
	b2 := newBed(t, b.srv.Lambda.DumpWorld())
	check(t, b2.client, "published", archs)
	check(t, b2.client, "from-world", []types.Architecture{types.ArchitectureArm64})
}
