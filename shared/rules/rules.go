package rules

import (
	"fmt"
	"sort"

	"github.com/selfguard/selfguard/shared/finding"
)

// Guardrail names one of selfguard's guardrails.
type Guardrail string

// The guardrails.
const (
	CodeSigning  Guardrail = "code-signing"
	Releases     Guardrail = "versions-and-aliases"
	Repositories Guardrail = "reviewed-repositories"
	// Integrity keeps selfguard itself from being borrowed or turned.
	Integrity Guardrail = "guard-integrity"
)

// Rule is one rule, declared once. Everything that speaks of a rule (the
// decision's findings, alerts, ASFF, the IAM least-privilege test and the
// README's table) reads it from here.
type Rule struct {
	ID        finding.RuleID
	Guardrail Guardrail
	Resource  finding.ResourceType
	// Severity is the rule's severity; a decision may raise it (and says
	// so in Raised) but never lowers it.
	Severity finding.Severity
	// Raised says when the decision raises the severity, and to what.
	Raised string
	// Title is one line a person understands at a glance.
	Title string
	// Enforce says what enforce mode does about a finding, in words.
	Enforce string
	// Actions are the action kinds the rule's findings may plan.
	Actions []finding.ActionKind
	// Check lists the IAM actions needed to find the rule's resources from
	// an event and read their state.
	Check []string
	// Undo says how a person reverses what enforce mode did.
	Undo string
	// Edge says the rule is judged from what a CloudTrail event says was
	// done (with the state read since), not from the state alone: it
	// alerts on a protection removed even when the state is good again by
	// the time the event is delivered. The sweep, which has no event,
	// never raises it.
	Edge bool
}

// Action is one remediation kind, declared once with the IAM actions its
// writes need (the reads it repeats before acting are its rules' Check).
type Action struct {
	Kind finding.ActionKind
	// Done is two or three words for an alert's subject ("contained").
	Done        string
	Permissions []string
}

var (
	byID   = map[finding.RuleID]Rule{}
	byKind = map[finding.ActionKind]Action{}
)

func init() {
	for _, a := range actions {
		if _, dup := byKind[a.Kind]; dup {
			panic(fmt.Sprintf("rules: action %s declared twice", a.Kind))
		}
		byKind[a.Kind] = a
	}
	for _, r := range table {
		if _, dup := byID[r.ID]; dup {
			panic(fmt.Sprintf("rules: rule %s declared twice", r.ID))
		}
		for _, k := range r.Actions {
			if _, ok := byKind[k]; !ok {
				panic(fmt.Sprintf("rules: rule %s plans undeclared action %s", r.ID, k))
			}
		}
		byID[r.ID] = r
	}
}

// All returns every rule, in declaration order (guardrail by guardrail).
func All() []Rule { return append([]Rule(nil), table...) }

// Actions returns every action kind, in declaration order.
func Actions() []Action { return append([]Action(nil), actions...) }

// Get returns the rule with id; ok is false for an undeclared id.
func Get(id finding.RuleID) (Rule, bool) {
	r, ok := byID[id]
	return r, ok
}

// Must returns the rule with id and panics when it is not declared: a
// decision naming an undeclared rule is a programming error a test catches.
func Must(id finding.RuleID) Rule {
	r, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("rules: undeclared rule %s", id))
	}
	return r
}

// Finding starts a finding of rule id on a resource, with the rule's
// resource type and severity.
func Finding(id finding.RuleID, resource, arn, summary, detail string) finding.Finding {
	r := Must(id)
	return finding.Finding{
		Rule: id, Severity: r.Severity, ResourceType: r.Resource,
		Resource: resource, ARN: arn, Summary: summary, Detail: detail,
	}
}

// Done returns the words an alert uses for a done action of kind k.
func Done(k finding.ActionKind) string { return byKind[k].Done }

// Permissions returns the IAM actions the rules of the given guardrails
// need to be checked and enforced, sorted and without duplicates.
func Permissions(gs ...Guardrail) []string {
	want := map[Guardrail]bool{}
	for _, g := range gs {
		want[g] = true
	}
	seen := map[string]bool{}
	for _, r := range table {
		if !want[r.Guardrail] {
			continue
		}
		for _, p := range r.Check {
			seen[p] = true
		}
		for _, k := range r.Actions {
			for _, p := range byKind[k].Permissions {
				seen[p] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ActionPermissions returns the IAM actions an action kind's writes need.
func ActionPermissions(k finding.ActionKind) []string {
	return append([]string(nil), byKind[k].Permissions...)
}
