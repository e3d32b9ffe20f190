package decide

import (
	"fmt"
	"sort"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// judgeVersions flags every published version in the snapshot whose code
// or layers are not trusted and that no alias in the snapshot routes to (a
// routed one is the alias rules' finding): Lambda runs it for anyone who
// invokes its qualified ARN. Deleting it is the only way to stop that and
// cannot be undone, so it is planned only when the configuration opts in,
// and only once every alias has been read (needsAliases asks for them).
func judgeVersions(s snapshot.Snapshot, cfg settings.Settings) (fs []finding.Finding, as []finding.Action, needsAliases bool) {
	routed := routedVersions(s)
	verdicts := Verdicts(s, cfg) // code, layers and configuration
	for _, v := range sortedVersions(s) {
		c := s.Versions[v]
		if routed[v] || c.PackageType == snapshot.PackageImage {
			continue
		}
		verdict := verdicts[v]
		if verdict.Trusted {
			continue
		}
		fs = append(fs, versionFinding(s, v, c, verdict))
		switch {
		case !cfg.DeleteUntrustedVersions:
		case !s.AliasesRead:
			needsAliases = true
		default:
			as = append(as, deleteVersion(s.Name, v, c))
		}
	}
	return fs, as, needsAliases
}

// NeedsAliases reports whether Decide would plan deleting a version once it
// knows that no alias routes to it: the caller then lists the aliases
// (observe.Reader.ReadAliases) and decides.
func NeedsAliases(s snapshot.Snapshot, cfg settings.Settings) bool {
	if cfg.FunctionExempt(s.Name) {
		return false
	}
	_, _, needs := judgeVersions(s, cfg)
	return needs
}

// routedVersions are the versions the snapshot's aliases send traffic to.
func routedVersions(s snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, a := range s.Aliases {
		for _, rt := range a.Routes() {
			out[rt.Version] = true
		}
	}
	return out
}

// sortedVersions lists the snapshot's published versions, oldest first.
func sortedVersions(s snapshot.Snapshot) []string {
	vs := make([]string, 0, len(s.Versions))
	for v := range s.Versions {
		if v != snapshot.Latest && v != "" {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return snapshot.VersionLess(vs[i], vs[j]) })
	return vs
}

func versionFinding(s snapshot.Snapshot, v string, c snapshot.Code, verdict Verdict) finding.Finding {
	arn := ""
	if s.ARN != "" {
		arn = s.ARN + ":" + v
	}
	detail := detailCode(withVersion(c, v))
	if c.LastModified != "" {
		detail += ", published " + c.LastModified
	}
	return rules.Finding(rules.UntrustedVersion, s.Name+":"+v, arn,
		fmt.Sprintf("version %s of %s is %s, and anyone allowed to invoke %s runs it by its qualified ARN", v, s.Name, verdict.Why, s.Name),
		detail)
}

func withVersion(c snapshot.Code, v string) snapshot.Code {
	c.Version = v
	return c
}

func deleteVersion(fn, v string, c snapshot.Code) finding.Action {
	return finding.Action{
		Kind: rules.ActionDeleteVersion, For: []finding.RuleID{rules.UntrustedVersion}, Resource: fn + ":" + v,
		Done:   rules.Done(rules.ActionDeleteVersion),
		Params: map[string]string{ParamFunction: fn, ParamVersion: v, ParamCodeSha256: c.CodeSha256},
		Summary: fmt.Sprintf("delete version %s of %s (sha256 %s), which no alias routes to: nothing else stops its qualified ARN from running it",
			v, fn, orNone(c.CodeSha256)),
		Undo: fmt.Sprintf("cannot be undone: a deleted version is gone; to run that code again, publish the package with sha256 %s anew (it gets a new version number) with the configuration this alert records",
			orNone(c.CodeSha256)),
	}
}
