package eventpattern

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// matcher tests one leaf value of an event.
type matcher interface {
	match(v any) bool
}

type exactString string

func (m exactString) match(v any) bool {
	s, ok := v.(string)
	return ok && s == string(m)
}

type exactNumber float64

func (m exactNumber) match(v any) bool {
	x, ok := toFloat(v)
	return ok && x == float64(m)
}

type exactBool bool

func (m exactBool) match(v any) bool {
	b, ok := v.(bool)
	return ok && b == bool(m)
}

type exactNull struct{}

func (exactNull) match(v any) bool { return v == nil }

type equalsIgnoreCase string

func (m equalsIgnoreCase) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(m))
}

// affix is prefix or suffix matching; with ignoreCase, s is lower case.
type affix struct {
	suffix     bool
	ignoreCase bool
	s          string
}

func (m affix) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.ignoreCase {
		s = strings.ToLower(s)
	}
	if m.suffix {
		return strings.HasSuffix(s, m.s)
	}
	return strings.HasPrefix(s, m.s)
}

type numericRange struct {
	lower, upper         float64
	lowerIncl, upperIncl bool
}

func (m numericRange) match(v any) bool {
	x, ok := toFloat(v)
	if !ok {
		return false
	}
	if x < m.lower || x == m.lower && !m.lowerIncl {
		return false
	}
	if x > m.upper || x == m.upper && !m.upperIncl {
		return false
	}
	return true
}

type cidr netip.Prefix

func (m cidr) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return netip.Prefix(m).Contains(addr.Unmap())
}

// anythingBut matches every value except the listed strings or numbers and
// the values its inner matchers accept.
type anythingBut struct {
	strings map[string]bool
	numbers map[float64]bool
	inner   []matcher
}

func (m anythingBut) match(v any) bool {
	if s, ok := v.(string); ok && m.strings[s] {
		return false
	}
	if m.numbers != nil {
		if x, ok := toFloat(v); ok && m.numbers[x] {
			return false
		}
	}
	for _, in := range m.inner {
		if in.match(v) {
			return false
		}
	}
	return true
}

// wildcard matches a string against segments separated by "*".
type wildcard struct {
	segments []string // literal text between stars
	leading  bool     // pattern starts with *
	trailing bool     // pattern ends with *
}

func compileWildcard(s, path string) (wildcard, error) {
	var (
		w   wildcard
		cur strings.Builder
		// star records whether the last token was an unescaped star, to
		// reject "**", which EventBridge refuses.
		star bool
	)
	w.leading = strings.HasPrefix(s, "*")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return wildcard{}, errorf(path, "wildcard %q: a backslash must escape * or \\", s)
			}
			cur.WriteByte(s[i+1])
			i++
			star = false
		case '*':
			if star {
				return wildcard{}, errorf(path, "wildcard %q: consecutive wildcard characters are not allowed", s)
			}
			star = true
			if i > 0 {
				w.segments = append(w.segments, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
			star = false
		}
	}
	w.trailing = star
	if !star {
		w.segments = append(w.segments, cur.String())
	}
	return w, nil
}

func (w wildcard) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	segs := w.segments
	if len(segs) == 0 { // only "*"
		return true
	}
	if !w.leading {
		if !strings.HasPrefix(s, segs[0]) {
			return false
		}
		s = s[len(segs[0]):]
		segs = segs[1:]
		if len(segs) == 0 {
			return w.trailing || s == ""
		}
	}
	last := ""
	if !w.trailing {
		last = segs[len(segs)-1]
		segs = segs[:len(segs)-1]
	}
	// Greedy leftmost matching of the middle segments is optimal for a
	// pattern whose stars all match any text.
	for _, seg := range segs {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	if w.trailing {
		return true
	}
	return strings.HasSuffix(s, last)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		x, err := strconv.ParseFloat(string(n), 64)
		return x, err == nil && !math.IsInf(x, 0)
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	}
	return 0, false
}
