package templatecheck

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/shell"
)

// samconfigValue reads one key of [default.deploy.parameters] from the
// committed samconfig example: a one-line string, split as SAM splits it.
func samconfigValue(t *testing.T, raw, key string) []string {
	t.Helper()
	in := false
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = line == "[default.deploy.parameters]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok || strings.TrimSpace(k) != key {
			continue
		}
		fields, err := shell.Fields(strings.Trim(strings.TrimSpace(v), `"`), nil)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return fields
	}
	t.Fatalf("infra/samconfig.example.toml has no %s", key)
	return nil
}

type deployTemplate struct {
	Parameters map[string]struct {
		Default any `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// namedIAM are the IAM resource properties that give a custom name, which
// CloudFormation accepts only with CAPABILITY_NAMED_IAM.
var namedIAM = map[string]string{
	"AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
	"AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName", "AWS::IAM::InstanceProfile": "InstanceProfileName",
}

func loadDeployTemplate(t *testing.T) deployTemplate {
	t.Helper()
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	stripTags(&doc)
	var tpl deployTemplate
	if err := doc.Decode(&tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// stripTags drops CloudFormation's short-form tags, which only this test's
// reading of names and types does not need.
func stripTags(n *yaml.Node) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		n.Tag = ""
	}
	for _, c := range n.Content {
		stripTags(c)
	}
}

// TestTheDocumentedDeployHasWhatTheTemplateNeeds: the committed samconfig
// example, which the README's deploy uses as it is, acknowledges the
// capabilities the template needs, signs every function, and sets only
// parameters the template declares; every parameter it leaves out has a
// default.
func TestTheDocumentedDeployHasWhatTheTemplateNeeds(t *testing.T) {
	raw, err := os.ReadFile("../samconfig.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	tpl := loadDeployTemplate(t)

	caps := map[string]bool{}
	for _, c := range samconfigValue(t, cfg, "capabilities") {
		caps[c] = true
	}
	var named []string
	for id, r := range tpl.Resources {
		if p, ok := namedIAM[r.Type]; ok && r.Properties[p] != nil {
			named = append(named, id)
		}
	}
	sort.Strings(named)
	if len(named) > 0 && !caps["CAPABILITY_NAMED_IAM"] {
		t.Errorf("%v have custom IAM names: the deploy needs CAPABILITY_NAMED_IAM, the example gives %v", named, caps)
	}

	signed := map[string]bool{}
	for _, kv := range samconfigValue(t, cfg, "signing_profiles") {
		fn, _, _ := strings.Cut(kv, "=")
		signed[fn] = true
	}
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Serverless::Function" && !signed[id] {
			t.Errorf("function %s is not in signing_profiles: with GuardSigningProfileVersionArn set its code would be refused", id)
		}
	}

	for _, kv := range samconfigValue(t, cfg, "parameter_overrides") {
		p, _, _ := strings.Cut(kv, "=")
		if _, ok := tpl.Parameters[p]; !ok {
			t.Errorf("parameter_overrides sets %s, which template.yaml does not declare", p)
		}
	}
	for p, def := range tpl.Parameters {
		if def.Default == nil {
			t.Errorf("parameter %s has no default: a deploy that leaves it out fails", p)
		}
	}
}

// TestTheREADMEDeploysWithTheExample: the README's deploy section copies
// the example and names no capability short of what the template needs.
func TestTheREADMEDeploysWithTheExample(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{"cp infra/samconfig.example.toml samconfig.toml", "sam build", "sam deploy"} {
		if !strings.Contains(s, want) {
			t.Errorf("README.md's deploy lacks %q", want)
		}
	}
	if regexp.MustCompile(`--capabilities\s+CAPABILITY_IAM\b(\s*$|\s+[^C])`).MatchString(s) {
		t.Error("README.md deploys with CAPABILITY_IAM alone; the template names its roles")
	}
}
