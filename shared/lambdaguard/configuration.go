package lambdaguard

import (
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/rules"
)

// listingVersions widens a scope to the version list. Whether a version
// may run takes the versions before it: the handler and runtime the oldest
// trusted version set (decide.Verdicts). So an alias event and a
// configuration change list them: one ListVersionsByFunction page (50
// versions) from the shared bucket. Code events do not: they cannot change
// the handler or runtime, and list the versions only for a repair.
func listingVersions(s observe.Scope) observe.Scope {
	s.ListVersions = true
	return s
}

// freshFor finds the fresh decision's form of a planned action after a
// conflict: the same action, or, for a code restore whose code half is
// done, the configuration restore that carries it on.
func freshFor(d finding.Decision, a finding.Action) (finding.Action, bool) {
	if f, ok := d.Same(a); ok {
		return f, true
	}
	if a.Kind != rules.ActionRestoreCode {
		return finding.Action{}, false
	}
	b := a
	b.Kind = rules.ActionRestoreConfiguration
	return d.Same(b)
}
