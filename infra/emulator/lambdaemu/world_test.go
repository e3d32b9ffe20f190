package lambdaemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

func TestWorldBuildsASignedFunctionAndRoundTrips(t *testing.T) {
	ctx := context.Background()
	w := signingWorld()
	w.Functions = []lambdaemu.FunctionWorld{{
		Name: "payments", CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v2"}, SignedBy: "trusted"},
		CodeSigningConfig: "csc-enforce0000000000", ReservedConcurrency: aws.Int32(5),
		Versions: []lambdaemu.VersionWorld{{CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v1"}}}, {}},
		Aliases:  []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "2", AdditionalVersionWeights: map[string]float64{"1": 0.2}}},
	}}
	b := newBed(t, w)
	get := func(q string) *lambda.GetFunctionOutput {
		out, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if c := get("$LATEST").Configuration; aws.ToString(c.SigningProfileVersionArn) != trustedARN {
		t.Errorf("$LATEST signed by trusted under its CSC: %q", aws.ToString(c.SigningProfileVersionArn))
	}
	if c := get("1").Configuration; c.SigningJobArn != nil {
		t.Errorf("version 1 is unsigned code, loaded unrecorded: %q", aws.ToString(c.SigningJobArn))
	}
	if get("live").Configuration.Version == nil || *get("live").Configuration.Version != "2" {
		t.Error("alias live should resolve to version 2")
	}

	dump := b.srv.Lambda.DumpWorld()
	raw, err := json.Marshal(dump)
	if err != nil {
		t.Fatal(err)
	}
	b2 := newBed(t, lambdaemu.World{})
	decoded, err := emulator.DecodeWorld(bytes.NewReader([]byte(`{"lambda":` + string(raw) + `}`)))
	if err != nil {
		t.Fatalf("decode dumped world strictly: %v", err)
	}
	if err := b2.srv.Lambda.LoadWorld(decoded.Lambda); err != nil {
		t.Fatalf("reload dump: %v", err)
	}
	for _, q := range []string{"$LATEST", "1", "2"} {
		a, _ := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments"), Qualifier: aws.String(q)})
		c, err := b2.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatalf("reloaded %s: %v", q, err)
		}
		if aws.ToString(a.Configuration.CodeSha256) != aws.ToString(c.Configuration.CodeSha256) ||
			aws.ToString(a.Configuration.SigningJobArn) != aws.ToString(c.Configuration.SigningJobArn) {
			t.Errorf("%s after reload: sha %s/%s job %q/%q", q, aws.ToString(a.Configuration.CodeSha256), aws.ToString(c.Configuration.CodeSha256),
				aws.ToString(a.Configuration.SigningJobArn), aws.ToString(c.Configuration.SigningJobArn))
		}
	}
}

func TestWorldIsValidatedStrictly(t *testing.T) {
	cases := []struct {
		name, world, wantErr string
	}{
		{"unknown field", `{"functions":[{"name":"a","colour":"red"}]}`, "unknown field"},
		{"unknown signer", `{"functions":[{"name":"a","signedBy":"ghost"}]}`, `signedBy "ghost"`},
		{"unknown CSC", `{"functions":[{"name":"a","codeSigningConfig":"csc-00000000000000000"}]}`, "no such CSC"},
		{"image with CSC", `{"signingProfiles":[{"name":"p1"}],"codeSigningConfigs":[{"id":"csc-aaaaaaaaaaaaaaaaa","allowedPublishers":["p1"]}],"functions":[{"name":"a","packageType":"Image","imageUri":"x:1","codeSigningConfig":"csc-aaaaaaaaaaaaaaaaa"}]}`, "cannot have a code signing config"},
		{"bad policy", `{"signingProfiles":[{"name":"p1"}],"codeSigningConfigs":[{"allowedPublishers":["p1"],"untrustedArtifactOnDeployment":"Block"}]}`, "Enforce or Warn"},
		{"alias to missing version", `{"functions":[{"name":"a","aliases":[{"name":"live","functionVersion":"3"}]}]}`, `aliases[0] "live"`},
		{"duplicate function", `{"functions":[{"name":"a"},{"name":"a"}]}`, "defined twice"},
		{"missing layer", `{"functions":[{"name":"a","layers":["arn:aws:lambda:eu-west-1:111122223333:layer:x:1"]}]}`, "no such layer version"},
		{"zip and files", `{"functions":[{"name":"a","zip":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==","files":{"a":"b"}}]}`, "not both"},
		{"bad validity", `{"signingProfiles":[{"name":"p1","signatureValidity":"forever"}]}`, "signatureValidity"},
		{"negative quota", `{"quotas":{"getFunctionPerSecond":-1,"controlPlanePerSecond":1}}`, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := emulator.New(account, region)
			if err := srv.Lambda.LoadWorld(lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "kept"}}}); err != nil {
				t.Fatal(err)
			}
			w, err := emulator.DecodeWorld(strings.NewReader(`{"lambda":` + c.world + `}`))
			if err == nil {
				err = srv.Lambda.LoadWorld(w.Lambda)
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
			if d := srv.Lambda.DumpWorld(); len(d.Functions) != 1 || d.Functions[0].Name != "kept" {
				t.Errorf("a failed load changed the state: %+v", d.Functions)
			}
		})
	}
}
