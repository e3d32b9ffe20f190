package decide

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	own     = "111122223333"
	partner = "444455556666"
	mallory = "999988887777"
	org     = "o-a1b2c3d4e5"
	fnARN   = "arn:aws:lambda:eu-west-1:" + own + ":function:pay"
)

// statement builds a policy statement as GetPolicy shows it.
func statement(t *testing.T, js string) snapshot.Statement {
	t.Helper()
	sts, err := snapshot.ParsePolicy(`{"Version":"2012-10-17","Id":"default","Statement":[` + js + `]}`)
	if err != nil || len(sts) != 1 {
		t.Fatalf("statement %s: %v", js, err)
	}
	return sts[0]
}

func invoke(sid, principal, cond string) string {
	s := `{"Sid":"` + sid + `","Effect":"Allow","Principal":` + principal + `,"Action":"lambda:InvokeFunction","Resource":"` + fnARN + `"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func fn(t *testing.T, qualifier string, statements ...string) snapshot.Function {
	f := snapshot.Function{Name: "pay", ARN: fnARN, Account: own, PolicyQualifiers: []string{qualifier}}
	p := snapshot.Policy{Qualifier: qualifier, RevisionID: "rev-1"}
	for _, s := range statements {
		p.Statements = append(p.Statements, statement(t, s))
	}
	if len(p.Statements) > 0 {
		f.Policies = []snapshot.Policy{p}
	}
	return f
}

var cfg = settings.Settings{Exposure: settings.Exposure{TrustedAccounts: []string{partner}, OrganizationID: org}}

// got is a decision in short: "rule resource [action]" per finding.
func got(d finding.Decision) []string {
	var out []string
	for _, f := range d.Findings {
		s := string(f.Rule) + " " + f.Resource + " " + string(f.Severity)
		for _, a := range d.Actions {
			if len(a.For) == 1 && a.For[0] == f.Rule && a.Resource == f.Resource {
				s += " [" + string(a.Kind) + "]"
			}
		}
		out = append(out, s)
	}
	return out
}

func check(t *testing.T, d finding.Decision, want []string) {
	t.Helper()
	g := got(d)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("decision:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPolicyStatements(t *testing.T) {
	const public = "lambda.public-invoke pay#s critical [lambda.remove-permission]"
	const foreign = "lambda.untrusted-account-invoke pay#s high [lambda.remove-permission]"
	tests := []struct {
		name string
		st   string
		cfg  settings.Settings
		want []string
	}{
		{"anyone, no condition: the stratus backdoor", invoke("s", `"*"`, ""), cfg, []string{public}},
		{"AWS * is anyone", invoke("s", `{"AWS":"*"}`, ""), cfg, []string{public}},
		{"NotPrincipal allows everyone else", `{"Sid":"s","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::` + mallory + `:root"},"Action":"lambda:InvokeFunction"}`, cfg, []string{public}},
		{"a deny gives nothing away", `{"Sid":"s","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction"}`, cfg, nil},
		{"the own account", invoke("s", `{"AWS":"arn:aws:iam::`+own+`:root"}`, ""), cfg, nil},
		{"a trusted account", invoke("s", `{"AWS":"arn:aws:iam::`+partner+`:root"}`, ""), cfg, nil},
		{"a role of an untrusted account", invoke("s", `{"AWS":"arn:aws:iam::`+mallory+`:role/x"}`, ""), cfg, []string{foreign}},
		{"an account id as principal", invoke("s", `{"AWS":"`+mallory+`"}`, ""), cfg, []string{foreign}},
		{"own and untrusted together", invoke("s", `{"AWS":["arn:aws:iam::`+own+`:root","arn:aws:iam::`+mallory+`:root"]}`, ""), cfg, []string{foreign}},
		{"an untrusted account limited to our organization", invoke("s", `{"AWS":"`+mallory+`"}`, `{"StringEquals":{"aws:PrincipalOrgID":"`+org+`"}}`), cfg, nil},
		{"S3 limited by source account", invoke("s", `{"Service":"s3.amazonaws.com"}`, `{"StringEquals":{"AWS:SourceAccount":"`+own+`"}}`), cfg, nil},
		{"S3 limited by bucket ARN only: names are global", invoke("s", `{"Service":"s3.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::invoices"}}`), cfg, []string{public}},
		{"a service with no condition: any account's resources", invoke("s", `{"Service":"sns.amazonaws.com"}`, ""), cfg, []string{public}},
		{"API Gateway of the own account", invoke("s", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+own+`:abc123/*/*"}}`), cfg, nil},
		{"API Gateway of a trusted partner", invoke("s", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+partner+`:abc123/*/*"}}`), cfg, nil},
		{"API Gateway of an untrusted account", invoke("s", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+mallory+`:abc123/*/*"}}`), cfg, []string{foreign}},
		{"API Gateway of any account (wildcard)", invoke("s", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:*:abc123/*/*"}}`), cfg, []string{public}},
		{"anyone in our organization", invoke("s", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"`+org+`"}}`), cfg, nil},
		{"anyone in another organization", invoke("s", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}`), cfg, []string{foreign}},
		{"an organization while none is configured", invoke("s", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"`+org+`"}}`), settings.Settings{}, []string{foreign}},
		{"our organization by path", invoke("s", `"*"`, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"`+org+`/r-ab12/ou-ab12-11111111/*"}}`), cfg, nil},
		{"a negated condition limits nothing", invoke("s", `"*"`, `{"StringNotEquals":{"AWS:SourceAccount":"`+mallory+`"}}`), cfg, []string{public}},
		{"IfExists holds when the key is absent", invoke("s", `"*"`, `{"StringEqualsIfExists":{"AWS:SourceAccount":"`+own+`"}}`), cfg, []string{public}},
		{"ForAllValues holds when the key is absent", invoke("s", `"*"`, `{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"`+org+`"}}`), cfg, []string{public}},
		{"a wildcard account limits nothing", invoke("s", `"*"`, `{"StringLike":{"AWS:SourceAccount":"1111*"}}`), cfg, []string{public}},
		{"source IP is not an identity", invoke("s", `"*"`, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), cfg, []string{public}},
		{"FunctionUrlAuthType AWS_IAM: any signed principal of any account", `{"Sid":"s","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}}`, cfg, []string{public}},
		{"one trusted key bounds the grant (keys are ANDed)", invoke("s", `{"Service":"apigateway.amazonaws.com"}`,
			`{"StringEquals":{"AWS:SourceAccount":"`+own+`"},"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+mallory+`:x/*"}}`), cfg, nil},
		{"an Alexa skill by its token", invoke("s", `{"Service":"alexa-connectedhome.amazonaws.com"}`, `{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.1234"}}`), cfg, nil},
		{"read access for anyone is exposure too", `{"Sid":"s","Effect":"Allow","Principal":"*","Action":"lambda:GetFunction"}`, cfg, []string{public}},
		{"no Sid: found, but RemovePermission cannot name it", `{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}`, cfg,
			[]string{"lambda.public-invoke pay#(no Sid) critical"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Function(fn(t, "", tt.st), tt.cfg), tt.want)
		})
	}
}

func TestRemovingAStatementCarriesItVerbatimAndAShellSafeUndo(t *testing.T) {
	st := invoke("backdoor", `"*"`, "")
	d := Function(fn(t, "prod", st), cfg)
	if len(d.Actions) != 1 {
		t.Fatalf("actions %+v", d.Actions)
	}
	a := d.Actions[0]
	if a.Params[ParamStatement] != st || a.Params[ParamRevisionID] != "rev-1" || a.Params[ParamQualifier] != "prod" || a.Params[ParamStatementID] != "backdoor" {
		t.Errorf("params %+v", a.Params)
	}
	if want := "aws lambda add-permission --function-name pay --qualifier prod --statement-id backdoor --action lambda:InvokeFunction --principal '*'"; a.Undo != want {
		t.Errorf("undo = %q\nwant %q", a.Undo, want)
	}
	if f := d.Findings[0]; f.Resource != "pay:prod#backdoor" || f.ARN != fnARN+":prod" || !strings.Contains(f.Detail, st) {
		t.Errorf("finding %+v", f)
	}
}

func TestUndoWritesTheStatementBackExactly(t *testing.T) {
	tests := []struct {
		name, st, want string
	}{
		{"service with source ARN and account",
			invoke("apigw", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+mallory+`:a/*/*"},"StringEquals":{"AWS:SourceAccount":"`+mallory+`"}}`),
			"aws lambda add-permission --function-name pay --statement-id apigw --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn 'arn:aws:execute-api:eu-west-1:" + mallory + ":a/*/*' --source-account " + mallory},
		{"account root as the account id",
			invoke("x", `{"AWS":"arn:aws:iam::`+mallory+`:root"}`, ""),
			"aws lambda add-permission --function-name pay --statement-id x --action lambda:InvokeFunction --principal " + mallory},
		{"a role as its ARN",
			invoke("x", `{"AWS":"arn:aws:iam::`+mallory+`:role/it's"}`, ""),
			`aws lambda add-permission --function-name pay --statement-id x --action lambda:InvokeFunction --principal 'arn:aws:iam::` + mallory + `:role/it'\''s'`},
		{"an organization and a URL",
			`{"Sid":"u","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"},"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}`,
			"aws lambda add-permission --function-name pay --statement-id u --action lambda:InvokeFunction --principal '*' --invoked-via-function-url --principal-org-id o-zzzzzzzzzz"},
		{"what AddPermission cannot write",
			`{"Sid":"p","Effect":"Allow","Principal":"*","Action":["lambda:InvokeFunction","lambda:GetFunction"]}`,
			"put the statement back as the alert shows it, with `aws lambda put-resource-policy` on pay (AddPermission cannot write it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := undoRemovePermission("pay", "", statement(t, tt.st)); got != tt.want {
				t.Errorf("undo = %s\nwant   %s", got, tt.want)
			}
		})
	}
}

func TestFunctionURLs(t *testing.T) {
	openURL := `{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnARN + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`
	viaURL := `{"Sid":"FunctionURLAllowInvokeAction","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + fnARN + `","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}`
	url := func(q, auth string, cors *snapshot.Cors) snapshot.URL {
		return snapshot.URL{Qualifier: q, AuthType: auth, URL: "https://abc.lambda-url.eu-west-1.on.aws/", Cors: cors}
	}
	withURLs := func(f snapshot.Function, us ...snapshot.URL) snapshot.Function {
		f.URLs, f.URLsRead = us, true
		return f
	}
	tests := []struct {
		name string
		f    snapshot.Function
		cfg  settings.Settings
		want []string
	}{
		{"NONE with the public statements: one critical finding, answered by requiring IAM",
			withURLs(fn(t, "", openURL, viaURL), url("", "NONE", nil)), cfg,
			[]string{"lambda.public-url pay critical [lambda.url-require-iam]"}},
		{"NONE with no statement: nobody gets in yet, still high",
			withURLs(fn(t, ""), url("", "NONE", nil)), cfg,
			[]string{"lambda.public-url pay high [lambda.url-require-iam]"}},
		{"the URL-only statements are inert while the URL requires IAM",
			withURLs(fn(t, "", openURL, viaURL), url("", "AWS_IAM", nil)), cfg, nil},
		{"the URL-only statements are inert with no URL",
			withURLs(fn(t, "", openURL)), cfg, nil},
		{"an alias's URL is judged with the alias's policy",
			withURLs(fn(t, "live", openURL), url("live", "NONE", nil), url("", "AWS_IAM", nil)), cfg,
			[]string{"lambda.public-url pay:live critical [lambda.url-require-iam]"}},
		{"a URL meant to be public is exempt",
			withURLs(fn(t, "", openURL), url("", "NONE", nil)),
			settings.Settings{Exposure: settings.Exposure{Exemptions: []settings.Exemption{{Rule: rules.PublicURL, Resource: "pay", Reason: "public site"}}}}, nil},
		{"CORS: any origin with credentials",
			withURLs(fn(t, ""), url("", "AWS_IAM", &snapshot.Cors{AllowOrigins: []string{"*"}, AllowCredentials: true})), cfg,
			[]string{"lambda.url-cors-credentials pay medium [lambda.url-cors-no-credentials]"}},
		{"CORS: any origin without credentials",
			withURLs(fn(t, ""), url("", "AWS_IAM", &snapshot.Cors{AllowOrigins: []string{"*"}})), cfg, nil},
		{"CORS: one origin with credentials",
			withURLs(fn(t, ""), url("", "AWS_IAM", &snapshot.Cors{AllowOrigins: []string{"https://shop.example"}, AllowCredentials: true})), cfg, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Function(tt.f, tt.cfg), tt.want)
		})
	}
}

func TestURLActionsUndoExactly(t *testing.T) {
	f := fn(t, "")
	f.URLs, f.URLsRead = []snapshot.URL{{Qualifier: "live", AuthType: "NONE", Cors: &snapshot.Cors{AllowOrigins: []string{"*"}, AllowCredentials: true, MaxAge: 60}}}, true
	d := Function(f, cfg)
	if len(d.Actions) != 2 {
		t.Fatalf("actions %+v", d.Actions)
	}
	if want := "aws lambda update-function-url-config --function-name pay --qualifier live --auth-type NONE"; d.Actions[0].Undo != want {
		t.Errorf("undo = %s", d.Actions[0].Undo)
	}
	if want := `aws lambda update-function-url-config --function-name pay --qualifier live --cors '{"AllowCredentials":true,"AllowOrigins":["*"],"MaxAge":60}'`; d.Actions[1].Undo != want {
		t.Errorf("undo = %s", d.Actions[1].Undo)
	}
}

func TestNeedsURLsOnlyForAPublicURLOnlyStatement(t *testing.T) {
	openURL := `{"Sid":"u","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`
	if !NeedsURLs(fn(t, "", openURL), cfg) {
		t.Error("a NONE-only public statement needs the URL read")
	}
	if NeedsURLs(fn(t, "", invoke("s", `"*"`, "")), cfg) || NeedsURLs(fn(t, ""), cfg) {
		t.Error("statements usable without a URL need no URL read")
	}
	f := fn(t, "", openURL)
	f.URLsRead = true
	if NeedsURLs(f, cfg) {
		t.Error("URLs already read")
	}
}

func TestRecursion(t *testing.T) {
	f := fn(t, "")
	f.RecursionRead, f.RecursiveLoop = true, "Allow"
	check(t, Function(f, cfg), []string{"lambda.recursion-allowed pay medium [lambda.recursion-terminate]"})
	if d := Function(f, cfg); d.Actions[0].Undo != "aws lambda put-function-recursion-config --function-name pay --recursive-loop Allow" {
		t.Errorf("undo %s", d.Actions[0].Undo)
	}
	f.RecursiveLoop = "Terminate"
	check(t, Function(f, cfg), nil)
}

func TestExemptionsByGrantee(t *testing.T) {
	st := invoke("s", `{"Service":"apigateway.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-west-1:`+mallory+`:abc123/*/*"}}`)
	c := cfg
	c.Exposure.Exemptions = []settings.Exemption{{Rule: rules.UntrustedAccount, Resource: "arn:aws:execute-api:*:" + mallory + ":abc123/*", Reason: "partner API"}}
	check(t, Function(fn(t, "", st), c), nil)
	c.Exposure.Exemptions[0].Rule = rules.PublicInvoke
	check(t, Function(fn(t, "", st), c), []string{"lambda.untrusted-account-invoke pay#s high [lambda.remove-permission]"})
}

func TestLayers(t *testing.T) {
	layer := func(statements ...string) snapshot.LayerVersion {
		l := snapshot.LayerVersion{Name: "shared", Version: 3, Account: own, RevisionID: "r1",
			ARN: "arn:aws:lambda:eu-west-1:" + own + ":layer:shared:3"}
		for _, s := range statements {
			l.Statements = append(l.Statements, statement(t, s))
		}
		return l
	}
	share := func(sid, principal, cond string) string {
		s := `{"Sid":"` + sid + `","Effect":"Allow","Principal":` + principal + `,"Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:eu-west-1:` + own + `:layer:shared:3"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}"
	}
	tests := []struct {
		name string
		l    snapshot.LayerVersion
		want []string
	}{
		{"public", layer(share("pub", `"*"`, "")), []string{"lambda.layer-public shared:3#pub high [lambda.remove-layer-permission]"}},
		{"our organization", layer(share("org", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"`+org+`"}}`)), nil},
		{"another organization", layer(share("org", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}`)),
			[]string{"lambda.layer-shared-untrusted shared:3#org medium [lambda.remove-layer-permission]"}},
		{"a trusted account", layer(share("p", `{"AWS":"arn:aws:iam::`+partner+`:root"}`, "")), nil},
		{"an untrusted account", layer(share("m", `{"AWS":"arn:aws:iam::`+mallory+`:root"}`, "")),
			[]string{"lambda.layer-shared-untrusted shared:3#m medium [lambda.remove-layer-permission]"}},
		{"no policy", layer(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, Layer(tt.l, cfg), tt.want) })
	}
	d := Layer(layer(share("org", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}`)), cfg)
	if want := "aws lambda add-layer-version-permission --layer-name shared --version-number 3 --statement-id org --action lambda:GetLayerVersion --principal '*' --organization-id o-zzzzzzzzzz"; d.Actions[0].Undo != want {
		t.Errorf("undo = %s", d.Actions[0].Undo)
	}
	if d.Actions[0].Params[ParamRevisionID] != "r1" || d.Actions[0].Params[ParamLayerVersion] != "3" {
		t.Errorf("params %+v", d.Actions[0].Params)
	}
}

func TestMappings(t *testing.T) {
	m := func(source, state string) snapshot.Mapping {
		return snapshot.Mapping{UUID: "a1b2", ARN: "arn:aws:lambda:eu-west-1:" + own + ":event-source-mapping:a1b2",
			FunctionARN: fnARN, EventSourceARN: source, State: state}
	}
	tests := []struct {
		name string
		m    snapshot.Mapping
		want []string
	}{
		{"a queue of the own account", m("arn:aws:sqs:eu-west-1:"+own+":jobs", "Enabled"), nil},
		{"a queue of a trusted account", m("arn:aws:sqs:eu-west-1:"+partner+":jobs", "Enabled"), nil},
		{"a stream of an untrusted account", m("arn:aws:kinesis:eu-west-1:"+mallory+":stream/feed", "Enabled"),
			[]string{"lambda.untrusted-event-source a1b2 high [lambda.disable-event-source-mapping]"}},
		{"being created counts", m("arn:aws:sqs:eu-west-1:"+mallory+":jobs", "Creating"),
			[]string{"lambda.untrusted-event-source a1b2 high [lambda.disable-event-source-mapping]"}},
		{"a disabled mapping feeds nothing", m("arn:aws:sqs:eu-west-1:"+mallory+":jobs", "Disabled"), nil},
		{"a source with no account (self-managed Kafka) is not judged", m("", "Enabled"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, Mapping(tt.m, cfg), tt.want) })
	}
	if d := Mapping(m("arn:aws:sqs:eu-west-1:"+mallory+":jobs", "Enabled"), cfg); d.Actions[0].Undo != "aws lambda update-event-source-mapping --uuid a1b2 --enabled" {
		t.Errorf("undo = %s", d.Actions[0].Undo)
	}
}

func TestShellQuotesOnlyWhatAShellWouldRead(t *testing.T) {
	for in, want := range map[string]string{
		"pay": "pay", "*": "'*'", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$(rm -rf /)": `'$(rm -rf /)'`,
		"arn:aws:iam::1:root": "arn:aws:iam::1:root", `{"a":1}`: `'{"a":1}'`,
	} {
		if got := Shell(in); got != want {
			t.Errorf("Shell(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEveryFindingNamesARegisteredRuleAndEveryActionAnswersOne(t *testing.T) {
	f := fn(t, "", invoke("a", `"*"`, ""), invoke("b", `{"AWS":"`+mallory+`"}`, ""))
	f.URLs, f.URLsRead = []snapshot.URL{{AuthType: "NONE", Cors: &snapshot.Cors{AllowOrigins: []string{"*"}, AllowCredentials: true}}}, true
	f.RecursionRead, f.RecursiveLoop = true, "Allow"
	d := Function(f, cfg)
	if len(d.Findings) != 5 || len(d.Actions) != 5 {
		t.Fatalf("findings %d, actions %d", len(d.Findings), len(d.Actions))
	}
	for i, a := range d.Actions {
		r := rules.Must(d.Findings[i].Rule)
		if len(a.For) != 1 || a.For[0] != r.ID || a.Done == "" || a.Undo == "" || a.Summary == "" {
			t.Errorf("action %+v for %s", a, r.ID)
		}
		if r.Guardrail != rules.Exposure {
			t.Errorf("%s is not an exposure rule", r.ID)
		}
	}
}

// TestTheMutelistSilencesExposureRulesAsEveryOther: one mutelist serves
// every guardrail, so a function URL meant to be public is muted there like
// any other rule, with its reason and expiry, and the rest still judged.
func TestTheMutelistSilencesExposureRulesAsEveryOther(t *testing.T) {
	f := fn(t, "")
	f.RecursionRead, f.RecursiveLoop = true, "Allow"
	c := cfg
	c.Mutelist = []settings.Mute{{Rule: string(rules.RecursionAllowed), Resource: "pay", Reason: "fan-out by design"}}
	d := Function(f, c)
	if len(d.Findings) != 0 || len(d.Actions) != 0 || len(d.Muted) != 1 || d.Muted[0].Reason != "fan-out by design" {
		t.Errorf("muted decision %+v", d)
	}
	c.Mutelist[0].Expires = "2020-01-01"
	check(t, Function(f, c), []string{"lambda.recursion-allowed pay medium [lambda.recursion-terminate]"})
}
