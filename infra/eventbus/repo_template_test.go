package eventbus

import (
	"errors"
	"io/fs"
	"testing"
)

// TestRepositoryTemplateLoads holds the project's own template.yaml to what
// the bus understands: it parses, and every rule it has compiles and
// targets a function or topic of the template.
func TestRepositoryTemplateLoads(t *testing.T) {
	tmpl, err := LoadTemplate("../../template.yaml", TemplateOptions{})
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no template.yaml at the repository root yet")
	}
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	if len(tmpl.Rules) == 0 {
		t.Fatal("template.yaml has no EventBridge rules")
	}
	for _, r := range tmpl.Rules {
		if len(r.Targets) == 0 {
			t.Errorf("rule %s has no targets", r.Name)
		}
		t.Logf("rule %s -> %v: %s", r.Name, r.Targets[0].Name, r.PatternJSON)
	}
}
