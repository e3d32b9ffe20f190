package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/readonly"
	"github.com/selfguard/selfguard/shared/report"
)

const (
	auditAccount = "111122223333"
	auditRegion  = "eu-west-1"
)

// auditWorld: one function clean but for an unsigned published version, one
// unsigned without a CSC, one whose alias releases $LATEST, an exempt one,
// and a repository without review.
func auditWorld() *emulator.World {
	signed := func(name string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{
			Name: name, CodeSigningConfig: "csc-0000000000000000a",
			CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}, SignedBy: "trusted"},
			Versions:  []lambdaemu.VersionWorld{{}},
		}
	}
	// good's version 2 was published unsigned and no alias routes to it:
	// invocable by its qualified ARN all the same.
	good := signed("good")
	good.Versions = append(good.Versions, lambdaemu.VersionWorld{CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "gap"}}})
	released := signed("released-latest")
	released.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "$LATEST"}}
	unsigned := lambdaemu.FunctionWorld{Name: "unsigned", CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "x"}}}
	return &emulator.World{
		Lambda: lambdaemu.World{
			SigningProfiles: []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}},
			CodeSigningConfigs: []lambdaemu.CSCWorld{{
				ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce",
			}},
			Functions: []lambdaemu.FunctionWorld{good, unsigned, released,
				{Name: "sandbox-toy", CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "toy"}}}},
		},
		Repos: repoemu.World{Repositories: []repoemu.Repository{{Name: "unreviewed", DefaultBranch: "main"}}},
	}
}

// auditEnv serves the world and points the SDK's default configuration at
// it, as `eval $(selfguard local)` would.
func auditEnv(t *testing.T) *emulator.Server {
	t.Helper()
	srv := emulator.New(auditAccount, auditRegion)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(auditWorld()); err != nil {
		t.Fatal(err)
	}
	admin, _ := srv.Identities.ByName(emulator.ActorAdmin)
	for _, kv := range emulator.SDKEnv(ts.URL, auditRegion, admin) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL_STS", ts.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("SELFGUARD_TRUSTED_PROFILES", "arn:aws:signer:"+auditRegion+":"+auditAccount+":/signing-profiles/trusted")
	t.Setenv("SELFGUARD_EXEMPT_FUNCTIONS", "sandbox-*")
	t.Setenv("SELFGUARD_MODE", "enforce") // audit must ignore it
	return srv
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditFormatsAgreeOnTheSameWorld(t *testing.T) {
	srv := auditEnv(t)
	trailBefore := len(srv.Env.Trail.Since(0))

	code, table, stderr := runCLI(t, "audit", "--fail-on", "critical")
	if code != ExitOK {
		t.Fatalf("table: exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"HIGH", "unsigned", "released-latest:live", "unreviewed", "lambda.unsigned-code", "3 functions",
		"lambda.untrusted-version", "good:2"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "sandbox-toy") || strings.Contains(stderr, "\r") {
		t.Errorf("table shows the exempt function, or a progress bar went to a non-terminal:\n%s\n%q", table, stderr)
	}

	_, js, _ := runCLI(t, "audit", "--format", "json", "--fail-on", "critical")
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, js)
	}
	if rep.Functions != 3 || rep.Repositories != 1 || len(rep.Accounts) != 1 || rep.Accounts[0] != auditAccount {
		t.Errorf("json report: %d functions, %d repositories, accounts %v", rep.Functions, rep.Repositories, rep.Accounts)
	}

	_, asffOut, _ := runCLI(t, "audit", "--format", "asff", "--fail-on", "critical")
	var findings []map[string]any
	if err := json.Unmarshal([]byte(asffOut), &findings); err != nil {
		t.Fatalf("asff: %v", err)
	}
	if len(findings) != len(rep.Items) || len(findings) == 0 {
		t.Fatalf("asff has %d findings, json %d", len(findings), len(rep.Items))
	}
	for _, f := range findings {
		id, _ := f["Id"].(string)
		for _, field := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources"} {
			if f[field] == nil {
				t.Errorf("%s: required field %s missing", id, field)
			}
		}
		if f["SchemaVersion"] != "2018-10-08" || f["AwsAccountId"] != auditAccount {
			t.Errorf("%s: schema %v account %v", id, f["SchemaVersion"], f["AwsAccountId"])
		}
		if want := "arn:aws:securityhub:" + auditRegion + ":" + auditAccount + ":product/" + auditAccount + "/default"; f["ProductArn"] != want {
			t.Errorf("%s: ProductArn %v, want %s", id, f["ProductArn"], want)
		}
		sev, _ := f["Severity"].(map[string]any)
		switch sev["Label"] {
		case "LOW", "MEDIUM", "HIGH", "CRITICAL":
		default:
			t.Errorf("%s: severity label %v", id, sev["Label"])
		}
		res, _ := f["Resources"].([]any)
		if len(res) != 1 {
			t.Fatalf("%s: %d resources", id, len(res))
		}
		r0, _ := res[0].(map[string]any)
		rid, _ := r0["Id"].(string)
		typ := r0["Type"]
		switch {
		case strings.Contains(id, "/repository/"):
			if typ != "Other" || !strings.HasPrefix(rid, "arn:aws:codecommit:"+auditRegion+":"+auditAccount+":") {
				t.Errorf("%s: repository resource %v %s", id, typ, rid)
			}
		default:
			if typ != "AwsLambdaFunction" || !strings.HasPrefix(rid, "arn:aws:lambda:"+auditRegion+":"+auditAccount+":function:") {
				t.Errorf("%s: function resource %v %s", id, typ, rid)
			}
		}
		if r0["Region"] != auditRegion {
			t.Errorf("%s: resource region %v", id, r0["Region"])
		}
		for _, ts := range []string{"CreatedAt", "UpdatedAt"} {
			if s, _ := f[ts].(string); !strings.HasSuffix(s, "Z") || len(s) != len("2006-01-02T15:04:05.000Z") {
				t.Errorf("%s: %s %q is not an ISO 8601 UTC time", id, ts, s)
			}
		}
		if types, _ := f["Types"].([]any); len(types) != 1 || strings.Count(types[0].(string), "/") < 1 {
			t.Errorf("%s: Types %v", id, f["Types"])
		}
		if rem, ok := f["Remediation"].(map[string]any); ok {
			rec, _ := rem["Recommendation"].(map[string]any)
			if txt, _ := rec["Text"].(string); txt == "" || len(txt) > 512 {
				t.Errorf("%s: remediation text %q", id, txt)
			}
		}
	}

	if after := len(srv.Env.Trail.Since(0)); after != trailBefore {
		t.Errorf("audit wrote to the account: %d trail events", after-trailBefore)
	}
}

func TestAuditExitCodes(t *testing.T) {
	auditEnv(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"findings at or above high fail the pipeline", []string{"audit"}, ExitFindings},
		{"no critical findings pass with --fail-on critical", []string{"audit", "--fail-on", "critical"}, ExitOK},
		{"filters narrow what counts", []string{"audit", "--rule", "repo.*", "--fail-on", "high"}, ExitFindings},
		{"a resource filter with no match passes", []string{"audit", "--resource", "nothing-*"}, ExitOK},
		{"an unknown severity is a usage error", []string{"audit", "--fail-on", "severe"}, ExitUsage},
		{"an unknown format is a usage error", []string{"audit", "--format", "xml"}, ExitUsage},
		{"exclusive scopes are a usage error", []string{"audit", "--functions-only", "--repositories-only"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, stderr := runCLI(t, tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d (stderr %s)", code, tt.want, stderr)
			}
		})
	}
	t.Run("an unreachable account is an error", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:1")
		if code, _, _ := runCLI(t, "audit", "--functions-only"); code != ExitError {
			t.Errorf("exit %d, want %d", code, ExitError)
		}
	})
}

func TestReadOnlyClientRefusesWritesBeforeTheySend(t *testing.T) {
	srv := auditEnv(t)
	admin, _ := srv.Identities.ByName(emulator.ActorAdmin)
	client := lambda.NewFromConfig(aws.Config{
		Region: auditRegion, Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretKey, ""),
	}, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(srv.Env.BaseURL)
		o.APIOptions = append(o.APIOptions, readonly.Reads)
	})
	before := len(srv.Env.Trail.Since(0))
	_, err := client.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("good"), ReservedConcurrentExecutions: aws.Int32(0),
	})
	if !errors.Is(err, readonly.ErrWrite) {
		t.Errorf("write through the audit client: %v, want readonly.ErrWrite", err)
	}
	if after := len(srv.Env.Trail.Since(0)); after != before {
		t.Errorf("the refused write reached the emulator's trail")
	}
	if _, err := client.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("good")}); err != nil {
		t.Errorf("a read through the audit client failed: %v", err)
	}
}
