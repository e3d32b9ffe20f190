package decide

import (
	"strings"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// IsGuardFunction reports whether the snapshot is one of the stack's own
// functions: by its exact ARN when it was read, else by its name.
func IsGuardFunction(s snapshot.Snapshot, cfg settings.Settings) bool {
	if s.ARN != "" {
		return cfg.IsGuardFunction(s.ARN)
	}
	return cfg.IsGuardFunction(s.Name)
}

// guardDecision judges one of the stack's own functions against the
// guard's own signing profile, never against the account's trusted
// profiles, and plans nothing: the guard never acts on itself (a guard
// that contained or re-signed itself could be switched off by whoever
// gets it to judge itself wrongly). With no guard signing profile there is
// nothing to judge it against: the template's tamper rules alert on every
// change to it instead.
func guardDecision(s snapshot.Snapshot, cfg settings.Settings) finding.Decision {
	var d finding.Decision
	if cfg.GuardSigningProfile == "" {
		return d
	}
	var why []string
	if s.LatestRead {
		why = append(why, guardCodeFaults("$LATEST", s.Latest, cfg)...)
	}
	for _, v := range sortedVersions(s) {
		why = append(why, guardCodeFaults("version "+v, s.Versions[v], cfg)...)
	}
	if s.CSCRead {
		switch {
		case s.CSC == nil:
			why = append(why, "no code signing config: Lambda verifies no signature on its deploys")
		case s.CSC.PolicyNotRead:
		case !s.CSC.Enforced():
			why = append(why, "code signing config "+s.CSC.ARN+" only warns")
		default:
			for _, p := range s.CSC.AllowedPublishers {
				if !cfg.GuardSigned(p) {
					why = append(why, "code signing config "+s.CSC.ARN+" allows publisher "+p)
				}
			}
		}
	}
	if len(why) == 0 {
		return d
	}
	d.Findings = append(d.Findings, fnFinding(s, rules.GuardFunctionUntrusted,
		"selfguard's own function "+s.Name+": "+why[0],
		strings.Join(why, "; ")+". The guard does not act on itself: redeploy selfguard from its signed build."))
	return d
}

func guardCodeFaults(which string, c snapshot.Code, cfg settings.Settings) []string {
	var out []string
	if !cfg.GuardSigned(c.SigningProfileVersionARN) {
		out = append(out, which+" code is "+orNone(c.SigningProfileVersionARN)+"-signed, not by selfguard's profile")
	}
	for _, l := range c.Layers {
		if !cfg.GuardSigned(l.SigningProfileVersionARN) {
			out = append(out, which+" layer "+l.ARN+" is not signed by selfguard's profile")
		}
	}
	return out
}

// borrowedRole flags a function that is not the stack's own but runs, in
// $LATEST or a published version read, with one of the stack's roles: its
// code then holds the guard's write permissions on every function. It is
// contained (reserved concurrency 0 stops every version at once); an
// existing containment plan is reused so the function is not contained twice.
func borrowedRole(d *finding.Decision, s snapshot.Snapshot, cfg settings.Settings) {
	var where []string
	if s.LatestRead && cfg.IsGuardRole(s.Latest.Role) {
		where = append(where, "$LATEST runs with "+s.Latest.Role)
	}
	for _, v := range sortedVersions(s) {
		if r := s.Versions[v].Role; cfg.IsGuardRole(r) {
			where = append(where, "version "+v+" runs with "+r)
		}
	}
	if len(where) == 0 {
		return
	}
	d.Findings = append(d.Findings, fnFinding(s, rules.GuardRoleBorrowed,
		s.Name+" runs with selfguard's role: "+where[0],
		strings.Join(where, "; ")+". Whoever controls its code holds the guard's permissions."))
	for i, a := range d.Actions {
		if a.Kind == rules.ActionContain {
			d.Actions[i].For = append(d.Actions[i].For, rules.GuardRoleBorrowed)
			return
		}
	}
	d.Actions = append(d.Actions, contain(s, []finding.RuleID{rules.GuardRoleBorrowed}, "it runs with one of selfguard's roles"))
}
