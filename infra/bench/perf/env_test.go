package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/settings"
)

// deployChoices are the parameters a benchmark may set: without them the
// guard does not act (monitor mode, nothing trusted, nothing to attach).
// Anything that tunes its speed (LambdaRate, GuardConcurrency...) keeps
// template.yaml's default.
var deployChoices = map[string]bool{"Mode": true, "TrustedSigningProfileArns": true, "CodeSigningConfigArn": true}

// TestGuardsRunWithTheTemplatesEnvironmentAtItsDefaults: the bench runs the
// guard as deployed. Its environment is template.yaml's for the function,
// resolved at the parameters' defaults, with only the local endpoints and
// credentials added; a hand-written list (which once left out
// SELFGUARD_CONCURRENCY) or a tuned parameter fails here.
func TestGuardsRunWithTheTemplatesEnvironmentAtItsDefaults(t *testing.T) {
	root, err := testbed.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	for k := range deployParameters {
		if !deployChoices[k] {
			t.Errorf("the bench sets parameter %s: the figures would not be the template's defaults", k)
		}
	}
	tpl, err := eventbus.LoadTemplate(filepath.Join(root, "template.yaml"), eventbus.TemplateOptions{
		Parameters: deployParameters, AccountID: account, Region: region, StackName: testbed.StackName,
	})
	if err != nil {
		t.Fatal(err)
	}
	defaults := parameterDefaults(t, filepath.Join(root, "template.yaml"))
	local := []string{"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret", "AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:1"}
	for _, id := range []string{idLambdaGuard, idRepoGuard} {
		cfg := tpl.Functions[id]
		env := map[string]string{}
		for _, kv := range testbed.Environment(cfg, local, nil) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		for k, v := range cfg.Environment {
			if env[k] != v {
				t.Errorf("%s runs with %s=%q, template.yaml gives %q", id, k, env[k], v)
			}
		}
		for k := range env {
			if _, ok := cfg.Environment[k]; !ok && !strings.HasPrefix(k, "AWS_") {
				t.Errorf("%s runs with %s, which template.yaml does not give it", id, k)
			}
		}
		if env[settings.EnvLambdaRate] != defaults["LambdaRate"] {
			t.Errorf("%s: %s=%q, the LambdaRate default is %q", id, settings.EnvLambdaRate, env[settings.EnvLambdaRate], defaults["LambdaRate"])
		}
	}
	guard := tpl.Functions[idLambdaGuard].Environment
	if guard[settings.EnvConcurrency] == "" || guard[settings.EnvConcurrency] != defaults["GuardConcurrency"] {
		t.Errorf("lambda-guard: %s=%q, the GuardConcurrency default is %q", settings.EnvConcurrency, guard[settings.EnvConcurrency], defaults["GuardConcurrency"])
	}
}

// parameterDefaults reads the Default of each template parameter straight
// from the YAML, apart from the resolver under test.
func parameterDefaults(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]struct {
			Default yaml.Node `yaml:"Default"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, p := range doc.Parameters {
		out[name] = p.Default.Value
	}
	return out
}
