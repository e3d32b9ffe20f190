package signeremu_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	"github.com/aws/aws-sdk-go-v2/service/signer/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/signeremu"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
	// releaseARN is the version ARN of the world's release profile.
	releaseARN = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/Rel0000001"
	enforceCSC = "csc-enforce0000000000"
	warnCSC    = "csc-warn0000000000000"
	aliceARN   = "arn:aws:iam::111122223333:user/alice"
)

// bed is an emulator behind an HTTP server with real Signer and Lambda
// clients acting as the developer alice.
type bed struct {
	srv    *emulator.Server
	url    string
	signer *signer.Client
	lambda *lambda.Client
}

// signingWorld has the release profile, an Enforce and a Warn CSC trusting
// it, and an unsigned zip in S3 to sign.
func signingWorld() *emulator.World {
	return &emulator.World{Lambda: lambdaemu.World{
		UpdateDelayMs:   aws.Int(0),
		Quotas:          &lambdaemu.Quotas{},
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "release", Version: "Rel0000001"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{
			{ID: enforceCSC, AllowedPublishers: []string{"release"}, UntrustedArtifactOnDeployment: "Enforce"},
			{ID: warnCSC, AllowedPublishers: []string{"release"}, UntrustedArtifactOnDeployment: "Warn"},
		},
		S3Objects: []lambdaemu.S3ObjectWorld{{Bucket: "artifacts", Key: "app.zip",
			Data: lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho release\n"})}},
	}}
}

func newBed(t *testing.T, w *emulator.World) *bed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if w != nil {
		if err := srv.LoadWorld(w); err != nil {
			t.Fatalf("load world: %v", err)
		}
	}
	b := &bed{srv: srv, url: ts.URL}
	b.signer = b.signerAs(t, emulator.ActorDeveloper)
	b.lambda = lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
		Credentials: b.creds(t, emulator.ActorDeveloper)})
	return b
}

func (b *bed) creds(t *testing.T, actor string) aws.CredentialsProvider {
	t.Helper()
	a, ok := b.srv.Identities.ByName(actor)
	if !ok {
		t.Fatalf("no actor %q", actor)
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
	})
}

// signerAs returns a signer client of an actor, with retries off and the
// host prefix of GetRevocationStatus disabled, as docs/emulator.md says.
func (b *bed) signerAs(t *testing.T, actor string) *signer.Client {
	t.Helper()
	return signer.New(signer.Options{Region: region, BaseEndpoint: aws.String(b.url), RetryMaxAttempts: 1,
		Credentials: b.creds(t, actor), APIOptions: []func(*middleware.Stack) error{signeremu.NoEndpointHostPrefix}})
}

// startJob signs the world's artifacts/app.zip with a profile and returns
// the job id.
func (b *bed) startJob(t *testing.T, profile string) string {
	t.Helper()
	out, err := b.signer.StartSigningJob(context.Background(), &signer.StartSigningJobInput{
		ProfileName: aws.String(profile), Source: srcOf("app.zip"), Destination: dstOf(),
	})
	if err != nil {
		t.Fatalf("StartSigningJob: %v", err)
	}
	return aws.ToString(out.JobId)
}

// deploySignedObject creates a function from the object a job signed,
// under a CSC.
func (b *bed) deploySignedObject(t *testing.T, name, jobID, csc string) (*lambda.CreateFunctionOutput, error) {
	t.Helper()
	job := must(b.signer.DescribeSigningJob(context.Background(), &signer.DescribeSigningJobInput{JobId: aws.String(jobID)}))(t)
	return b.lambda.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role:                 aws.String("arn:aws:iam::" + account + ":role/fn"),
		Code:                 &lambdatypes.FunctionCode{S3Bucket: job.SignedObject.S3.BucketName, S3Key: job.SignedObject.S3.Key},
		CodeSigningConfigArn: aws.String("arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + csc),
	})
}

// wantError fails unless err is an API error with that code and HTTP status.
func wantError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: HTTP status %v, want %d", code, re, status)
	}
}

// must turns a call's (value, error) into the value, failing the test on
// an error: must(client.Op(ctx, in))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// details returns the detail of every trail event after seq, and checks
// each envelope's source.
func (b *bed) details(t *testing.T, seq int64) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range b.srv.Env.Trail.Since(seq) {
		var env struct {
			Source string         `json:"source"`
			Detail map[string]any `json:"detail"`
		}
		if err := json.Unmarshal(ev.Event, &env); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(env.Detail["eventSource"].(string), "signer.") && env.Source != signeremu.BusSource {
			t.Errorf("envelope source %q for a Signer event", env.Source)
		}
		out = append(out, env.Detail)
	}
	return out
}

func (b *bed) seq() int64 { return int64(len(b.srv.Env.Trail.Since(0))) }

// jobIDOf returns the job id at the end of a signing job ARN.
func jobIDOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// apiCode returns the AWS error code of err, or "" for nil.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// fetch downloads a Code.Location URL.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return data
}

// srcOf is the source of a job: version 1 of a key of the artifacts bucket.
func srcOf(key string) *types.Source {
	return &types.Source{S3: &types.S3Source{BucketName: aws.String("artifacts"), Key: aws.String(key), Version: aws.String("1")}}
}

// dstOf is the destination of a job: the artifacts bucket, prefix signed/.
func dstOf() *types.Destination {
	return &types.Destination{S3: &types.S3Destination{BucketName: aws.String("artifacts"), Prefix: aws.String("signed/")}}
}
