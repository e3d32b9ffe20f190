package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
)

type bed struct {
	srv *emulator.Server
	url string
}

func newBed(t *testing.T) *bed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	return &bed{srv: srv, url: ts.URL}
}

func (b *bed) creds(t *testing.T, actor string) aws.CredentialsProviderFunc {
	t.Helper()
	a, ok := b.srv.Identities.ByName(actor)
	if !ok {
		t.Fatalf("no actor %q", actor)
	}
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretKey}, nil
	}
}

func (b *bed) lambda(t *testing.T, actor string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(b.url), RetryMaxAttempts: 1, Credentials: b.creds(t, actor)})
}

func (b *bed) codecommit(t *testing.T, actor string) *codecommit.Client {
	return codecommit.New(codecommit.Options{Region: region, BaseEndpoint: aws.String(b.url), RetryMaxAttempts: 1, Credentials: b.creds(t, actor)})
}

func zip(body string) []byte { return lambdaemu.ZipOf(map[string]string{"bootstrap": body}) }

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLoadWorldIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	newActor := awsproto.Actor{Name: "newcomer", AccessKeyID: "AKIANEWCOMER00000001", SecretKey: "s",
		Identity: awsproto.Identity{Type: "IAMUser", ARN: "arn:aws:iam::999988887777:user/newcomer", UserName: "newcomer"}}
	goodLambda := lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "incoming"}}}
	goodRepos := repoemu.World{Repositories: []repoemu.Repository{{Name: "incoming-repo"}}}
	for _, tc := range []struct {
		name    string
		world   emulator.World
		wantErr string
	}{
		{name: "a world rejected in its lambda section changes nothing", wantErr: "lambda world",
			world: emulator.World{Account: "999988887777", Actors: []awsproto.Actor{newActor},
				Lambda: lambdaemu.World{Functions: []lambdaemu.FunctionWorld{{Name: "not a name"}}}, Repos: goodRepos}},
		{name: "a world rejected in its repos section leaves the lambda state too", wantErr: "repos",
			world: emulator.World{Actors: []awsproto.Actor{newActor}, Lambda: goodLambda,
				Repos: repoemu.World{Repositories: []repoemu.Repository{{Name: "incoming-repo"}, {Name: "incoming-repo"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t)
			lc, cc := b.lambda(t, emulator.ActorDeveloper), b.codecommit(t, emulator.ActorDeveloper)
			if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("kept"), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::" + account + ":role/fn"), Code: &types.FunctionCode{ZipFile: zip("v1")}}); err != nil {
				t.Fatal(err)
			}
			if _, err := cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("kept-repo")}); err != nil {
				t.Fatal(err)
			}
			// Still Pending: the exact state, in-flight update included, must come back.
			before, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("kept")})
			if err != nil {
				t.Fatal(err)
			}

			err = b.srv.LoadWorld(&tc.world)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("LoadWorld error %v, want one about %s", err, tc.wantErr)
			}

			if b.srv.Env.Account != account {
				t.Errorf("account %s after a rejected world, want %s", b.srv.Env.Account, account)
			}
			if _, ok := b.srv.Identities.ByName(newActor.Name); ok {
				t.Error("a rejected world's actor was added")
			}
			after, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("kept")})
			if err != nil {
				t.Fatalf("function kept is gone after a rejected world: %v", err)
			}
			if aws.ToString(after.Configuration.RevisionId) != aws.ToString(before.Configuration.RevisionId) ||
				after.Configuration.State != before.Configuration.State {
				t.Errorf("function kept is %s/%s, was %s/%s", after.Configuration.State, aws.ToString(after.Configuration.RevisionId),
					before.Configuration.State, aws.ToString(before.Configuration.RevisionId))
			}
			if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("incoming")}); errorCode(err) != "ResourceNotFoundException" {
				t.Errorf("the rejected world's function: %v, want ResourceNotFoundException", err)
			}
			repos, err := cc.ListRepositories(ctx, &codecommit.ListRepositoriesInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(repos.Repositories) != 1 || aws.ToString(repos.Repositories[0].RepositoryName) != "kept-repo" {
				t.Errorf("repositories %+v, want only kept-repo", repos.Repositories)
			}

			// The same world, fixed, loads whole.
			fixed := emulator.World{Actors: []awsproto.Actor{newActor}, Lambda: goodLambda, Repos: goodRepos}
			if err := b.srv.LoadWorld(&fixed); err != nil {
				t.Fatal(err)
			}
			if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("incoming")}); err != nil {
				t.Errorf("a loaded world's function: %v", err)
			}
			if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("kept")}); errorCode(err) != "ResourceNotFoundException" {
				t.Errorf("a function the loaded world lacks: %v, want ResourceNotFoundException", err)
			}
			if _, ok := b.srv.Identities.ByName(newActor.Name); !ok {
				t.Error("a loaded world's actor is missing")
			}
		})
	}
}

func TestSDKEnvSetsTheRegionForTheSDKAndTheCLIv1(t *testing.T) {
	a := emulator.DefaultActors(account)[0]
	env := map[string]string{}
	for _, kv := range emulator.SDKEnv("http://127.0.0.1:4599", region, a) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("%q is not KEY=VALUE", kv)
		}
		env[k] = v
	}
	for k, want := range map[string]string{
		"AWS_REGION": region, "AWS_DEFAULT_REGION": region,
		"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:4599", "AWS_ENDPOINT_URL_CODECOMMIT": "http://127.0.0.1:4599",
		"AWS_ENDPOINT_URL_CODEGURU_REVIEWER": "http://127.0.0.1:4599", "AWS_ENDPOINT_URL_SIGNER": "http://127.0.0.1:4599",
		"AWS_ACCESS_KEY_ID": a.AccessKeyID, "AWS_SECRET_ACCESS_KEY": a.SecretKey,
	} {
		if env[k] != want {
			t.Errorf("%s=%q, want %q", k, env[k], want)
		}
	}
}

func TestFaultsAdminAPITakesLatencyAsAGoDuration(t *testing.T) {
	b := newBed(t)
	do := func(method, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, b.url+emulator.AdminPrefix+"faults", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	if status, body := do(http.MethodPut, `[{"service":"lambda","operation":"ListFunctions","latency":"40ms"}]`); status != http.StatusOK {
		t.Fatalf("PUT faults: %d %s", status, body)
	}
	status, body := do(http.MethodGet, "")
	var got []map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil || status != http.StatusOK {
		t.Fatalf("GET faults: %d %s (%v)", status, body, err)
	}
	if len(got) != 1 || got[0]["latency"] != "40ms" {
		t.Errorf("GET faults: %s, want latency \"40ms\"", body)
	}
	start := time.Now()
	if _, err := b.lambda(t, emulator.ActorDeveloper).ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Errorf("ListFunctions took %s under a 40ms latency fault", took)
	}
	if status, body := do(http.MethodPut, `[{"service":"lambda","operation":"*","latency":40000000}]`); status != http.StatusBadRequest {
		t.Errorf("PUT faults with latency in nanoseconds: %d %s, want 400", status, body)
	}
}

func TestTrailStampsCreationDateOnActorsAWorldAdds(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.srv.Env.Clock.Set(time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC))
	robot := awsproto.Actor{Name: "robot", AccessKeyID: "ASIAROBOT00000000001", SecretKey: "s", Identity: awsproto.Identity{
		Type: "AssumedRole", PrincipalID: "AROAROBOT:run", AccountID: account,
		ARN: "arn:aws:sts::" + account + ":assumed-role/robot-role/run"}}
	if err := b.srv.LoadWorld(&emulator.World{Actors: []awsproto.Actor{robot}}); err != nil {
		t.Fatal(err)
	}
	for _, actor := range []string{"robot", emulator.ActorCI} {
		if _, err := b.codecommit(t, actor).CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("r-" + actor)}); err != nil {
			t.Fatal(err)
		}
	}
	evs := b.srv.Env.Trail.Since(0)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	for _, ev := range evs {
		var e struct {
			Detail struct {
				UserIdentity struct {
					ARN            string `json:"arn"`
					SessionContext struct {
						Attributes map[string]string `json:"attributes"`
					} `json:"sessionContext"`
				} `json:"userIdentity"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(ev.Event, &e); err != nil {
			t.Fatal(err)
		}
		id := e.Detail.UserIdentity
		if got := id.SessionContext.Attributes["creationDate"]; got != "2025-06-01T09:00:00Z" {
			t.Errorf("%s: creationDate %q, want the session's 2025-06-01T09:00:00Z", id.ARN, got)
		}
		if got := id.SessionContext.Attributes["mfaAuthenticated"]; got != "false" {
			t.Errorf("%s: mfaAuthenticated %q, want false", id.ARN, got)
		}
	}
}
