package lambdaemu_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// ListLayers gives this account's layers only, by name, each with its
// newest version, and pages.
func TestListLayersGivesTheOwnLayersWithTheirNewestVersion(t *testing.T) {
	code := lambdaemu.CodeWorld{Files: map[string]string{"lib": "x"}}
	b := newBed(t, lambdaemu.World{Layers: []lambdaemu.LayerWorld{
		{Name: "zeta", CodeWorld: code}, {Name: "alpha", CodeWorld: code}, {Name: "alpha", CodeWorld: code},
		{Name: "theirs", Account: "999988887777", CodeWorld: code},
	}})
	ctx := context.Background()
	out, err := b.client.ListLayers(ctx, &lambda.ListLayersInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Layers) != 1 || aws.ToString(out.Layers[0].LayerName) != "alpha" || out.Layers[0].LatestMatchingVersion.Version != 2 ||
		aws.ToString(out.Layers[0].LayerArn) != "arn:aws:lambda:"+region+":"+account+":layer:alpha" || out.NextMarker == nil {
		t.Fatalf("first page %+v", out)
	}
	out, err = b.client.ListLayers(ctx, &lambda.ListLayersInput{Marker: out.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Layers) != 1 || aws.ToString(out.Layers[0].LayerName) != "zeta" || out.NextMarker != nil {
		t.Fatalf("second page %+v", out)
	}
}
