package finding

import (
	"fmt"
	"strings"
)

// Mode says whether a guard only reports (monitor) or also repairs (enforce).
type Mode string

const (
	// ModeMonitor alerts and logs and changes nothing. It is the default.
	ModeMonitor Mode = "monitor"
	// ModeEnforce also takes the planned, reversible actions.
	ModeEnforce Mode = "enforce"
)

// ParseMode reads a mode; the empty string is monitor, so that a missing
// setting never turns enforcement on.
func ParseMode(s string) (Mode, error) {
	switch Mode(strings.ToLower(strings.TrimSpace(s))) {
	case "", ModeMonitor:
		return ModeMonitor, nil
	case ModeEnforce:
		return ModeEnforce, nil
	}
	return "", fmt.Errorf("unknown mode %q (want monitor or enforce)", s)
}

// Severity ranks a finding. Its order is low < medium < high < critical.
type Severity string

// The severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities; an unknown severity ranks below low.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() >= min.Rank() }

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(v string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(v)))
	if s.Rank() == 0 {
		return "", fmt.Errorf("unknown severity %q (want low, medium, high or critical)", v)
	}
	return s, nil
}

// RuleID names a rule, stable across releases: alerts, logs, exemptions and
// the ledger refer to it.
type RuleID string

// ResourceType says what kind of resource a finding is about.
type ResourceType string

// The resource types the guards look at.
const (
	ResourceFunction ResourceType = "function"
	ResourceAlias    ResourceType = "alias"
	// ResourceVersion is a published version ("function:7"): invocable by
	// its qualified ARN whether or not an alias points at it.
	ResourceVersion           ResourceType = "version"
	ResourceLayer             ResourceType = "layer"
	ResourceCodeSigningConfig ResourceType = "code-signing-config"
	ResourceRepository        ResourceType = "repository"
	// ResourceSigningJob and ResourceSigningProfile are AWS Signer's, named
	// by revocation events; their findings are the functions they signed.
	ResourceSigningJob     ResourceType = "signing-job"
	ResourceSigningProfile ResourceType = "signing-profile"
	// ResourcePullRequest is a CodeCommit pull request.
	ResourcePullRequest ResourceType = "pull-request"
)

// ResourceEventSourceMapping is an event source mapping: a queue or stream
// that invokes a function.
const ResourceEventSourceMapping ResourceType = "event-source-mapping"

// Finding is one rule violated by the current state of one resource.
type Finding struct {
	Rule         RuleID       `json:"rule"`
	Severity     Severity     `json:"severity"`
	ResourceType ResourceType `json:"resourceType"`
	// Resource is the name the resource is known by in its account and
	// region: a function name, "function:alias", a repository name.
	Resource string `json:"resource"`
	// ARN is the resource's ARN where it has one.
	ARN string `json:"arn,omitempty"`
	// Summary is one line a person understands at a glance.
	Summary string `json:"summary"`
	// Detail explains the evidence: which code, which profile, which version.
	Detail string `json:"detail,omitempty"`
}

// Key identifies a finding across runs: the same rule on the same resource is
// the same finding, so the sweep can tell new findings from open ones.
func (f Finding) Key() string {
	return string(f.Rule) + "|" + string(f.ResourceType) + "|" + f.Resource
}

// ActionKind names a remediation.
type ActionKind string

// Action is one planned remediation. Only the fields its kind uses are set.
// Every action carries the instructions that undo it.
type Action struct {
	Kind ActionKind `json:"kind"`
	// For lists the rules whose findings the action answers.
	For      []RuleID `json:"for"`
	Resource string   `json:"resource"`
	// Params carries the kind's arguments (alias, version, ARNs) as strings,
	// so that actions serialise plainly in evaluate's and audit's output.
	Params map[string]string `json:"params,omitempty"`
	// Summary says what the action does, in a sentence.
	Summary string `json:"summary"`
	// Done says what the action did in two or three words ("contained",
	// "code restored"), for the alert's subject line.
	Done string `json:"done,omitempty"`
	// Undo says how a person reverses it, as a command where there is one.
	Undo string `json:"undo"`
}

// Decision is what a rule set concluded about one resource.
type Decision struct {
	Findings []Finding `json:"findings"`
	Actions  []Action  `json:"actions"`
	// Muted are the findings a configured mute silenced: no alert, no
	// action, but counted.
	Muted []Muted `json:"muted,omitempty"`
}

// Muted is a finding a mute silenced, and which mute, why, until when.
type Muted struct {
	Finding Finding `json:"finding"`
	By      string  `json:"by"`
	Reason  string  `json:"reason"`
	Expires string  `json:"expires,omitempty"`
}

// Highest returns the highest severity among the findings, or "" if none.
func (d Decision) Highest() Severity {
	var max Severity
	for _, f := range d.Findings {
		if f.Severity.Rank() > max.Rank() {
			max = f.Severity
		}
	}
	return max
}

// Answers reports whether the action answers a finding of rule.
func (a Action) Answers(rule RuleID) bool {
	for _, r := range a.For {
		if r == rule {
			return true
		}
	}
	return false
}

// Same finds the decision's action of the same kind on the same resource as
// a, with the same values of the given parameters: the fresh form of a
// planned action after a re-read, if the fresh decision still plans it.
func (d Decision) Same(a Action, params ...string) (Action, bool) {
	for _, f := range d.Actions {
		if f.Kind != a.Kind || f.Resource != a.Resource {
			continue
		}
		match := true
		for _, p := range params {
			match = match && f.Params[p] == a.Params[p]
		}
		if match {
			return f, true
		}
	}
	return Action{}, false
}
