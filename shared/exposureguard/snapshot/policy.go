package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Principal types, as policies name them; Anyone is "*" (or {"AWS": "*"}).
const (
	Anyone        = "*"
	PrincipalAWS  = "AWS"
	PrincipalSvc  = "Service"
	PrincipalFed  = "Federated"
	PrincipalCano = "CanonicalUser"
)

// Statement is one statement of a resource-based policy.
type Statement struct {
	Sid    string
	Effect string
	// Principals are whom it names; with NotPrincipal set they are whom it
	// does not, so it names everyone else.
	Principals   []Principal
	NotPrincipal bool
	Actions      []string
	// NotAction says the statement grants every action but Actions.
	NotAction  bool
	Resources  []string
	Conditions []Condition
	// Raw is the statement exactly as the policy holds it.
	Raw string
}

// Principal is one principal a statement names.
type Principal struct {
	// Type is Anyone, PrincipalAWS, PrincipalSvc, PrincipalFed or
	// PrincipalCano.
	Type  string
	Value string
}

// Condition is one key of one condition operator, with its values.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Allows reports whether the statement allows (rather than denies).
func (s Statement) Allows() bool { return s.Effect == "Allow" }

// ParsePolicy parses a resource-based policy document as GetPolicy or
// GetLayerVersionPolicy returns it. Statement may be a list or a single
// statement; Principal, Action, Resource and condition values may each be
// a string or a list, as IAM allows.
func ParsePolicy(doc string) ([]Statement, error) {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	raws, err := statementList(d.Statement)
	if err != nil {
		return nil, err
	}
	out := make([]Statement, 0, len(raws))
	for i, raw := range raws {
		st, err := parseStatement(raw)
		if err != nil {
			return nil, fmt.Errorf("parse policy statement %d: %w", i, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func statementList(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '{':
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("parse policy statements: %w", err)
	}
	return list, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var s struct {
		Sid          string
		Effect       string
		Principal    json.RawMessage
		NotPrincipal json.RawMessage
		Action       json.RawMessage
		NotAction    json.RawMessage
		Resource     json.RawMessage
		Condition    map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: s.Sid, Effect: s.Effect, Raw: compact(raw)}
	var err error
	principal := s.Principal
	if len(s.NotPrincipal) > 0 {
		principal, st.NotPrincipal = s.NotPrincipal, true
	}
	if st.Principals, err = principals(principal); err != nil {
		return Statement{}, err
	}
	action := s.Action
	if len(s.NotAction) > 0 {
		action, st.NotAction = s.NotAction, true
	}
	if st.Actions, err = strings1(action); err != nil {
		return Statement{}, fmt.Errorf("action: %w", err)
	}
	if st.Resources, err = strings1(s.Resource); err != nil {
		return Statement{}, fmt.Errorf("resource: %w", err)
	}
	ops := make([]string, 0, len(s.Condition))
	for op := range s.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(s.Condition[op]))
		for k := range s.Condition[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := strings1(s.Condition[op][k])
			if err != nil {
				return Statement{}, fmt.Errorf("condition %s %s: %w", op, k, err)
			}
			st.Conditions = append(st.Conditions, Condition{Operator: op, Key: k, Values: vals})
		}
	}
	return st, nil
}

func principals(raw json.RawMessage) ([]Principal, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("principal: %w", err)
		}
		if s == Anyone {
			return []Principal{{Type: Anyone, Value: Anyone}}, nil
		}
		return []Principal{{Type: PrincipalAWS, Value: s}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("principal: %w", err)
	}
	types := make([]string, 0, len(m))
	for t := range m {
		types = append(types, t)
	}
	sort.Strings(types)
	var out []Principal
	for _, t := range types {
		vals, err := strings1(m[t])
		if err != nil {
			return nil, fmt.Errorf("principal %s: %w", t, err)
		}
		for _, v := range vals {
			p := Principal{Type: t, Value: v}
			if t == PrincipalAWS && v == Anyone {
				p.Type = Anyone
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// strings1 reads a JSON string, list of strings, boolean or number as
// strings, the way IAM treats condition values.
func strings1(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		var out []string
		for _, x := range list {
			v, err := scalar(x)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case bool, float64:
		return strings.TrimSpace(string(raw)), nil
	}
	return "", fmt.Errorf("value %s is not a string, boolean or number", raw)
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
