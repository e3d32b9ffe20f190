package settings

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// EnvMutelist is the variable template.yaml sets from its Mutelist
// parameter.
const EnvMutelist = "SELFGUARD_MUTELIST"

// Mute silences one rule (or a pattern of rules) on the resources its
// pattern matches, for a stated reason and, optionally, until a date. Unlike
// ExemptFunctions, which skips a function for every rule, a mute keeps
// every other rule judging the resource, and the muted findings are still
// counted (audit says how many, and by which mute).
type Mute struct {
	// Rule is a rule id or a pattern of them ("lambda.*"); "*" is any run
	// of characters, "?" one.
	Rule string `json:"rule"`
	// Resource is a pattern of the finding's resource: a function name,
	// "function:alias", "function/layer:version", a repository name.
	Resource string `json:"resource"`
	// Reason says why; it is required and shown wherever the mute acts.
	Reason string `json:"reason"`
	// Expires, a date (2027-03-31), ends the mute after that day (UTC).
	Expires string `json:"expires,omitempty"`
}

// String names the mute as the reports do: rule:resource.
func (m Mute) String() string { return m.Rule + ":" + m.Resource }

// Expired reports whether the mute's last day is before now's.
func (m Mute) Expired(now time.Time) bool {
	if m.Expires == "" {
		return false
	}
	day, err := time.Parse(time.DateOnly, m.Expires)
	return err == nil && now.UTC().After(day.Add(24*time.Hour))
}

// Matches reports whether the mute silences rule on resource at now.
func (m Mute) Matches(rule finding.RuleID, resource string, now time.Time) bool {
	return !m.Expired(now) && Wildcard(m.Rule, string(rule)) && Wildcard(m.Resource, resource)
}

// ParseMutelist reads mutes written as JSON,
// [{"rule":"lambda.unsigned-code","resource":"legacy-*","reason":"...","expires":"2027-03-31"}],
// or compactly, "rule:resource=reason[@2027-03-31];...". The resource ends
// at the first "=" (it may hold colons: "pay:live").
func ParseMutelist(v string) ([]Mute, error) {
	out, err := parseEntries(v, "mute", "rule:resource=reason[@YYYY-MM-DD]", func(e entry) Mute {
		m := Mute{Rule: e.rule, Resource: e.resource, Reason: e.reason}
		if i := strings.LastIndex(m.Reason, "@"); i >= 0 {
			if _, err := time.Parse(time.DateOnly, strings.TrimSpace(m.Reason[i+1:])); err == nil {
				m.Reason, m.Expires = strings.TrimSpace(m.Reason[:i]), strings.TrimSpace(m.Reason[i+1:])
			}
		}
		return m
	})
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		switch {
		case m.Rule == "" || m.Resource == "":
			return nil, fmt.Errorf("mute %s: a rule and a resource pattern are required", m)
		case strings.TrimSpace(m.Reason) == "":
			return nil, fmt.Errorf("mute %s: a reason is required", m)
		}
		if m.Expires != "" {
			if _, err := time.Parse(time.DateOnly, m.Expires); err != nil {
				return nil, fmt.Errorf("mute %s: expires %q is not a date (YYYY-MM-DD)", m, m.Expires)
			}
		}
	}
	return out, nil
}

// Now is the settings' clock (Clock, else the wall clock): it decides when
// a mute has expired.
func (s Settings) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Mute moves the findings a mute silences from d.Findings to d.Muted, and
// drops the actions that answer only muted findings. now decides expiry.
func (s Settings) Mute(d finding.Decision, now time.Time) finding.Decision {
	if len(s.Mutelist) == 0 || len(d.Findings) == 0 {
		return d
	}
	kept := d.Findings[:0:0]
	live := map[finding.RuleID]bool{}
	for _, f := range d.Findings {
		if m, ok := s.muteFor(f, now); ok {
			d.Muted = append(d.Muted, finding.Muted{Finding: f, By: m.String(), Reason: m.Reason, Expires: m.Expires})
			continue
		}
		kept = append(kept, f)
		live[f.Rule] = true
	}
	d.Findings = kept
	actions := d.Actions[:0:0]
	for _, a := range d.Actions {
		for _, r := range a.For {
			if live[r] {
				actions = append(actions, a)
				break
			}
		}
	}
	d.Actions = actions
	return d
}

func (s Settings) muteFor(f finding.Finding, now time.Time) (Mute, bool) {
	for _, m := range s.Mutelist {
		if m.Matches(f.Rule, f.Resource, now) {
			return m, true
		}
	}
	return Mute{}, false
}

// entry is one "rule:resource=reason" of a compact list.
type entry struct{ rule, resource, reason string }

// parseEntries reads a list written as a JSON array of T, or compactly as
// "rule:resource=reason;..." entries that each makes into a T. The resource
// ends at the first "=" (it may hold colons: an alias, an ARN). what names
// an entry in errors, form its compact shape.
func parseEntries[T any](v, what, form string, each func(entry) T) ([]T, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	var out []T
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return nil, fmt.Errorf("%ss JSON: %w", what, err)
		}
		return out, nil
	}
	for _, part := range strings.Split(v, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		rule, rest, ok1 := strings.Cut(part, ":")
		resource, reason, ok2 := strings.Cut(rest, "=")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s %q: want %s", what, part, form)
		}
		out = append(out, each(entry{strings.TrimSpace(rule), strings.TrimSpace(resource), strings.TrimSpace(reason)}))
	}
	return out, nil
}
