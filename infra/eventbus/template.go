package eventbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/selfguard/selfguard/infra/eventpattern"
)

// TargetKind says what a rule delivers to.
type TargetKind string

// Target kinds the bus delivers to.
const (
	TargetFunction TargetKind = "function"
	TargetTopic    TargetKind = "topic"
)

// Resource types the template loader understands.
const (
	typeServerlessFunction = "AWS::Serverless::Function"
	typeLambdaFunction     = "AWS::Lambda::Function"
	typeEventsRule         = "AWS::Events::Rule"
	typeSNSTopic           = "AWS::SNS::Topic"
	typeEventInvokeConfig  = "AWS::Lambda::EventInvokeConfig"
)

// Template is what the bus needs from a SAM/CloudFormation template: the
// enabled rules and the asynchronous invocation settings of each function.
type Template struct {
	Rules     []Rule
	Functions map[string]FunctionConfig
}

// Rule is an enabled EventBridge rule on the default bus.
type Rule struct {
	Name        string // the rule's logical id (SAM: function id + event name)
	PatternJSON []byte
	Pattern     *eventpattern.Pattern
	Targets     []Target
}

// Target is where a rule delivers a matching event.
type Target struct {
	ID               string
	Kind             TargetKind
	Name             string // logical id of the function or topic
	InputTransformer *InputTransformer
	// Input, when set, is the constant JSON text delivered instead of the event.
	Input string
	// DeadLetterArn is the rule target's own dead-letter queue, if any.
	DeadLetterArn string
}

// FunctionConfig holds a function's asynchronous invocation settings.
type FunctionConfig struct {
	// Name is the function's name (FunctionName, else <stack>-<LogicalId>).
	Name string
	// Role is the execution role's ARN, as the template resolves it.
	Role string
	// Environment is the function's environment: SAM's Globals merged
	// with the function's own variables, resolved.
	Environment map[string]string

	MaximumRetryAttempts int
	MaximumEventAge      time.Duration
	OnFailure            string // destination ARN, informational
}

// defaultFunctionConfig is Lambda's default for asynchronous invocation.
var defaultFunctionConfig = FunctionConfig{MaximumRetryAttempts: 2, MaximumEventAge: 6 * time.Hour}

// TemplateOptions supplies what CloudFormation would know at deploy time.
type TemplateOptions struct {
	Parameters map[string]string // override Parameter defaults
	AccountID  string            // default 123456789012
	Region     string            // default us-east-1
	StackName  string            // default selfguard
	// Attributes overrides Fn::GetAtt results, keyed "LogicalId.Attribute".
	Attributes map[string]string
	// Physical overrides what Ref gives for a resource, keyed by logical id
	// (the local account's real topic ARN, table name...).
	Physical map[string]string
}

// LoadTemplate reads and parses a template file.
func LoadTemplate(path string, opts TemplateOptions) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return ParseTemplate(data, opts)
}

// ParseTemplate parses a SAM or CloudFormation template in YAML (or JSON)
// and returns its enabled rules on the default event bus.
func ParseTemplate(data []byte, opts TemplateOptions) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("parse template: empty document")
	}
	raw, err := fromNode(doc.Content[0])
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("parse template: the top level must be a mapping")
	}
	r, err := newResolver(top, opts)
	if err != nil {
		return nil, err
	}
	if err := r.checkAssertions(top); err != nil {
		return nil, err
	}
	t := &Template{Functions: map[string]FunctionConfig{}}
	ids := make([]string, 0, len(r.resources))
	for id := range r.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := r.resources[id]
		switch res.Type {
		case typeServerlessFunction:
			rules, cfg, err := r.serverlessFunction(id, res)
			if err != nil {
				return nil, err
			}
			t.Rules = append(t.Rules, rules...)
			t.Functions[id] = cfg
		case typeLambdaFunction:
			if _, ok := t.Functions[id]; !ok {
				t.Functions[id] = defaultFunctionConfig
			}
		}
	}
	for _, id := range ids {
		res := r.resources[id]
		switch res.Type {
		case typeEventsRule:
			rule, err := r.eventsRule(id, res)
			if err != nil {
				return nil, err
			}
			if rule != nil {
				t.Rules = append(t.Rules, *rule)
			}
		case typeEventInvokeConfig:
			fn, cfg, err := r.eventInvokeConfig(id, res)
			if err != nil {
				return nil, err
			}
			t.Functions[fn] = cfg
		}
	}
	sort.Slice(t.Rules, func(i, j int) bool { return t.Rules[i].Name < t.Rules[j].Name })
	return t, nil
}

type resource struct {
	Type       string
	Properties map[string]any
	Condition  string
}

func (r *resolver) serverlessFunction(id string, res resource) ([]Rule, FunctionConfig, error) {
	cfg := defaultFunctionConfig
	if eic, ok := res.Properties["EventInvokeConfig"]; ok {
		v, err := r.resolve(eic)
		if err != nil {
			return nil, cfg, fmt.Errorf("%s: EventInvokeConfig: %w", id, err)
		}
		if m, ok := v.(map[string]any); ok {
			cfg, err = invokeConfig(m)
			if err != nil {
				return nil, cfg, fmt.Errorf("%s: EventInvokeConfig: %w", id, err)
			}
		}
	}
	if err := r.functionSettings(id, res, &cfg); err != nil {
		return nil, cfg, err
	}
	events, _ := res.Properties["Events"].(map[string]any)
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	var rules []Rule
	for _, name := range names {
		ev, _ := events[name].(map[string]any)
		typ, _ := ev["Type"].(string)
		if typ != "EventBridgeRule" && typ != "CloudWatchEvent" {
			continue
		}
		pv, err := r.resolve(ev["Properties"])
		if err != nil {
			return nil, cfg, fmt.Errorf("%s: event %s: %w", id, name, err)
		}
		props, _ := pv.(map[string]any)
		if bus, _ := props["EventBusName"].(string); bus != "" && bus != "default" {
			continue
		}
		if state, _ := props["State"].(string); strings.EqualFold(state, "DISABLED") {
			continue
		}
		if enabled, ok := props["Enabled"].(bool); ok && !enabled {
			continue
		}
		pattern, compiled, err := compilePattern(props["Pattern"])
		if err != nil {
			return nil, cfg, fmt.Errorf("%s: event %s: %w", id, name, err)
		}
		target := Target{ID: name, Kind: TargetFunction, Name: id}
		if err := targetInput(&target, props); err != nil {
			return nil, cfg, fmt.Errorf("%s: event %s: %w", id, name, err)
		}
		if dlc, ok := props["DeadLetterConfig"].(map[string]any); ok {
			target.DeadLetterArn, _ = dlc["Arn"].(string)
		}
		rules = append(rules, Rule{Name: id + name, PatternJSON: pattern, Pattern: compiled, Targets: []Target{target}})
	}
	return rules, cfg, nil
}

func (r *resolver) eventsRule(id string, res resource) (*Rule, error) {
	p := res.Properties
	state, err := r.resolve(p["State"])
	if err != nil {
		return nil, fmt.Errorf("%s: State: %w", id, err)
	}
	if s, _ := state.(string); strings.EqualFold(s, "DISABLED") {
		return nil, nil
	}
	bus, err := r.resolve(p["EventBusName"])
	if err != nil {
		return nil, fmt.Errorf("%s: EventBusName: %w", id, err)
	}
	if b, _ := bus.(string); b != "" && b != "default" {
		return nil, nil
	}
	if _, ok := p["EventPattern"]; !ok {
		return nil, nil // a scheduled rule
	}
	pv, err := r.resolve(p["EventPattern"])
	if err != nil {
		return nil, fmt.Errorf("%s: EventPattern: %w", id, err)
	}
	pattern, compiled, err := compilePattern(pv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	rule := &Rule{Name: id, PatternJSON: pattern, Pattern: compiled}
	targets, _ := p["Targets"].([]any)
	for i, tv := range targets {
		tm, _ := tv.(map[string]any)
		kind, name, err := r.targetRef(tm["Arn"])
		if err != nil {
			return nil, fmt.Errorf("%s: target %d: %w", id, i, err)
		}
		resolved, err := r.resolve(tm)
		if err != nil {
			return nil, fmt.Errorf("%s: target %d: %w", id, i, err)
		}
		props, _ := resolved.(map[string]any)
		tid, _ := props["Id"].(string)
		t := Target{ID: tid, Kind: kind, Name: name}
		if err := targetInput(&t, props); err != nil {
			return nil, fmt.Errorf("%s: target %d: %w", id, i, err)
		}
		if dlc, ok := props["DeadLetterConfig"].(map[string]any); ok {
			t.DeadLetterArn, _ = dlc["Arn"].(string)
		}
		rule.Targets = append(rule.Targets, t)
	}
	return rule, nil
}

// targetRef reads a target's unresolved Arn: !GetAtt Function.Arn names a
// function, !Ref Topic a topic.
func (r *resolver) targetRef(arn any) (TargetKind, string, error) {
	m, ok := arn.(map[string]any)
	if !ok || len(m) != 1 {
		return "", "", fmt.Errorf("unsupported target Arn %v: use !GetAtt <Function>.Arn or !Ref <Topic>", arn)
	}
	if ref, ok := m["Ref"].(string); ok {
		if res, ok := r.resources[ref]; ok && res.Type == typeSNSTopic {
			return TargetTopic, ref, nil
		}
		return "", "", fmt.Errorf("target !Ref %s is not an SNS topic of the template", ref)
	}
	if ga, ok := m["Fn::GetAtt"]; ok {
		parts, err := getAttParts(ga)
		if err != nil {
			return "", "", err
		}
		res, ok := r.resources[parts[0]]
		if ok && parts[1] == "Arn" && (res.Type == typeServerlessFunction || res.Type == typeLambdaFunction) {
			return TargetFunction, parts[0], nil
		}
		return "", "", fmt.Errorf("target !GetAtt %s.%s is not a function of the template", parts[0], parts[1])
	}
	return "", "", fmt.Errorf("unsupported target Arn %v", arn)
}

func (r *resolver) eventInvokeConfig(id string, res resource) (string, FunctionConfig, error) {
	v, err := r.resolve(res.Properties)
	if err != nil {
		return "", FunctionConfig{}, fmt.Errorf("%s: %w", id, err)
	}
	m, _ := v.(map[string]any)
	fnRaw := res.Properties["FunctionName"]
	fn := ""
	if ref, ok := fnRaw.(map[string]any); ok {
		fn, _ = ref["Ref"].(string)
	}
	if fn == "" {
		fn, _ = m["FunctionName"].(string)
	}
	cfg, err := invokeConfig(m)
	if err != nil {
		return "", cfg, fmt.Errorf("%s: %w", id, err)
	}
	return fn, cfg, nil
}

func invokeConfig(m map[string]any) (FunctionConfig, error) {
	cfg := defaultFunctionConfig
	if v, ok := m["MaximumRetryAttempts"]; ok {
		n, err := toInt(v)
		if err != nil || n < 0 || n > 2 {
			return cfg, fmt.Errorf("MaximumRetryAttempts must be 0, 1 or 2, got %v", v)
		}
		cfg.MaximumRetryAttempts = n
	}
	if v, ok := m["MaximumEventAgeInSeconds"]; ok {
		n, err := toInt(v)
		if err != nil || n < 60 || n > 21600 {
			return cfg, fmt.Errorf("MaximumEventAgeInSeconds must be within 60 and 21600, got %v", v)
		}
		cfg.MaximumEventAge = time.Duration(n) * time.Second
	}
	if dc, ok := m["DestinationConfig"].(map[string]any); ok {
		if of, ok := dc["OnFailure"].(map[string]any); ok {
			cfg.OnFailure, _ = of["Destination"].(string)
		}
	}
	return cfg, nil
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case float64:
		return int(n), nil
	case string:
		return strconv.Atoi(n)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

func targetInput(t *Target, props map[string]any) error {
	if in, ok := props["Input"].(string); ok {
		if !json.Valid([]byte(in)) {
			return errors.New("the target's Input is not valid JSON")
		}
		t.Input = in
	}
	if it, ok := props["InputTransformer"].(map[string]any); ok {
		x, err := newInputTransformer(it)
		if err != nil {
			return err
		}
		t.InputTransformer = x
	}
	return nil
}

// compilePattern turns a resolved pattern (a mapping, or JSON text) into
// canonical JSON and compiles it.
func compilePattern(v any) ([]byte, *eventpattern.Pattern, error) {
	var raw []byte
	switch tv := v.(type) {
	case nil:
		return nil, nil, errors.New("rule has no pattern")
	case string:
		raw = []byte(tv)
	default:
		b, err := json.Marshal(tv)
		if err != nil {
			return nil, nil, fmt.Errorf("pattern: %w", err)
		}
		raw = b
	}
	p, err := eventpattern.Compile(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("pattern: %w", err)
	}
	return raw, p, nil
}

// shortTags maps CloudFormation's YAML short forms to their long names.
var shortTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split", "!Not": "Fn::Not",
	"!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64",
	"!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr",
	"!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

// fromNode converts a YAML node to plain values, turning short-form tags
// into their long-form mappings.
func fromNode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if long, ok := shortTags[n.Tag]; ok {
			v = n.Value
			if long == "Fn::GetAtt" {
				if i := strings.Index(n.Value, "."); i > 0 {
					v = []any{n.Value[:i], n.Value[i+1:]}
				}
			}
			return map[string]any{long: v}, nil
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if long, ok := shortTags[n.Tag]; ok {
		return map[string]any{long: v}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	return v, nil
}

// functionSettings resolves a function's name, role and environment.
func (r *resolver) functionSettings(id string, res resource, cfg *FunctionConfig) error {
	cfg.Name = r.nameOf(id, res, "FunctionName")
	if rv, ok := res.Properties["Role"]; ok {
		v, err := r.resolve(rv)
		if err != nil {
			return fmt.Errorf("%s: Role: %w", id, err)
		}
		cfg.Role, _ = v.(string)
	}
	cfg.Environment = map[string]string{}
	env, _ := res.Properties["Environment"].(map[string]any) // Globals merged in
	vars, ok := env["Variables"]
	if !ok {
		return nil
	}
	v, err := r.resolve(vars)
	if err != nil {
		return fmt.Errorf("%s: Environment: %w", id, err)
	}
	m, _ := v.(map[string]any)
	for k, val := range m {
		if val == nil {
			continue
		}
		cfg.Environment[k] = fmt.Sprint(scalarString(val))
	}
	return nil
}
