package difftest

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

// motoRole creates an IAM role in moto, which moto's CreateFunction
// requires. go.mod has no IAM client, so the query API is called directly;
// moto reads the service from the credential scope and checks no signature.
func motoRole(t *testing.T, base, name string) string {
	t.Helper()
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAMOTO/20250101/"+region+"/iam/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create role in moto: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Arn string `xml:"CreateRoleResult>Role>Arn"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.Arn == "" {
		t.Fatalf("create role in moto: status %d, %s (%v)", resp.StatusCode, body, err)
	}
	return out.Arn
}

// backend is one Lambda implementation with a role it accepts.
type backend struct {
	name   string
	client *lambda.Client
	role   string
}

// motoStep is one call of the shared sequence.
type motoStep struct {
	name string
	call func(b backend) call
	// allow excuses differences where moto is wrong or incomplete; each
	// entry says what moto does.
	allow allowance
	// awsStatus is AWS's HTTP status where moto answers another one.
	awsStatus int
	// settle moves the emulator clock past the update the call starts
	// (moto finishes updates at once).
	settle bool
}

// motoConfigGaps are the FunctionConfiguration fields where moto 5 is
// wrong or incomplete, below prefix.
func motoConfigGaps(prefix string) allowance {
	return allowance{
		awsOnly: prefixed(prefix, map[string]string{
			"Layers": "moto returns an empty Layers list for a function without layers; AWS leaves Layers out",
		}),
		emulatorOnly: prefixed(prefix, map[string]string{
			"RevisionId":                 "moto returns RevisionId null; AWS always sets it",
			"LoggingConfig":              "moto has no LoggingConfig; AWS returns it (since 2023)",
			"StateReason":                "moto creates functions Active at once; AWS answers CreateFunction with Pending, Creating",
			"StateReasonCode":            "moto creates functions Active at once; AWS answers CreateFunction with Pending, Creating",
			"LastUpdateStatusReason":     "moto finishes updates at once; AWS answers an update with InProgress and a reason",
			"LastUpdateStatusReasonCode": "moto finishes updates at once; AWS answers an update with InProgress and a reason",
		}),
	}
}

// motoListStates: moto repeats State and LastUpdateStatus in list
// responses; AWS leaves them out of ListFunctions and ListVersionsByFunction
// (its API reference, and both recordings in testdata/awsapi).
func motoListStates(prefix string) allowance {
	why := "moto returns state fields in list responses; AWS omits them there (get them with GetFunction)"
	return allowance{awsOnly: prefixed(prefix, map[string]string{"State": why, "LastUpdateStatus": why}), emulatorOnly: map[string]string{}}
}

// merge returns the union of allowances.
func merge(as ...allowance) allowance {
	out := allowance{awsOnly: map[string]string{}, emulatorOnly: map[string]string{}}
	for _, a := range as {
		for k, v := range a.awsOnly {
			out.awsOnly[k] = v
		}
		for k, v := range a.emulatorOnly {
			out.emulatorOnly[k] = v
		}
	}
	return out
}

func fixed(c call) func(backend) call { return func(backend) call { return c } }

// motoSequence is the call sequence both implementations get.
func motoSequence() []motoStep {
	return []motoStep{
		{name: "CreateFunction", allow: motoConfigGaps(""), settle: true, call: func(b backend) call {
			return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateFunctionOutput, error) {
				return c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimePython312,
					Handler: aws.String("index.handler"), Role: aws.String(b.role), Code: &types.FunctionCode{ZipFile: zip("v1")},
					Environment: &types.Environment{Variables: map[string]string{"A": "b"}}, Tags: map[string]string{"team": "x"}})
			})
		}},
		{name: "GetFunction", allow: motoConfigGaps("Configuration."), call: fixed(getFunction("fn", ""))},
		{name: "GetFunctionConfiguration", allow: motoConfigGaps(""), call: fixed(getConfig("fn"))},
		{name: "ListFunctions", allow: merge(motoConfigGaps("Functions[]."), motoListStates("Functions[].")), call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListFunctionsOutput, error) {
			return c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		}))},
		{name: "UpdateFunctionCode", allow: motoConfigGaps(""), settle: true, call: fixed(updateCode("fn", ""))},
		{name: "UpdateFunctionConfiguration", allow: motoConfigGaps(""), settle: true, call: fixed(updateConfig("fn", "", nil))},
		{name: "PublishVersion", allow: motoConfigGaps(""), call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PublishVersionOutput, error) {
			return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
		}))},
		{name: "ListVersionsByFunction", allow: merge(motoConfigGaps("Versions[]."), motoListStates("Versions[].")), call: fixed(listVersions("fn"))},
		{name: "CreateAlias", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateAliasOutput, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
		}))},
		{name: "GetAlias", awsStatus: 200, call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetAliasOutput, error) {
			return c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
		}))},
		{name: "UpdateAlias", awsStatus: 200, call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.UpdateAliasOutput, error) {
			return c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), Description: aws.String("moved")})
		}))},
		{name: "ListAliases", call: fixed(listAliases("fn"))},
		{name: "PutFunctionConcurrency", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.PutFunctionConcurrencyOutput, error) {
			return c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(0)})
		}))},
		{name: "GetFunctionConcurrency", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetFunctionConcurrencyOutput, error) {
			return c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("fn")})
		}))},
		{name: "GetFunction with reserved concurrency", allow: merge(motoConfigGaps("Configuration."), allowance{emulatorOnly: map[string]string{
			"Concurrency": "moto leaves Concurrency out of GetFunction; AWS returns it (2018 placebo recording)"}}), call: fixed(getFunction("fn", ""))},
		{name: "DeleteFunctionConcurrency", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteFunctionConcurrencyOutput, error) {
			return c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("fn")})
		}))},
		{name: "ListTags", call: func(b backend) call {
			return wrap(func(ctx context.Context, c *lambda.Client) (*lambda.ListTagsOutput, error) {
				fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
				if err != nil {
					return nil, err
				}
				return c.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.Configuration.FunctionArn})
			})
		}},
		{name: "GetFunction of an unknown function", call: fixed(getFunction("nope", ""))},
		{name: "GetFunctionConfiguration of an unknown function", call: fixed(getConfig("nope"))},
		{name: "UpdateFunctionCode of an unknown function", call: fixed(updateCode("nope", ""))},
		{name: "GetAlias of an unknown alias", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetAliasOutput, error) {
			return c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nope")})
		}))},
		{name: "DeleteFunction", call: fixed(wrap(func(ctx context.Context, c *lambda.Client) (*lambda.DeleteFunctionOutput, error) {
			return c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
		}))},
		{name: "GetFunction after DeleteFunction", call: fixed(getFunction("fn", ""))},
	}
}

func TestMotoAndTheEmulatorAnswerTheSameSequenceAlike(t *testing.T) {
	m := needMoto(t)
	ctx := context.Background()
	mb := backend{name: "moto", client: lambdaAt(m.URL, "AKIAMOTO", "moto"), role: motoRole(t, m.URL, "fn-role")}
	e := newEmu(t, lambdaemu.World{})
	eb := backend{name: "emulator", client: e.lambda, role: "arn:aws:iam::" + account + ":role/fn-role"}
	for _, s := range motoSequence() {
		ref := s.call(mb)(ctx, mb.client)
		got := s.call(eb)(ctx, eb.client)
		if s.awsStatus != 0 {
			if got.status != s.awsStatus {
				t.Errorf("%s: HTTP status %d, AWS's is %d", s.name, got.status, s.awsStatus)
			}
			ref.status = got.status // moto's own status is checked in TestMotoGapsAreStillThere
		}
		compareOutcomes(t, s.name, ref, got, s.allow)
		if s.settle {
			e.finish()
		}
	}
}

// TestMotoGapsAreStillThere checks each documented moto gap on moto, and
// AWS's behaviour on the emulator, so the list in docs/emulator-fidelity.md
// stays true: when a moto release fixes one, this test says so.
func TestMotoGapsAreStillThere(t *testing.T) {
	m := needMoto(t)
	ctx := context.Background()
	e := newEmu(t, lambdaemu.World{SigningProfiles: []lambdaemu.ProfileWorld{{Name: "pub"}}})
	profile := map[string]string{"moto": "arn:aws:signer:" + region + ":123456789012:/signing-profiles/p/abcdefghij"}
	profile["emulator"], _ = e.srv.Lambda.ProfileVersionARNOf("pub")
	backends := []backend{
		{name: "moto", client: lambdaAt(m.URL, "AKIAMOTO", "moto"), role: motoRole(t, m.URL, "fn-role")},
		{name: "emulator", client: e.lambda, role: "arn:aws:iam::" + account + ":role/fn-role"},
	}
	created := map[string]*lambda.CreateFunctionOutput{}
	for _, b := range backends {
		out, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimePython312,
			Handler: aws.String("index.handler"), Role: aws.String(b.role), Code: &types.FunctionCode{ZipFile: zip("v1")}})
		if err != nil {
			t.Fatalf("%s: create: %v", b.name, err)
		}
		created[b.name] = out
	}
	e.finish()

	gaps := []struct {
		name string
		// probe reports whether the backend behaves as AWS does.
		probe func(t *testing.T, b backend) bool
	}{
		{"CreateFunction answers Pending while the function is created", func(t *testing.T, b backend) bool {
			return created[b.name].State == types.StatePending
		}},
		{"RevisionId is set", func(t *testing.T, b backend) bool {
			return created[b.name].RevisionId != nil
		}},
		{"a function without layers has no Layers list", func(t *testing.T, b backend) bool {
			return created[b.name].Layers == nil
		}},
		{"LoggingConfig is returned", func(t *testing.T, b backend) bool {
			return created[b.name].LoggingConfig != nil
		}},
		{"a stale RevisionId fails with 412 PreconditionFailedException", func(t *testing.T, b backend) bool {
			o := updateCode("fn", "d4a47d6a-0000-4000-8000-000000000000")(ctx, b.client)
			return o.status == 412 && o.code == "PreconditionFailedException"
		}},
		{"UpdateFunctionCode answers InProgress", func(t *testing.T, b backend) bool {
			o := updateCode("fn", "")(ctx, b.client)
			if o.err != nil {
				t.Fatalf("%s: %v", b.name, o.err)
			}
			e.finish()
			return o.out.(*lambda.UpdateFunctionCodeOutput).LastUpdateStatus == types.LastUpdateStatusInProgress
		}},
		{"GetFunction returns reserved concurrency", func(t *testing.T, b backend) bool {
			if _, err := b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"),
				ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
			o := getFunction("fn", "")(ctx, b.client)
			return o.err == nil && o.out.(*lambda.GetFunctionOutput).Concurrency != nil
		}},
		{"GetAlias answers 200", func(t *testing.T, b backend) bool {
			if _, err := b.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
				FunctionVersion: aws.String("$LATEST")}); err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
			o := wrap(func(ctx context.Context, c *lambda.Client) (*lambda.GetAliasOutput, error) {
				return c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
			})(ctx, b.client)
			return o.status == 200
		}},
		{"code signing configs exist (CreateCodeSigningConfig answers 201)", func(t *testing.T, b backend) bool {
			o := wrap(func(ctx context.Context, c *lambda.Client) (*lambda.CreateCodeSigningConfigOutput, error) {
				return c.CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{AllowedPublishers: &types.AllowedPublishers{
					SigningProfileVersionArns: []string{profile[b.name]}}})
			})(ctx, b.client)
			if b.name == "moto" {
				t.Logf("moto CreateCodeSigningConfig: status %d, code %q", o.status, o.code)
			}
			return o.status == 201
		}},
	}
	for _, g := range gaps {
		t.Run(g.name, func(t *testing.T) {
			if g.probe(t, backends[0]) {
				t.Errorf("moto now does this as AWS does: drop the gap from the allow-lists and docs/emulator-fidelity.md")
			}
			if !g.probe(t, backends[1]) {
				t.Errorf("the emulator does not do this as AWS does")
			}
		})
	}
}
