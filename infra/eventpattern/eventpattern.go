package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Pattern is a compiled event pattern, safe for concurrent use.
type Pattern struct {
	source string
	root   *objectNode
}

// objectNode is the pattern for one JSON object: every field must match, and
// then at least one alternative of $or, if present.
type objectNode struct {
	fields []fieldNode
	or     []*objectNode
}

// fieldNode is one key of a pattern object: either a nested object or a leaf
// list of matchers, any of which may match.
type fieldNode struct {
	key    string
	object *objectNode
	leaf   []matcher
	// existsTrue and existsFalse hold the leaf's existence tests, which look
	// at whether there is a value rather than at the value.
	existsTrue, existsFalse bool
}

// numericLimit is the largest magnitude EventBridge accepts in numeric
// matching.
const numericLimit = 5.0e9

// Compile parses and validates an EventBridge event pattern.
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, fmt.Errorf("eventpattern: invalid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("eventpattern: a pattern must be a JSON object")
	}
	if len(obj) == 0 {
		return nil, errors.New("eventpattern: a pattern must not be empty")
	}
	root, err := compileObject(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{source: string(pattern), root: root}, nil
}

// MustCompile is Compile for patterns known to be valid; it panics otherwise.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.source }

// Match reports whether the JSON event matches the pattern. The event must be
// a JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, fmt.Errorf("eventpattern: invalid event: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return false, errors.New("eventpattern: an event must be a JSON object")
	}
	return p.root.match(v, true), nil
}

// MatchValue reports whether an already decoded event matches. Numbers may be
// json.Number or any Go integer or float type.
func (p *Pattern) MatchValue(event any) bool {
	if _, ok := event.(map[string]any); !ok {
		return false
	}
	return p.root.match(event, true)
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func compileObject(obj map[string]any, path string) (*objectNode, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &objectNode{}
	for _, k := range keys {
		p := join(path, k)
		v := obj[k]
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, fmt.Errorf("eventpattern: %q: $or needs an array of at least two patterns", p)
			}
			for i, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok || len(ao) == 0 {
					return nil, fmt.Errorf("eventpattern: %q: $or element %d must be a non-empty object", p, i)
				}
				an, err := compileObject(ao, path)
				if err != nil {
					return nil, err
				}
				n.or = append(n.or, an)
			}
			continue
		}
		switch tv := v.(type) {
		case map[string]any:
			if len(tv) == 0 {
				return nil, fmt.Errorf("eventpattern: %q: an object in a pattern must not be empty", p)
			}
			child, err := compileObject(tv, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fieldNode{key: k, object: child})
		case []any:
			f, err := compileLeaf(k, tv, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, f)
		default:
			return nil, fmt.Errorf("eventpattern: %q: match value must be an array or an object, got %s", p, describe(v))
		}
	}
	return n, nil
}

func compileLeaf(key string, values []any, path string) (fieldNode, error) {
	if len(values) == 0 {
		return fieldNode{}, fmt.Errorf("eventpattern: %q: empty arrays are not allowed", path)
	}
	f := fieldNode{key: key}
	for _, v := range values {
		switch tv := v.(type) {
		case string:
			f.leaf = append(f.leaf, exactString(tv))
		case json.Number:
			x, err := number(tv, path)
			if err != nil {
				return fieldNode{}, err
			}
			f.leaf = append(f.leaf, exactNumber(x))
		case bool:
			f.leaf = append(f.leaf, exactBool(tv))
		case nil:
			f.leaf = append(f.leaf, exactNull{})
		case []any:
			return fieldNode{}, fmt.Errorf("eventpattern: %q: arrays inside match arrays are not allowed", path)
		case map[string]any:
			m, exists, err := compileOperator(tv, path)
			if err != nil {
				return fieldNode{}, err
			}
			if exists != nil {
				if *exists {
					f.existsTrue = true
				} else {
					f.existsFalse = true
				}
				continue
			}
			f.leaf = append(f.leaf, m)
		}
	}
	return f, nil
}

func number(n json.Number, path string) (float64, error) {
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("eventpattern: %q: bad number %s", path, n)
	}
	return x, nil
}

func compileOperator(op map[string]any, path string) (matcher, *bool, error) {
	if len(op) != 1 {
		return nil, nil, fmt.Errorf("eventpattern: %q: a match object must have exactly one operator, got %d", path, len(op))
	}
	for name, arg := range op {
		switch name {
		case "prefix", "suffix":
			s, ignoreCase, err := stringOrIgnoreCase(name, arg, path)
			if err != nil {
				return nil, nil, err
			}
			if ignoreCase {
				s = strings.ToLower(s)
			}
			return affix{suffix: name == "suffix", s: s, ignoreCase: ignoreCase}, nil, nil
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, nil, fmt.Errorf("eventpattern: %q: equals-ignore-case needs a string, got %s", path, describe(arg))
			}
			return equalsIgnoreCase(s), nil, nil
		case "wildcard":
			s, ok := arg.(string)
			if !ok {
				return nil, nil, fmt.Errorf("eventpattern: %q: wildcard needs a string, got %s", path, describe(arg))
			}
			w, err := compileWildcard(s, path)
			if err != nil {
				return nil, nil, err
			}
			return w, nil, nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, nil, fmt.Errorf("eventpattern: %q: exists needs true or false, got %s", path, describe(arg))
			}
			return nil, &b, nil
		case "numeric":
			m, err := compileNumeric(arg, path)
			return m, nil, err
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, nil, fmt.Errorf("eventpattern: %q: cidr needs a string, got %s", path, describe(arg))
			}
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, nil, fmt.Errorf("eventpattern: %q: bad cidr %q: %w", path, s, err)
			}
			return cidr(pfx.Masked()), nil, nil
		case "anything-but":
			m, err := compileAnythingBut(arg, path)
			return m, nil, err
		default:
			return nil, nil, fmt.Errorf("eventpattern: %q: unrecognized match type %q", path, name)
		}
	}
	panic("unreachable")
}

func stringOrIgnoreCase(name string, arg any, path string) (string, bool, error) {
	switch a := arg.(type) {
	case string:
		return a, false, nil
	case map[string]any:
		if len(a) == 1 {
			if s, ok := a["equals-ignore-case"].(string); ok {
				return s, true, nil
			}
		}
	}
	return "", false, fmt.Errorf("eventpattern: %q: %s needs a string or {\"equals-ignore-case\": string}, got %s", path, name, describe(arg))
}

func compileNumeric(arg any, path string) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("eventpattern: %q: numeric needs one or two (operator, number) pairs", path)
	}
	r := numericRange{lower: math.Inf(-1), upper: math.Inf(1)}
	var haveLower, haveUpper, haveEq bool
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, fmt.Errorf("eventpattern: %q: numeric operator must be a string, got %s", path, describe(list[i]))
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			return nil, fmt.Errorf("eventpattern: %q: numeric %s needs a number, got %s", path, op, describe(list[i+1]))
		}
		x, err := number(n, path)
		if err != nil {
			return nil, err
		}
		if x < -numericLimit || x > numericLimit {
			return nil, fmt.Errorf("eventpattern: %q: numeric value %s is outside [-5e9, 5e9]", path, n)
		}
		switch op {
		case "=":
			if len(list) != 2 {
				return nil, fmt.Errorf("eventpattern: %q: numeric \"=\" cannot be combined with other operators", path)
			}
			haveEq = true
			r.lower, r.upper, r.lowerIncl, r.upperIncl = x, x, true, true
		case ">", ">=":
			if haveLower {
				return nil, fmt.Errorf("eventpattern: %q: numeric has two lower bounds", path)
			}
			haveLower = true
			r.lower, r.lowerIncl = x, op == ">="
		case "<", "<=":
			if haveUpper {
				return nil, fmt.Errorf("eventpattern: %q: numeric has two upper bounds", path)
			}
			haveUpper = true
			r.upper, r.upperIncl = x, op == "<="
		default:
			return nil, fmt.Errorf("eventpattern: %q: unrecognized numeric operator %q", path, op)
		}
	}
	if !haveEq && haveLower && haveUpper && r.lower >= r.upper {
		return nil, fmt.Errorf("eventpattern: %q: numeric range is empty: lower bound must be below upper bound", path)
	}
	return r, nil
}

func compileAnythingBut(arg any, path string) (matcher, error) {
	ab := anythingBut{}
	switch a := arg.(type) {
	case string:
		ab.strings = map[string]bool{a: true}
	case json.Number:
		x, err := number(a, path)
		if err != nil {
			return nil, err
		}
		ab.numbers = map[float64]bool{x: true}
	case []any:
		if len(a) == 0 {
			return nil, fmt.Errorf("eventpattern: %q: anything-but list must not be empty", path)
		}
		for _, e := range a {
			switch te := e.(type) {
			case string:
				if ab.numbers != nil {
					return nil, fmt.Errorf("eventpattern: %q: anything-but list must hold only strings or only numbers", path)
				}
				if ab.strings == nil {
					ab.strings = map[string]bool{}
				}
				ab.strings[te] = true
			case json.Number:
				if ab.strings != nil {
					return nil, fmt.Errorf("eventpattern: %q: anything-but list must hold only strings or only numbers", path)
				}
				x, err := number(te, path)
				if err != nil {
					return nil, err
				}
				if ab.numbers == nil {
					ab.numbers = map[float64]bool{}
				}
				ab.numbers[x] = true
			default:
				return nil, fmt.Errorf("eventpattern: %q: anything-but list must hold only strings or only numbers, got %s", path, describe(e))
			}
		}
	case map[string]any:
		if len(a) != 1 {
			return nil, fmt.Errorf("eventpattern: %q: anything-but object must have exactly one operator", path)
		}
		for name, inner := range a {
			switch name {
			case "prefix", "suffix":
				s, ok := inner.(string)
				if !ok {
					return nil, fmt.Errorf("eventpattern: %q: anything-but %s needs a string, got %s", path, name, describe(inner))
				}
				ab.inner = append(ab.inner, affix{suffix: name == "suffix", s: s})
			case "equals-ignore-case", "wildcard":
				list, err := stringOrStrings(inner, name, path)
				if err != nil {
					return nil, err
				}
				for _, s := range list {
					if name == "wildcard" {
						w, err := compileWildcard(s, path)
						if err != nil {
							return nil, err
						}
						ab.inner = append(ab.inner, w)
					} else {
						ab.inner = append(ab.inner, equalsIgnoreCase(s))
					}
				}
			default:
				return nil, fmt.Errorf("eventpattern: %q: unsupported anything-but operator %q", path, name)
			}
		}
	default:
		return nil, fmt.Errorf("eventpattern: %q: anything-but needs a string, a number, a list or an object, got %s", path, describe(arg))
	}
	return ab, nil
}

func stringOrStrings(v any, name, path string) ([]string, error) {
	switch tv := v.(type) {
	case string:
		return []string{tv}, nil
	case []any:
		if len(tv) == 0 {
			return nil, fmt.Errorf("eventpattern: %q: anything-but %s list must not be empty", path, name)
		}
		out := make([]string, 0, len(tv))
		for _, e := range tv {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("eventpattern: %q: anything-but %s list must hold only strings", path, name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("eventpattern: %q: anything-but %s needs a string or a list of strings, got %s", path, name, describe(v))
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// match reports whether v (present or not) satisfies the object pattern.
func (n *objectNode) match(v any, present bool) bool {
	if arr, ok := v.([]any); ok {
		// An array of objects: some element must satisfy the whole nested
		// pattern (EventBridge's array consistency). An array without
		// objects holds no fields at all.
		holdsObjects := false
		for _, e := range arr {
			switch e.(type) {
			case map[string]any, []any:
				holdsObjects = true
				if n.match(e, true) {
					return true
				}
			}
		}
		if holdsObjects {
			return false
		}
		return n.match(nil, false)
	}
	obj, _ := v.(map[string]any)
	for i := range n.fields {
		f := &n.fields[i]
		fv, ok := obj[f.key]
		if f.object != nil {
			if !f.object.match(fv, ok) {
				return false
			}
			continue
		}
		if !f.matchLeaf(fv, ok) {
			return false
		}
	}
	if len(n.or) == 0 {
		return true
	}
	for _, alt := range n.or {
		if alt.match(v, present) {
			return true
		}
	}
	return false
}

func (f *fieldNode) matchLeaf(v any, present bool) bool {
	var values []any
	if present {
		values = leaves(v, nil)
	}
	if f.existsTrue && len(values) > 0 || f.existsFalse && len(values) == 0 {
		return true
	}
	for _, x := range values {
		for _, m := range f.leaf {
			if m.match(x) {
				return true
			}
		}
	}
	return false
}

// leaves returns the leaf values of v: v itself, or the non-object elements
// of an array, flattened.
func leaves(v any, out []any) []any {
	switch tv := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, e := range tv {
			out = leaves(e, out)
		}
		return out
	}
	return append(out, v)
}

func errorf(path, format string, args ...any) error {
	return fmt.Errorf("eventpattern: %q: "+format, append([]any{path}, args...)...)
}
