package org

import (
	_ "embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// The organization's templates and policy, as shipped.
var (
	//go:embed audit-role.yaml
	AuditRoleTemplate []byte
	//go:embed central-alerts.yaml
	CentralAlertsTemplate []byte
	//go:embed member.template.json
	MemberTemplate []byte
	//go:embed guard-scp.json
	GuardSCP []byte
)

// AuditRoleActions returns the IAM actions the audit role allows, sorted.
func AuditRoleActions() ([]string, error) {
	doc, err := Decode(AuditRoleTemplate)
	if err != nil {
		return nil, err
	}
	role, _ := dig(doc, "Resources", "AuditRole", "Properties").(map[string]any)
	pols, _ := role["Policies"].([]any)
	var out []string
	for _, p := range pols {
		stmts, _ := dig(p, "PolicyDocument", "Statement").([]any)
		for _, s := range stmts {
			st, _ := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			out = append(out, stringList(st["Action"])...)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Decode reads a CloudFormation template, YAML or JSON, into maps and
// slices. Short-form intrinsics (!Ref x, !Sub s) become their argument:
// enough for tests that look at structure and literal values.
func Decode(data []byte) (map[string]any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	v := plain(&n)
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode template: not a mapping")
	}
	return m, nil
}

func plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return plain(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		return s
	case yaml.AliasNode:
		return plain(n.Alias)
	}
	return n.Value
}

// dig walks maps by keys; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// stringList reads a policy's Action or Resource: one string or a list.
func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
