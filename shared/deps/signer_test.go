package deps_test

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/deps"
)

// TestSignerReachesTheLocalEndpointForEveryOperation: with the test bed's
// environment (AWS_ENDPOINT_URL_SIGNER) the Signer client built from
// Lambda's environment reaches the emulator, GetRevocationStatus included,
// whose "data-" host prefix would otherwise send it nowhere.
func TestSignerReachesTheLocalEndpointForEveryOperation(t *testing.T) {
	ctx := context.Background()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(&emulator.World{Lambda: lambdaemu.World{
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "release", Version: "Rel0000001"}},
	}}); err != nil {
		t.Fatal(err)
	}
	unsetAWS(t)
	t.Setenv(deps.EnvEndpointURLSigner, "")
	setenv(t, emulator.SDKEnv(ts.URL, region, guardActor(t)))
	cfg, err := deps.AWSConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c := deps.Signer(cfg, os.Getenv)
	p, err := c.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release")})
	if err != nil || aws.ToString(p.ProfileVersion) != "Rel0000001" {
		t.Fatalf("GetSigningProfile = %+v, %v", p, err)
	}
	rs, err := c.GetRevocationStatus(ctx, &signer.GetRevocationStatusInput{SignatureTimestamp: aws.Time(time.Now()),
		PlatformId: aws.String(lambdaemu.PlatformLambda), ProfileVersionArn: p.ProfileVersionArn,
		JobArn:            aws.String("arn:aws:signer:" + region + ":" + account + ":/signing-jobs/00000000-0000-4000-8000-000000000000"),
		CertificateHashes: []string{"00ff"}})
	if err != nil || len(rs.RevokedEntities) != 0 {
		t.Fatalf("GetRevocationStatus = %+v, %v", rs, err)
	}
}

func TestSignerKeepsTheHostPrefixWithoutAConfiguredEndpoint(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want int // API options the client gains
	}{
		{"AWS: no endpoint configured", nil, 0},
		{"the Signer endpoint", map[string]string{deps.EnvEndpointURLSigner: "http://127.0.0.1:1"}, 1},
		{"the shared endpoint", map[string]string{deps.EnvEndpointURL: "http://127.0.0.1:1"}, 1},
		{"configured endpoints ignored", map[string]string{deps.EnvEndpointURLSigner: "http://127.0.0.1:1", deps.EnvIgnoreConfiguredEndpoints: "true"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			var o signer.Options
			deps.SignerOptions(getenv)(&o)
			if len(o.APIOptions) != tc.want {
				t.Errorf("%d API options, want %d", len(o.APIOptions), tc.want)
			}
		})
	}
}
