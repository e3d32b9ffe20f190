package observe

import (
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"

	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const fnARN = "arn:aws:lambda:eu-west-1:111122223333:function:pay"

// recorder is a hand-written Lambda that answers from fixed state and
// records the calls made, so tests can count what a read costs.
type recorder struct {
	calls   []string
	image   bool
	csc     string
	aliases map[string]types.AliasConfiguration
	gone    bool
}

func (r *recorder) nf() error {
	return &types.ResourceNotFoundException{Message: aws.String("not found")}
}

func (r *recorder) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	q := aws.ToString(in.Qualifier)
	r.calls = append(r.calls, "GetFunction"+map[bool]string{true: ":" + q, false: ""}[q != ""])
	if r.gone {
		return nil, r.nf()
	}
	if q == "" {
		q = snapshot.Latest
	}
	fc := &types.FunctionConfiguration{FunctionName: aws.String("pay"), FunctionArn: aws.String(fnARN), Version: aws.String(q),
		RevisionId: aws.String("rev-" + q), CodeSha256: aws.String("sha-" + q), PackageType: types.PackageTypeZip,
		SigningProfileVersionArn: aws.String("arn:aws:signer:eu-west-1:111122223333:/signing-profiles/p/v1"),
		Layers:                   []types.Layer{{Arn: aws.String("arn:aws:lambda:eu-west-1:999988887777:layer:x:1"), CodeSize: 10}}}
	if r.image {
		fc.PackageType = types.PackageTypeImage
	}
	return &lambda.GetFunctionOutput{Configuration: fc, Concurrency: &types.Concurrency{ReservedConcurrentExecutions: aws.Int32(5)}}, nil
}

func (r *recorder) GetFunctionCodeSigningConfig(context.Context, *lambda.GetFunctionCodeSigningConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionCodeSigningConfigOutput, error) {
	r.calls = append(r.calls, "GetFunctionCodeSigningConfig")
	return &lambda.GetFunctionCodeSigningConfigOutput{CodeSigningConfigArn: aws.String(r.csc), FunctionName: aws.String("pay")}, nil
}

func (r *recorder) GetCodeSigningConfig(_ context.Context, in *lambda.GetCodeSigningConfigInput, _ ...func(*lambda.Options)) (*lambda.GetCodeSigningConfigOutput, error) {
	r.calls = append(r.calls, "GetCodeSigningConfig")
	return &lambda.GetCodeSigningConfigOutput{CodeSigningConfig: &types.CodeSigningConfig{
		CodeSigningConfigArn: in.CodeSigningConfigArn,
		AllowedPublishers:    &types.AllowedPublishers{SigningProfileVersionArns: []string{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/p/v1"}},
		CodeSigningPolicies:  &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyEnforce},
	}}, nil
}

func (r *recorder) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	r.calls = append(r.calls, "GetAlias")
	a, ok := r.aliases[aws.ToString(in.Name)]
	if !ok {
		return nil, r.nf()
	}
	return &lambda.GetAliasOutput{AliasArn: a.AliasArn, Name: a.Name, FunctionVersion: a.FunctionVersion, RevisionId: a.RevisionId, RoutingConfig: a.RoutingConfig}, nil
}

func (r *recorder) ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	r.calls = append(r.calls, "ListAliases")
	out := &lambda.ListAliasesOutput{}
	for _, a := range r.aliases {
		out.Aliases = append(out.Aliases, a)
	}
	return out, nil
}

func (r *recorder) ListVersionsByFunction(_ context.Context, in *lambda.ListVersionsByFunctionInput, _ ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	r.calls = append(r.calls, "ListVersionsByFunction")
	if aws.ToString(in.Marker) == "" {
		return &lambda.ListVersionsByFunctionOutput{NextMarker: aws.String("page2"), Versions: []types.FunctionConfiguration{
			{Version: aws.String(snapshot.Latest)}, {Version: aws.String("1"), PackageType: types.PackageTypeZip}}}, nil
	}
	return &lambda.ListVersionsByFunctionOutput{Versions: []types.FunctionConfiguration{{Version: aws.String("2"), PackageType: types.PackageTypeZip}}}, nil
}

func alias(name, version string, weights map[string]float64) types.AliasConfiguration {
	a := types.AliasConfiguration{Name: aws.String(name), AliasArn: aws.String(fnARN + ":" + name), FunctionVersion: aws.String(version), RevisionId: aws.String("arev")}
	if weights != nil {
		a.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
	}
	return a
}

// TestReadCosts holds the Reader to the costs the package doc states.
func TestReadCosts(t *testing.T) {
	const csc = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"
	const other = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-2"
	cases := []struct {
		name  string
		rec   *recorder
		scope Scope
		want  string
	}{
		{"code event, the configured CSC attached", &recorder{csc: csc}, ScopeCode,
			"GetFunction GetFunctionCodeSigningConfig"},
		{"code event, another CSC attached", &recorder{csc: other}, ScopeCode,
			"GetFunction GetFunctionCodeSigningConfig GetCodeSigningConfig"},
		{"CSC event, the configured CSC attached", &recorder{csc: csc}, ScopeCodeSigningConfig,
			"GetFunction GetFunctionCodeSigningConfig GetCodeSigningConfig"},
		{"code event, no CSC", &recorder{}, ScopeCode, "GetFunction GetFunctionCodeSigningConfig"},
		{"code event, container image", &recorder{image: true, csc: csc}, ScopeCode, "GetFunction"},
		{"alias event, one version", &recorder{aliases: map[string]types.AliasConfiguration{"prod": alias("prod", "3", nil)}},
			ScopeAlias("prod"), "GetAlias GetFunction:3"},
		{"alias event, weighted", &recorder{aliases: map[string]types.AliasConfiguration{"prod": alias("prod", "3", map[string]float64{"4": 0.1})}},
			ScopeAlias("prod"), "GetAlias GetFunction:3 GetFunction:4"},
		{"alias event, $LATEST", &recorder{aliases: map[string]types.AliasConfiguration{"prod": alias("prod", snapshot.Latest, nil)}},
			ScopeAlias("prod"), "GetAlias"},
		{"alias event, alias deleted meanwhile", &recorder{}, ScopeAlias("prod"), "GetAlias"},
		{"publish event: the version published, on GetFunction's own quota", &recorder{csc: csc}, ScopePublished("7"),
			"GetFunction GetFunctionCodeSigningConfig GetFunction:7"},
		{"full sweep of one function", &recorder{csc: csc, aliases: map[string]types.AliasConfiguration{"prod": alias("prod", "2", map[string]float64{"3": 0.5})}},
			ScopeFull, "GetFunction GetFunctionCodeSigningConfig GetCodeSigningConfig ListVersionsByFunction ListVersionsByFunction ListAliases GetFunction:3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.rec)
			r.ConfiguredCSC = csc
			if _, err := r.Read(context.Background(), "pay", tc.scope); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(tc.rec.calls, " "); got != tc.want {
				t.Errorf("calls = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadsForTheEdgeAndForDeletion: the aliases are listed once with
// the versions they route to, and a config an event named is read by ARN.
func TestReadsForTheEdgeAndForDeletion(t *testing.T) {
	rec := &recorder{aliases: map[string]types.AliasConfiguration{"prod": alias("prod", "2", nil)}}
	r := NewReader(rec)
	s, err := r.Read(context.Background(), "pay", ScopePublished("7"))
	if err != nil {
		t.Fatal(err)
	}
	rec.calls = nil
	for i := 0; i < 2; i++ {
		if err := r.ReadAliases(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(rec.calls, " "); got != "ListAliases GetFunction:2" || !s.AliasesRead || len(s.Aliases) != 1 {
		t.Errorf("calls %q, aliases %+v (read %v), want one listing and the routed version", got, s.Aliases, s.AliasesRead)
	}
	const named = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-9"
	if err := r.ReadCSC(context.Background(), &s, named); err != nil {
		t.Fatal(err)
	}
	if c, ok := s.ConfigsRead[named]; !ok || !c.Enforced() || len(c.AllowedPublishers) != 1 {
		t.Errorf("configs read %+v", s.ConfigsRead)
	}
	if _, ok := s.Versions["7"]; !ok {
		t.Errorf("the published version was not read: %v", s.Versions)
	}
}

func TestReadFillsTheSnapshot(t *testing.T) {
	rec := &recorder{csc: "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1",
		aliases: map[string]types.AliasConfiguration{"prod": alias("prod", "3", map[string]float64{"4": 0.25})}}
	r := NewReader(rec)
	s, err := r.Read(context.Background(), fnARN+":prod", Scope{Latest: true, CodeSigning: true, Aliases: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case s.Name != "pay" || s.Account != "111122223333" || s.PackageType != snapshot.PackageZip:
		t.Errorf("identity = %q %q %q", s.Name, s.Account, s.PackageType)
	case !s.LatestRead || s.Latest.RevisionID != "rev-$LATEST" || s.Latest.SigningProfileVersionARN == "":
		t.Errorf("latest = %+v", s.Latest)
	case len(s.Latest.Layers) != 1 || s.Latest.Layers[0].Account() != "999988887777":
		t.Errorf("layers = %+v", s.Latest.Layers)
	case s.ReservedConcurrency == nil || *s.ReservedConcurrency != 5:
		t.Errorf("reserved concurrency = %v", s.ReservedConcurrency)
	case s.CSC == nil || !s.CSC.Enforced() || len(s.CSC.AllowedPublishers) != 1:
		t.Errorf("csc = %+v", s.CSC)
	case len(s.Aliases) != 1 || s.Aliases[0].AdditionalWeights["4"] != 0.25:
		t.Errorf("aliases = %+v", s.Aliases)
	case s.Versions["3"].CodeSha256 != "sha-3" || s.Versions["4"].CodeSha256 != "sha-4":
		t.Errorf("routed versions = %+v", s.Versions)
	}
	if err := r.ReadVersions(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if !s.VersionsListed || len(s.Versions) != 4 {
		t.Errorf("after listing, versions = %v (listed %v), want 1, 2, 3, 4", s.Versions, s.VersionsListed)
	}
}

// TestConfiguredCSCPolicyIsMarkedUnread checks that a skipped policy is
// never mistaken for a read one: the decision must know not to judge it.
func TestConfiguredCSCPolicyIsMarkedUnread(t *testing.T) {
	const csc = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"
	for _, tc := range []struct {
		name    string
		scope   Scope
		notRead bool
	}{
		{"code event leaves it unread", ScopeCode, true},
		{"CSC event reads it", ScopeCodeSigningConfig, false},
		{"the sweep reads it", ScopeFull, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(&recorder{csc: csc})
			r.ConfiguredCSC = csc
			s, err := r.Read(context.Background(), "pay", tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			if s.CSC == nil || s.CSC.ARN != csc || s.CSC.PolicyNotRead != tc.notRead {
				t.Fatalf("csc = %+v, want %s with PolicyNotRead %v", s.CSC, csc, tc.notRead)
			}
			if !tc.notRead && (!s.CSC.Enforced() || len(s.CSC.AllowedPublishers) != 1) {
				t.Errorf("policy read but not filled: %+v", s.CSC)
			}
		})
	}
}

func TestReadOfAMissingFunction(t *testing.T) {
	_, err := NewReader(&recorder{gone: true}).Read(context.Background(), "pay", ScopeCode)
	var nf *snapshot.NotFoundError
	if !errors.Is(err, snapshot.ErrNotFound) || !errors.As(err, &nf) || nf.Function != "pay" {
		t.Fatalf("err = %v, want a snapshot.NotFoundError for pay", err)
	}
}

func TestRoutesAndVersionOrder(t *testing.T) {
	a := snapshot.Alias{FunctionVersion: "9", AdditionalWeights: map[string]float64{"10": 0.2, "2": 0.05}}
	rs := a.Routes()
	if len(rs) != 3 || rs[0].Version != "9" || rs[1].Version != "2" || rs[2].Version != "10" {
		t.Fatalf("routes = %+v", rs)
	}
	if w := rs[0].Weight; w < 0.7499 || w > 0.7501 {
		t.Errorf("primary weight = %v, want 0.75", w)
	}
	if !snapshot.VersionLess("9", "10") || snapshot.VersionLess(snapshot.Latest, "1") {
		t.Errorf("version order is not numeric with $LATEST last")
	}
}
