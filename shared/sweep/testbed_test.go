package sweep_test

import (
	"context"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/sweep"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
)

var (
	trustedProfile = "arn:aws:signer:" + region + ":" + account + ":/signing-profiles/trusted"
	cscARN         = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:csc-0000000000000000a"
	oneOnMain      = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
)

// mixedWorld has functions and repositories in every state the rules
// distinguish, and one exempt function of each bad kind.
func mixedWorld() *emulator.World {
	fresh := func(name string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{Name: name, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}}}
	}
	signed := func(name string) lambdaemu.FunctionWorld {
		f := fresh(name)
		f.SignedBy = "trusted"
		f.CodeSigningConfig = "csc-0000000000000000a"
		return f
	}
	good := signed("good")
	good.Versions = []lambdaemu.VersionWorld{{}}
	good.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1"}}

	unsigned := fresh("unsigned")

	released := signed("released-latest")
	released.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "$LATEST"}}

	rogue := signed("rogue-code")
	rogue.Versions = []lambdaemu.VersionWorld{{}}
	rogue.SignedBy = "rogue" // $LATEST signed by an untrusted profile its lax CSC allows
	rogue.CodeSigningConfig = "csc-0000000000000000b"

	return &emulator.World{
		Lambda: lambdaemu.World{
			SigningProfiles: []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}, {Name: "rogue", Version: "v000000002"}},
			CodeSigningConfigs: []lambdaemu.CSCWorld{{
				ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce",
			}, {
				ID: "csc-0000000000000000b", AllowedPublishers: []string{"trusted", "rogue"}, UntrustedArtifactOnDeployment: "Enforce",
			}},
			Functions: []lambdaemu.FunctionWorld{good, unsigned, released, rogue, fresh("sandbox-toy")},
		},
		Repos: repoemu.World{
			Repositories:          []repoemu.Repository{{Name: "reviewed", DefaultBranch: "main"}, {Name: "unreviewed", DefaultBranch: "main"}},
			ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: settings.DefaultApprovalTemplate, Content: oneOnMain}},
			TemplateAssociations:  []repoemu.TemplateAssociation{{Template: settings.DefaultApprovalTemplate, Repository: "reviewed"}},
			CodeGuruAssociations:  []repoemu.CodeGuruAssociation{{Repository: "reviewed", State: "Associated"}},
		},
	}
}

func baseSettings(mode finding.Mode) settings.Settings {
	return settings.Settings{
		Mode: mode, TrustedProfiles: []string{trustedProfile}, CodeSigningConfigARN: cscARN,
		ExemptFunctions: []string{"sandbox-*"}, ApprovalTemplate: settings.DefaultApprovalTemplate,
		RequiredApprovals: 1, ProtectedBranches: []string{"main"}, LambdaRate: 5,
	}
}

// testbed is the emulator serving a world, with the guard's real clients.
type testbed struct {
	srv    *emulator.Server
	url    string
	lambda *lambda.Client
	cc     *codecommit.Client
	cg     *codegurureviewer.Client
	cfg    settings.Settings
}

func clientConfig(t testing.TB, actor string) aws.Config {
	t.Helper()
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == actor {
			return aws.Config{
				Region:      region,
				Credentials: credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretKey, ""),
				Retryer: func() aws.Retryer {
					return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
						o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
							so.MaxAttempts = 20
							so.MaxBackoff = 2 * time.Second
						})
					})
				},
			}
		}
	}
	t.Fatalf("no actor %q", actor)
	return aws.Config{}
}

func newTestbed(t testing.TB, w *emulator.World, mode finding.Mode) *testbed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.Env.BaseURL = ts.URL
	if err := srv.LoadWorld(w); err != nil {
		t.Fatalf("load world: %v", err)
	}
	cfg := clientConfig(t, emulator.ActorGuard)
	return &testbed{
		srv: srv, url: ts.URL, cfg: baseSettings(mode),
		lambda: lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(ts.URL) }),
		cc:     codecommit.NewFromConfig(cfg, func(o *codecommit.Options) { o.BaseEndpoint = aws.String(ts.URL) }),
		cg:     codegurureviewer.NewFromConfig(cfg, func(o *codegurureviewer.Options) { o.BaseEndpoint = aws.String(ts.URL) }),
	}
}

func (tb *testbed) lister() *sweep.Lister {
	return &sweep.Lister{Lambda: tb.lambda, Repositories: tb.cc, Settings: tb.cfg}
}

func (tb *testbed) worker(sink sweep.Sink) *sweep.Worker {
	return &sweep.Worker{
		Aliases: tb.lambda, Decide: decide.Decide, Settings: tb.cfg, Sink: sink,
		Repositories:    repoguard.New(tb.cc, tb.cg, tb.cfg),
		LambdaActor:     lambdaguard.New(tb.lambda, tb.cfg),
		RepositoryActor: repoguard.New(tb.cc, tb.cg, tb.cfg),
	}
}

// collect is a sink that keeps every result.
type collect struct {
	mu      sync.Mutex
	results []sweep.Result
}

func (c *collect) Result(_ context.Context, r sweep.Result) error {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
	return nil
}

// keys returns the findings' keys, sorted.
func (c *collect) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.results {
		for _, f := range r.Decision.Findings {
			out = append(out, f.Key())
		}
	}
	sort.Strings(out)
	return out
}

// sender records the alerts the tracker sends.
type sender struct {
	mu        sync.Mutex
	alerts    []alert.Alert
	summaries []alert.Summary
	fail      error
}

func (s *sender) Send(_ context.Context, a alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.alerts = append(s.alerts, a)
	return nil
}

func (s *sender) SendSummary(_ context.Context, sum alert.Summary) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.summaries = append(s.summaries, sum)
	return nil
}

func (s *sender) reset() {
	s.mu.Lock()
	s.alerts, s.summaries = nil, nil
	s.mu.Unlock()
}
