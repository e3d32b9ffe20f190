package eventbus

import (
	"errors"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// ErrRuleAssertion is a template's Rules section refusing the parameters,
// as CloudFormation refuses to create or update the stack.
var ErrRuleAssertion = errors.New("template rule refused the parameters")

// checkAssertions evaluates the template's Rules section the way
// CloudFormation does before it deploys: for every rule whose
// RuleCondition holds (or that has none), every Assert must hold.
func (r *resolver) checkAssertions(top map[string]any) error {
	rules, _ := top["Rules"].(map[string]any)
	names := make([]string, 0, len(rules))
	for n := range rules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		rule, _ := rules[name].(map[string]any)
		if cond, ok := rule["RuleCondition"]; ok {
			v, err := r.resolve(cond)
			if err != nil {
				return fmt.Errorf("rule %s: condition: %w", name, err)
			}
			if b, _ := v.(bool); !b {
				continue
			}
		}
		list, _ := rule["Assertions"].([]any)
		for i, a := range list {
			m, _ := a.(map[string]any)
			v, err := r.resolve(m["Assert"])
			if err != nil {
				return fmt.Errorf("rule %s: assertion %d: %w", name, i, err)
			}
			if b, ok := v.(bool); !ok || !b {
				return fmt.Errorf("%w: %s: %v", ErrRuleAssertion, name, m["AssertDescription"])
			}
		}
	}
	return nil
}

// CheckAssertions checks only a template's Rules section with the given
// parameters: for templates whose rules the local bus does not deliver
// (a companion stack forwarding to another region's bus).
func CheckAssertions(data []byte, opts TemplateOptions) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parse template: %w", err)
	}
	if len(doc.Content) == 0 {
		return errors.New("parse template: empty document")
	}
	raw, err := fromNode(doc.Content[0])
	if err != nil {
		return fmt.Errorf("parse template: %w", err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return errors.New("parse template: the top level must be a mapping")
	}
	r, err := newResolver(top, opts)
	if err != nil {
		return err
	}
	return r.checkAssertions(top)
}
