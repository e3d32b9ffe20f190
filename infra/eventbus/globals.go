package eventbus

import (
	"fmt"
	"strings"
)

// MergeGlobals returns a SAM function's properties as SAM's transform sees
// them once its Globals.Function section is applied: maps merge key by key
// (the function's own keys win), lists append the function's to the
// global ones, and any other value, an intrinsic function included, is the
// function's own if it has one. ignore is the resource's IgnoreGlobals
// attribute: "*" for none of the globals, or the names of those to leave
// out. Neither argument is modified.
func MergeGlobals(globals, props map[string]any, ignore any) (map[string]any, error) {
	kept, err := withoutIgnored(globals, ignore)
	if err != nil {
		return nil, err
	}
	merged, _ := mergeValue(kept, props).(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	return merged, nil
}

func withoutIgnored(globals map[string]any, ignore any) (map[string]any, error) {
	out := make(map[string]any, len(globals))
	for k, v := range globals {
		out[k] = v
	}
	switch ig := ignore.(type) {
	case nil:
		return out, nil
	case string:
		if ig != "*" {
			return nil, fmt.Errorf("IgnoreGlobals must be \"*\" or a list of property names, got %q", ig)
		}
		return map[string]any{}, nil
	case []any:
		for _, name := range ig {
			s, _ := name.(string)
			if _, ok := out[s]; !ok {
				return nil, fmt.Errorf("IgnoreGlobals names %v, which Globals does not set", name)
			}
			delete(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("IgnoreGlobals must be \"*\" or a list of property names, got %v", ignore)
}

func mergeValue(global, local any) any {
	if global == nil {
		return local
	}
	if local == nil {
		return global
	}
	gm, gIsMap := plainMap(global)
	lm, lIsMap := plainMap(local)
	if gIsMap && lIsMap {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			out[k] = mergeValue(gm[k], v)
		}
		return out
	}
	gl, gIsList := global.([]any)
	ll, lIsList := local.([]any)
	if gIsList && lIsList {
		return append(append(make([]any, 0, len(gl)+len(ll)), gl...), ll...)
	}
	return local
}

// plainMap reports whether v is a mapping that is not an intrinsic
// function: SAM merges intrinsics as single values.
func plainMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if len(m) == 1 {
		for k := range m {
			if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
				return nil, false
			}
		}
	}
	return m, true
}
