package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/settings"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

// notJudgement are the parameters template.yaml passes to the guards that
// do not change what a finding is (capacity, wiring).
var notJudgement = map[string]bool{"GuardConcurrency": true, "SweepWorkerConcurrency": true, "AlertFormat": true, "SecurityHub": true}

// TestParameterEnvIsTheTemplates: every parameter template.yaml hands the
// guards as an environment variable is in ParameterEnv under that very
// variable, so audit --stack judges with what the guards read.
func TestParameterEnvIsTheTemplates(t *testing.T) {
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]any `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for p := range doc.Parameters {
		params[p] = "param-" + p
	}
	params["AlertFormat"] = "text" // picks a body template: must be a real value
	tpl, err := eventbus.ParseTemplate(raw, eventbus.TemplateOptions{Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	fromTemplate := map[string]string{}
	for _, fn := range tpl.Functions {
		for k, v := range fn.Environment {
			if p, ok := strings.CutPrefix(v, "param-"); ok && !notJudgement[p] {
				fromTemplate[p] = k
			}
		}
	}
	if len(fromTemplate) == 0 {
		t.Fatal("no function environment variable comes from a parameter")
	}
	if !reflect.DeepEqual(fromTemplate, ParameterEnv) {
		t.Errorf("template.yaml passes %v, ParameterEnv says %v", fromTemplate, ParameterEnv)
	}
}

// createStack deploys a stand-in selfguard stack on moto: the parameters a
// deploy would set, on a template whose one resource moto can create.
func createStack(t *testing.T, name, region string, params map[string]string) {
	t.Helper()
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	body := `{"Parameters":{`
	i := 0
	for p := range params {
		if i > 0 {
			body += ","
		}
		body += `"` + p + `":{"Type":"String","Default":""}`
		i++
	}
	body += `},"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}`
	var in []cfntypes.Parameter
	for k, v := range params {
		in = append(in, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	cf := cloudformation.NewFromConfig(motoServer.Config(region))
	if _, err := cf.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName: aws.String(name), TemplateBody: aws.String(body), Parameters: in,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)})
	})
}

func auditJSON(t *testing.T, args ...string) (int, report.Report, string) {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"audit", "--format", "json", "--fail-on", "critical"}, args...)...)
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil && code != ExitUsage && code != ExitError {
		t.Fatalf("json: %v\n%s\n%s", err, out, stderr)
	}
	return code, rep, stderr
}

func rulesOn(rep report.Report, resource string) []string {
	var out []string
	for _, it := range rep.Items {
		if it.Finding.Resource == resource {
			out = append(out, string(it.Finding.Rule))
		}
	}
	return out
}

func TestAuditJudgesAsTheDeployedStackDoes(t *testing.T) {
	auditEnv(t)
	t.Setenv(settings.EnvTrustedProfiles, "")
	t.Setenv(settings.EnvExemptFunctions, "")
	if motoServer != nil {
		t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", motoServer.URL)
	}
	trusted := "arn:aws:signer:" + auditRegion + ":" + auditAccount + ":/signing-profiles/trusted"
	createStack(t, "selfguard", auditRegion, map[string]string{
		"TrustedSigningProfileArns": trusted, "ExemptFunctions": "sandbox-*", "Mode": "enforce",
	})

	t.Run("with no settings, signed code is untrusted and it says so", func(t *testing.T) {
		code, rep, stderr := auditJSON(t)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if got := rulesOn(rep, "good"); len(got) == 0 {
			t.Errorf("the signed function has no finding with no trusted profile: the warning below would be a lie")
		}
		if !strings.Contains(stderr, "warning: "+WarnNoTrustedProfile) || len(rep.Warnings) != 1 {
			t.Errorf("stderr %q, report warnings %v", stderr, rep.Warnings)
		}
		_, table, _ := runCLI(t, "audit", "--fail-on", "critical")
		if !strings.Contains(table, "WARNING: judged with no trusted signing profile") {
			t.Errorf("the table's header does not warn:\n%s", table)
		}
	})
	t.Run("with --stack, it judges with the stack's parameters", func(t *testing.T) {
		code, rep, stderr := auditJSON(t, "--stack", "selfguard")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if got := rulesOn(rep, "good"); len(got) != 0 {
			t.Errorf("correctly signed code reported: %v", got)
		}
		if got := rulesOn(rep, "sandbox-toy"); len(got) != 0 {
			t.Errorf("the stack's exemption was not applied: %v", got)
		}
		if got := rulesOn(rep, "unsigned"); len(got) == 0 {
			t.Error("the unsigned function passed")
		}
		if len(rep.Warnings) != 0 || strings.Contains(stderr, "warning") {
			t.Errorf("warned with a trusted profile: %v %s", rep.Warnings, stderr)
		}
		if len(rep.JudgedWith) != 1 || rep.JudgedWith[0] != "stack selfguard ("+auditRegion+")" {
			t.Errorf("judgedWith %v", rep.JudgedWith)
		}
	})
	t.Run("flags override the stack", func(t *testing.T) {
		_, rep, _ := auditJSON(t, "--stack", "selfguard", "--exempt-functions", "nothing")
		if got := rulesOn(rep, "sandbox-toy"); len(got) == 0 {
			t.Error("--exempt-functions did not replace the stack's exemptions")
		}
	})
	t.Run("a stack that is not there is an error that names it", func(t *testing.T) {
		code, _, stderr := auditJSON(t, "--stack", "no-such-stack")
		if code != ExitError || !strings.Contains(stderr, "no-such-stack") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
}

func TestAuditJudgesWithAParametersFile(t *testing.T) {
	auditEnv(t)
	t.Setenv(settings.EnvTrustedProfiles, "")
	trusted := "arn:aws:signer:" + auditRegion + ":" + auditAccount + ":/signing-profiles/trusted"
	dir := t.TempDir()
	files := map[string]string{
		"samconfig.toml": "version = 0.1\n[default.deploy.parameters]\nstack_name = \"selfguard\"\n" +
			`parameter_overrides = "TrustedSigningProfileArns=` + trusted + ` ExemptFunctions=\"sandbox-*\" AlertEmail=\"a b@example.com\""` + "\n",
		"params.json":   `[{"ParameterKey":"TrustedSigningProfileArns","ParameterValue":"` + trusted + `"},{"ParameterKey":"ExemptFunctions","ParameterValue":"sandbox-*"}]`,
		"object.json":   `{"TrustedSigningProfileArns":"` + trusted + `","ExemptFunctions":"sandbox-*"}`,
		"selfguard.env": "# the guards' own variables\n" + settings.EnvTrustedProfiles + "=" + trusted + "\nExemptFunctions=sandbox-*\n",
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			code, rep, stderr := auditJSON(t, "--config", p)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := append(rulesOn(rep, "good"), rulesOn(rep, "sandbox-toy")...); len(got) != 0 || len(rep.Warnings) != 0 {
				t.Errorf("findings %v, warnings %v", got, rep.Warnings)
			}
		})
	}
	t.Run("a bad file is a usage error", func(t *testing.T) {
		p := filepath.Join(dir, "bad.json")
		_ = os.WriteFile(p, []byte(`{"TrustedSigningProfileArns": "not-an-arn"}`), 0o600)
		if code, _, stderr := runCLI(t, "audit", "--config", p); code != ExitUsage || !strings.Contains(stderr, "not a signing profile ARN") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("--stack and --config exclude each other", func(t *testing.T) {
		if code, _, _ := runCLI(t, "audit", "--stack", "x", "--config", "y"); code != ExitUsage {
			t.Errorf("exit %d", code)
		}
	})
}

func TestAuditSaysWhatWasMutedAndByWhat(t *testing.T) {
	auditEnv(t)
	t.Setenv(settings.EnvMutelist, "lambda.*:unsigned=legacy function, being replaced@2099-12-31;repo.no-approval-rule:*=reviews in another tool@2020-01-01")
	code, rep, stderr := auditJSON(t)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := rulesOn(rep, "unsigned"); len(got) != 0 {
		t.Errorf("muted findings still reported: %v", got)
	}
	if len(rep.Muted) != 2 || rep.Muted[0].By != "lambda.*:unsigned" {
		t.Errorf("muted %+v", rep.Muted)
	}
	if got := rulesOn(rep, "unreviewed"); len(got) == 0 {
		t.Error("an expired mute still silenced the repository's finding")
	}
	if !strings.Contains(stderr, "mute repo.no-approval-rule:* expired after 2020-01-01") {
		t.Errorf("no warning about the expired mute: %s", stderr)
	}
	_, table, _ := runCLI(t, "audit", "--fail-on", "none")
	if !strings.Contains(table, "2 findings muted: 2 by lambda.*:unsigned (legacy function, being replaced, until 2099-12-31)") {
		t.Errorf("the table does not say what was muted:\n%s", table)
	}
}
