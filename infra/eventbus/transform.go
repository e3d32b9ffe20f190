package eventbus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// InputTransformer is a target's InputTransformer: values picked from the
// event by path and written into a template at <name> placeholders.
type InputTransformer struct {
	Paths    map[string][]pathStep
	Template string
}

// pathStep is one step of a JSON path: a key, or an array index.
type pathStep struct {
	key   string
	index int // -1 for a key
}

var placeholder = regexp.MustCompile(`<([A-Za-z0-9_.\-]+)>`)

// Predefined variables EventBridge offers in every input template.
const (
	varRuleArn       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

func newInputTransformer(m map[string]any) (*InputTransformer, error) {
	tmpl, ok := m["InputTemplate"].(string)
	if !ok {
		return nil, errors.New("InputTransformer needs an InputTemplate string")
	}
	x := &InputTransformer{Paths: map[string][]pathStep{}, Template: tmpl}
	paths, _ := m["InputPathsMap"].(map[string]any)
	if len(paths) > 100 {
		return nil, errors.New("InputPathsMap allows at most 100 paths")
	}
	for name, pv := range paths {
		if strings.HasPrefix(name, "aws.events.") {
			return nil, fmt.Errorf("InputPathsMap key %q uses the reserved prefix aws.events", name)
		}
		p, ok := pv.(string)
		if !ok {
			return nil, fmt.Errorf("InputPathsMap %q needs a path string", name)
		}
		steps, err := parsePath(p)
		if err != nil {
			return nil, fmt.Errorf("InputPathsMap %q: %w", name, err)
		}
		x.Paths[name] = steps
	}
	return x, nil
}

// parsePath reads $, $.a.b, $.a[0].b and $['a-b'] forms.
func parsePath(p string) ([]pathStep, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("path %q must start with $", p)
	}
	var steps []pathStep
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("path %q has an empty key", p)
			}
			steps = append(steps, pathStep{key: rest[:end], index: -1})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q has an unclosed [", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				steps = append(steps, pathStep{key: inner[1 : len(inner)-1], index: -1})
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("path %q has a bad index %q", p, inner)
			}
			steps = append(steps, pathStep{index: i})
		default:
			return nil, fmt.Errorf("path %q: unexpected %q", p, rest[0])
		}
	}
	return steps, nil
}

func lookup(v any, steps []pathStep) (any, bool) {
	for _, s := range steps {
		if s.index >= 0 {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Apply renders the template for an event. Inside a JSON string a value is
// written as text (a string without its quotes); elsewhere as JSON. A
// missing path gives null (an empty string inside quotes). A template that
// is one JSON string renders to that string's text, as EventBridge hands
// SNS and other string targets the text itself.
func (x *InputTransformer) Apply(event []byte, ruleName, ruleArn string, ingested time.Time) (string, error) {
	ev, err := decodeEvent(event)
	if err != nil {
		return "", err
	}
	values := map[string]any{
		varRuleArn: ruleArn, varRuleName: ruleName,
		varIngestionTime: ingested.UTC().Format(time.RFC3339), varEvent: ev, varEventJSON: ev,
	}
	names := make([]string, 0, len(x.Paths))
	for n := range x.Paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if v, ok := lookup(ev, x.Paths[n]); ok {
			values[n] = v
		} else {
			values[n] = nil
		}
	}
	var out strings.Builder
	tmpl := x.Template
	inString := false
	last := 0
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '\\' && inString {
			i++
			continue
		}
		if c == '"' {
			inString = !inString
			continue
		}
		if c != '<' {
			continue
		}
		loc := placeholder.FindStringSubmatchIndex(tmpl[i:])
		if loc == nil || loc[0] != 0 {
			continue
		}
		name := tmpl[i+loc[2] : i+loc[3]]
		v, known := values[name]
		if !known {
			continue // not a variable: left as written
		}
		out.WriteString(tmpl[last:i])
		if err := writeValue(&out, v, inString); err != nil {
			return "", err
		}
		i += loc[1] - 1
		last = i + 1
	}
	out.WriteString(tmpl[last:])
	s := out.String()
	trimmed := strings.TrimSpace(s)
	if strings.HasPrefix(trimmed, `"`) {
		var str string
		if err := json.Unmarshal([]byte(trimmed), &str); err == nil {
			return str, nil
		}
	}
	return s, nil
}

func writeValue(out *strings.Builder, v any, inString bool) error {
	if inString {
		text := ""
		switch tv := v.(type) {
		case nil:
		case string:
			text = tv
		default:
			b, err := marshal(tv)
			if err != nil {
				return fmt.Errorf("input transformer: %w", err)
			}
			text = string(b)
		}
		b, _ := marshal(text)
		out.Write(b[1 : len(b)-1])
		return nil
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("input transformer: %w", err)
	}
	out.Write(b)
	return nil
}

// marshal is json.Marshal without HTML escaping, as templates are not HTML.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeEvent decodes an event, keeping numbers as written.
func decodeEvent(event []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("decode event: an event must be a JSON object")
	}
	return v, nil
}
