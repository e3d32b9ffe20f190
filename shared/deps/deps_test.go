package deps_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
	table   = "selfguard-ledger"
)

var motoServer *moto.Server

func TestMain(m *testing.M) {
	s, err := moto.Start(context.Background())
	if err != nil && os.Getenv("CI") != "" {
		fmt.Fprintln(os.Stderr, "moto is required in CI:", err)
		os.Exit(1)
	}
	motoServer = s
	code := m.Run()
	if s != nil {
		s.Stop()
	}
	os.Exit(code)
}

// unsetAWS clears the variables AWSConfig reads, so the developer's own
// environment cannot leak into a case; t.Setenv restores them afterwards.
func unsetAWS(t *testing.T) {
	t.Helper()
	for _, k := range []string{deps.EnvRegion, deps.EnvDefaultRegion, deps.EnvAccessKeyID, deps.EnvSecretAccessKey,
		deps.EnvSessionToken, deps.EnvEndpointURL, deps.EnvIgnoreConfiguredEndpoints,
		"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_CODECOMMIT",
		"AWS_ENDPOINT_URL_CODEGURU_REVIEWER", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func setenv(t *testing.T, kv []string) {
	t.Helper()
	for _, e := range kv {
		for i := 0; i < len(e); i++ {
			if e[i] == '=' {
				t.Setenv(e[:i], e[i+1:])
				break
			}
		}
	}
}

func guardActor(t *testing.T) awsproto.Actor {
	t.Helper()
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == emulator.ActorGuard {
			return a
		}
	}
	t.Fatal("no guard actor")
	return awsproto.Actor{}
}

// TestLoadReachesEveryServiceAsLambdaConfiguresIt sets the environment the
// local test bed gives a bootstrap (Lambda's variables plus per-service
// endpoints: moto for SNS and DynamoDB, the selfguard emulator for Lambda,
// CodeCommit and CodeGuru Reviewer) and calls each service with the
// configuration Load built: region, credentials and endpoints all count,
// since the emulator names the caller from the SigV4 signature and answers
// an unknown access key with 403 UnrecognizedClientException.
func TestLoadReachesEveryServiceAsLambdaConfiguresIt(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server is not installed")
	}
	ctx := context.Background()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(&emulator.World{
		Lambda: lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "pay",
			CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v1"}}}}},
		Repos: repoemu.World{Repositories: []repoemu.Repository{{Name: "payments", DefaultBranch: "main"}}},
	}); err != nil {
		t.Fatal(err)
	}
	unsetAWS(t)
	setenv(t, emulator.SDKEnv(ts.URL, region, guardActor(t)))
	setenv(t, motoServer.Env())
	t.Setenv(deps.EnvSessionToken, "session-token")

	// moto's resources, made by a client of the same configuration.
	cfg, err := deps.AWSConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatalf("create topic through moto: %v", err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, ledger.CreateTableInput(table)); err != nil {
		t.Fatalf("create table through moto: %v", err)
	}
	t.Setenv(settings.EnvTopicARN, aws.ToString(topic.TopicArn))
	t.Setenv(settings.EnvLedgerTable, table)

	d, err := deps.Load(ctx, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if d.AWS.Region != region {
		t.Errorf("region = %q, want %q", d.AWS.Region, region)
	}
	creds, err := d.AWS.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != guardActor(t).AccessKeyID || creds.SessionToken != "session-token" {
		t.Errorf("credentials = %+v, %v; want the guard actor's with the session token", creds, err)
	}
	if err := d.Alerter.Publish(ctx, alert.Message{Subject: "test", Body: "body"}); err != nil {
		t.Errorf("publish through moto: %v", err)
	}
	if ok, err := d.Ledger.Claim(ctx, "evt-1"); err != nil || !ok {
		t.Errorf("claim through moto = %v, %v", ok, err)
	}
	if _, err := lambda.NewFromConfig(d.AWS).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("pay")}); err != nil {
		t.Errorf("GetFunction through the emulator: %v", err)
	}
	if _, err := codecommit.NewFromConfig(d.AWS).GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("payments")}); err != nil {
		t.Errorf("GetRepository through the emulator: %v", err)
	}
	if _, err := codegurureviewer.NewFromConfig(d.AWS).ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{}); err != nil {
		t.Errorf("ListRepositoryAssociations through the emulator: %v", err)
	}
}

// TestAWSConfigEndpoints checks the endpoint rules config.LoadDefaultConfig
// applies and AWSConfig must keep: a service's own variable wins over
// AWS_ENDPOINT_URL, which serves every other service, and
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns both off.
func TestAWSConfigEndpoints(t *testing.T) {
	cases := []struct {
		name              string
		env               []string
		wantSNS, wantDyDB string
	}{
		{"none: the SDK's own resolution", nil, "", ""},
		{"per service, and only for that service", []string{"AWS_ENDPOINT_URL_SNS=http://sns.local"}, "http://sns.local", ""},
		{"global, and per service over it", []string{"AWS_ENDPOINT_URL=http://all.local", "AWS_ENDPOINT_URL_DYNAMODB=http://ddb.local"},
			"http://all.local", "http://ddb.local"},
		{"ignored", []string{"AWS_ENDPOINT_URL=http://all.local", "AWS_ENDPOINT_URL_SNS=http://sns.local",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			unsetAWS(t)
			setenv(t, []string{"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"})
			setenv(t, tc.env)
			cfg, err := deps.AWSConfig(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(sns.NewFromConfig(cfg).Options().BaseEndpoint); got != tc.wantSNS {
				t.Errorf("SNS endpoint = %q, want %q", got, tc.wantSNS)
			}
			if got := aws.ToString(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint); got != tc.wantDyDB {
				t.Errorf("DynamoDB endpoint = %q, want %q", got, tc.wantDyDB)
			}
		})
	}
}

func TestAWSConfigRefusesAnIncompleteEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  []string
	}{
		{"no region", []string{"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}},
		{"no credentials", []string{"AWS_REGION=" + region}},
		{"no secret", []string{"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			unsetAWS(t)
			setenv(t, tc.env)
			if _, err := deps.AWSConfig(os.Getenv); !errors.Is(err, deps.ErrMissing) {
				t.Errorf("err = %v, want ErrMissing", err)
			}
		})
	}
	t.Run("AWS_DEFAULT_REGION serves when AWS_REGION is unset", func(t *testing.T) {
		unsetAWS(t)
		setenv(t, []string{"AWS_DEFAULT_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"})
		cfg, err := deps.AWSConfig(os.Getenv)
		if err != nil || cfg.Region != region {
			t.Errorf("region = %q, %v", cfg.Region, err)
		}
	})
}

// TestLoadGivesEveryFunctionTheSameParts: the guards and the sweep are wired
// from one Load, Security Hub included only when the deployment asks.
func TestLoadGivesEveryFunctionTheSameParts(t *testing.T) {
	base := []string{"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret",
		"SELFGUARD_TOPIC_ARN=arn:aws:sns:" + region + ":111122223333:alerts", "SELFGUARD_LEDGER_TABLE=ledger"}
	for _, tc := range []struct {
		name    string
		env     []string
		wantHub bool
	}{
		{"Security Hub off by default", nil, false},
		{"Security Hub when enabled", []string{"SELFGUARD_SECURITY_HUB=true"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unsetAWS(t)
			setenv(t, append(append([]string{}, base...), tc.env...))
			d, err := deps.Load(context.Background(), os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if d.DB == nil || d.Ledger == nil || d.Alerter == nil || (d.Hub != nil) != tc.wantHub {
				t.Errorf("deps %+v, want hub %v", d, tc.wantHub)
			}
		})
	}
	if err := deps.Missing("X"); !errors.Is(err, deps.ErrMissing) {
		t.Errorf("Missing = %v", err)
	}
}

// TestAGuardRefusesToStartInEnforceModeTrustingNothing: a guard function's
// dependencies do not load with Mode=enforce and no trusted profile, so the
// function fails at its start (Lambda reports an initialization error) rather
// than contain every function of the account.
func TestAGuardRefusesToStartInEnforceModeTrustingNothing(t *testing.T) {
	unsetAWS(t)
	setenv(t, []string{"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"})
	t.Setenv(settings.EnvMode, "enforce")
	t.Setenv(settings.EnvTrustedProfiles, "")
	if _, err := deps.Load(context.Background(), os.Getenv); !errors.Is(err, settings.ErrEnforceTrustsNothing) {
		t.Errorf("Load = %v, want ErrEnforceTrustsNothing", err)
	}
}
