package eventbus

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// noValue is what Ref AWS::NoValue resolves to; maps and lists drop it.
type noValue struct{}

// resolver evaluates CloudFormation intrinsic functions against the
// template's parameters, pseudo parameters and conditions.
type resolver struct {
	params     map[string]any
	conditions map[string]any
	condCache  map[string]bool
	resources  map[string]resource
	attributes map[string]string
	physical   map[string]string
	globalFn   map[string]any
	mappings   map[string]any
	account    string
	region     string
	stack      string
	depth      int
}

func newResolver(top map[string]any, opts TemplateOptions) (*resolver, error) {
	r := &resolver{
		params: map[string]any{}, condCache: map[string]bool{}, resources: map[string]resource{},
		attributes: opts.Attributes, physical: opts.Physical, account: opts.AccountID, region: opts.Region, stack: opts.StackName,
	}
	if r.account == "" {
		r.account = "123456789012"
	}
	if r.region == "" {
		r.region = "us-east-1"
	}
	if r.stack == "" {
		r.stack = "selfguard"
	}
	r.mappings, _ = top["Mappings"].(map[string]any)
	params, _ := top["Parameters"].(map[string]any)
	for name, pv := range params {
		def, _ := pv.(map[string]any)
		val, hasDefault := def["Default"]
		if s, ok := opts.Parameters[name]; ok {
			val, hasDefault = s, true
		}
		if !hasDefault {
			return nil, fmt.Errorf("parameter %s has no Default and no value was given", name)
		}
		if typ, _ := def["Type"].(string); strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" {
			if s, ok := val.(string); ok {
				parts := strings.Split(s, ",")
				list := make([]any, len(parts))
				for i, p := range parts {
					list[i] = p
				}
				val = list
			}
		} else if val != nil {
			val = scalarString(val)
		}
		r.params[name] = val
	}
	for name := range opts.Parameters {
		if _, ok := params[name]; !ok {
			return nil, fmt.Errorf("parameter %s is not declared in the template", name)
		}
	}
	r.conditions, _ = top["Conditions"].(map[string]any)
	if globals, ok := top["Globals"].(map[string]any); ok {
		r.globalFn, _ = globals["Function"].(map[string]any)
	}
	resources, _ := top["Resources"].(map[string]any)
	for id, rv := range resources {
		m, _ := rv.(map[string]any)
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		cond, _ := m["Condition"].(string)
		if cond != "" {
			ok, err := r.condition(cond)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			if !ok {
				continue // CloudFormation does not create it
			}
		}
		if typ == typeServerlessFunction {
			merged, err := MergeGlobals(r.globalFn, props, m["IgnoreGlobals"])
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			props = merged
		}
		r.resources[id] = resource{Type: typ, Properties: props, Condition: cond}
	}
	return r, nil
}

func scalarString(v any) any {
	switch tv := v.(type) {
	case string:
		return tv
	case int:
		return strconv.Itoa(tv)
	case float64:
		return strconv.FormatFloat(tv, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(tv)
	}
	return v
}

func (r *resolver) condition(name string) (bool, error) {
	if v, ok := r.condCache[name]; ok {
		return v, nil
	}
	expr, ok := r.conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %s", name)
	}
	v, err := r.resolve(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is not a boolean", name)
	}
	r.condCache[name] = b
	return b, nil
}

// resolve evaluates every intrinsic function inside v.
func (r *resolver) resolve(v any) (any, error) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > 100 {
		return nil, errors.New("intrinsic functions nested too deep")
	}
	switch tv := v.(type) {
	case map[string]any:
		if len(tv) == 1 {
			for k, arg := range tv {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(tv))
		for k, e := range tv {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, skip := rv.(noValue); !skip {
				out[k] = rv
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(tv))
		for _, e := range tv {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); !skip {
				out = append(out, rv)
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *resolver) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return nil, errors.New("a Ref needs a name")
		}
		return r.ref(s)
	case "Condition":
		s, ok := arg.(string)
		if !ok {
			return nil, errors.New("a Condition needs a name")
		}
		return r.condition(s)
	case "Fn::GetAtt":
		parts, err := getAttParts(arg)
		if err != nil {
			return nil, err
		}
		return r.getAtt(parts[0], parts[1])
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::If":
		list, ok := arg.([]any)
		if !ok || len(list) != 3 {
			return nil, errors.New("Fn::If needs [condition, then, else]")
		}
		cond, ok := list[0].(string)
		if !ok {
			return nil, errors.New("Fn::If needs a condition name")
		}
		b, err := r.condition(cond)
		if err != nil {
			return nil, err
		}
		if b {
			return r.resolve(list[1])
		}
		return r.resolve(list[2])
	case "Fn::Equals":
		list, err := r.resolveList(arg, 2, name)
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(scalarString(list[0])) == fmt.Sprint(scalarString(list[1])), nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		list, err := r.resolveList(arg, -1, name)
		if err != nil {
			return nil, err
		}
		bools := make([]bool, len(list))
		for i, e := range list {
			b, ok := e.(bool)
			if !ok {
				return nil, fmt.Errorf("%s needs conditions", name)
			}
			bools[i] = b
		}
		switch name {
		case "Fn::Not":
			if len(bools) != 1 {
				return nil, errors.New("Fn::Not needs one condition")
			}
			return !bools[0], nil
		case "Fn::And":
			for _, b := range bools {
				if !b {
					return false, nil
				}
			}
			return true, nil
		default:
			for _, b := range bools {
				if b {
					return true, nil
				}
			}
			return false, nil
		}
	case "Fn::Join":
		list, err := r.resolveList(arg, 2, name)
		if err != nil {
			return nil, err
		}
		sep, ok := list[0].(string)
		items, ok2 := list[1].([]any)
		if !ok || !ok2 {
			return nil, errors.New("Fn::Join needs [separator, [values]]")
		}
		strs := make([]string, len(items))
		for i, it := range items {
			strs[i] = fmt.Sprint(scalarString(it))
		}
		return strings.Join(strs, sep), nil
	case "Fn::Select":
		list, err := r.resolveList(arg, 2, name)
		if err != nil {
			return nil, err
		}
		idx, err := toInt(list[0])
		items, ok := list[1].([]any)
		if err != nil || !ok || idx < 0 || idx >= len(items) {
			return nil, errors.New("Fn::Select index out of range")
		}
		return items[idx], nil
	case "Fn::Split":
		list, err := r.resolveList(arg, 2, name)
		if err != nil {
			return nil, err
		}
		sep, ok := list[0].(string)
		s, ok2 := list[1].(string)
		if !ok || !ok2 {
			return nil, errors.New("Fn::Split needs [separator, string]")
		}
		parts := strings.Split(s, sep)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "Fn::FindInMap":
		list, err := r.resolveList(arg, 3, name)
		if err != nil {
			return nil, err
		}
		m, _ := r.mappings[fmt.Sprint(list[0])].(map[string]any)
		top, _ := m[fmt.Sprint(list[1])].(map[string]any)
		v, ok := top[fmt.Sprint(list[2])]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap %v: no such key", list)
		}
		return v, nil
	}
	return nil, fmt.Errorf("intrinsic function %s is not supported by the local bus", name)
}

func (r *resolver) resolveList(arg any, n int, name string) ([]any, error) {
	v, err := r.resolve(arg)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || (n >= 0 && len(list) != n) {
		return nil, fmt.Errorf("%s needs a list of %d", name, n)
	}
	return list, nil
}

func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return r.account, nil
	case "AWS::Region":
		return r.region, nil
	case "AWS::StackName":
		return r.stack, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + r.region + ":" + r.account + ":stack/" + r.stack + "/local", nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if v, ok := r.physical[name]; ok {
		return v, nil
	}
	if res, ok := r.resources[name]; ok {
		return r.physicalID(name, res), nil
	}
	return nil, fmt.Errorf("a Ref to unknown name %s", name)
}

// physicalID is the value Ref gives for a resource: a name or an ARN that
// looks like the one AWS would assign.
func (r *resolver) physicalID(id string, res resource) string {
	switch res.Type {
	case typeSNSTopic:
		return "arn:aws:sns:" + r.region + ":" + r.account + ":" + r.nameOf(id, res, "TopicName")
	case typeServerlessFunction, typeLambdaFunction:
		return r.nameOf(id, res, "FunctionName")
	}
	return id
}

func (r *resolver) nameOf(id string, res resource, prop string) string {
	if v, ok := res.Properties[prop]; ok {
		if s, err := r.resolve(v); err == nil {
			if str, ok := s.(string); ok && str != "" {
				return str
			}
		}
	}
	return r.stack + "-" + id
}

func (r *resolver) getAtt(id, attr string) (any, error) {
	if v, ok := r.attributes[id+"."+attr]; ok {
		return v, nil
	}
	res, ok := r.resources[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt of unknown resource %s", id)
	}
	if attr != "Arn" {
		return id + "." + attr, nil
	}
	switch res.Type {
	case typeServerlessFunction, typeLambdaFunction:
		return "arn:aws:lambda:" + r.region + ":" + r.account + ":function:" + r.nameOf(id, res, "FunctionName"), nil
	case "AWS::IAM::Role":
		return "arn:aws:iam::" + r.account + ":role/" + r.nameOf(id, res, "RoleName"), nil
	case "AWS::SQS::Queue":
		return "arn:aws:sqs:" + r.region + ":" + r.account + ":" + r.nameOf(id, res, "QueueName"), nil
	case typeSNSTopic:
		return r.physicalID(id, res), nil
	}
	return "arn:aws:local:" + r.region + ":" + r.account + ":" + id, nil
}

func getAttParts(arg any) ([2]string, error) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			x, ok1 := a[0].(string)
			y, ok2 := a[1].(string)
			if ok1 && ok2 {
				return [2]string{x, y}, nil
			}
		}
	case string:
		if i := strings.Index(a, "."); i > 0 {
			return [2]string{a[:i], a[i+1:]}, nil
		}
	}
	return [2]string{}, fmt.Errorf("Fn::GetAtt needs [resource, attribute], got %v", arg)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (r *resolver) sub(arg any) (any, error) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, errors.New("Fn::Sub needs a string or [string, {variables}]")
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, errors.New("Fn::Sub needs a string or [string, {variables}]")
		}
		text = s
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := r.resolve(m[k])
			if err != nil {
				return nil, err
			}
			vars[k] = v
		}
	default:
		return nil, errors.New("Fn::Sub needs a string or [string, {variables}]")
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		var v any
		var err error
		if vv, ok := vars[name]; ok {
			v = vv
		} else if i := strings.Index(name, "."); i > 0 && !strings.HasPrefix(name, "AWS::") {
			v, err = r.getAtt(name[:i], name[i+1:])
		} else {
			v, err = r.ref(name)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return fmt.Sprint(scalarString(v))
	})
	if firstErr != nil {
		return nil, firstErr
	}
	// ${!Literal} writes ${Literal}.
	return strings.ReplaceAll(out, "${!", "${"), nil
}
