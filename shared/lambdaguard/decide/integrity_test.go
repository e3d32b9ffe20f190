package decide

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	guardARN     = "arn:aws:lambda:eu-west-1:" + acct + ":function:selfguard-lambda-guard"
	guardRole    = "arn:aws:iam::" + acct + ":role/selfguard-lambda-guard"
	guardProfile = "arn:aws:signer:eu-west-1:" + acct + ":/signing-profiles/selfguard/Gu4rd0001"
	guardCSC     = "arn:aws:lambda:eu-west-1:" + acct + ":code-signing-config:csc-00000000000000guard"
)

func guardCfg() settings.Settings {
	c := cfg()
	c.GuardFunctionARNs = []string{guardARN, "arn:aws:lambda:eu-west-1:" + acct + ":function:selfguard-sweep"}
	c.GuardRoleARNs = []string{guardRole, "arn:aws:iam::" + acct + ":role/selfguard-sweep"}
	return c
}

func withGuardProfile() settings.Settings {
	c := guardCfg()
	c.GuardSigningProfile = guardProfile
	return c
}

// guardFn is selfguard's own lambda-guard as the default deploy leaves it:
// unsigned, no code signing config, its own role.
func guardFn() snapshot.Snapshot {
	s := base()
	s.Name, s.ARN = "selfguard-lambda-guard", guardARN
	s.Latest = unsigned(snapshot.Latest, "G")
	s.Latest.Role = guardRole
	s.CSC = nil
	s.Versions = map[string]snapshot.Code{}
	return s
}

// signedGuardFn is selfguard's own function deployed signed, under its CSC.
func signedGuardFn() snapshot.Snapshot {
	s := guardFn()
	s.Latest = by(snapshot.Latest, "G", guardProfile)
	s.Latest.Role = guardRole
	s.CSC = &snapshot.CodeSigningConfig{ARN: guardCSC, AllowedPublishers: []string{guardProfile}, UntrustedArtifactOnDeployment: "Enforce"}
	return s
}

func TestDecideIntegrity(t *testing.T) {
	cases := []struct {
		name string
		snap func() snapshot.Snapshot
		cfg  func() settings.Settings
		want want
	}{
		{name: "the guard's own unsigned function without CSC is never acted on", snap: guardFn, cfg: guardCfg, want: want{}},
		{name: "the guard's own function, read by name only, is still its own", snap: func() snapshot.Snapshot {
			s := guardFn()
			s.ARN = ""
			return s
		}, cfg: guardCfg, want: want{}},
		{name: "a function named like the guard's is judged like any other", snap: func() snapshot.Snapshot {
			s := guardFn()
			s.Name, s.ARN = "selfguard-lambda-guard-copy", guardARN+"-copy"
			s.Latest.Role = ""
			return s
		}, cfg: guardCfg, want: want{rules: []finding.RuleID{rules.NoCodeSigningConfig, rules.UnsignedCode},
			actions: []finding.ActionKind{rules.ActionAttachCSC, rules.ActionContain}}},
		{name: "the guard's own function signed by its profile under its CSC is fine", snap: signedGuardFn, cfg: withGuardProfile, want: want{}},
		{name: "the guard's own function is judged by its own profile, not the account's trusted ones", snap: func() snapshot.Snapshot {
			s := signedGuardFn()
			s.Latest = signed(snapshot.Latest, "DEV")
			s.Latest.Role = guardRole
			return s
		}, cfg: withGuardProfile, want: want{rules: []finding.RuleID{rules.GuardFunctionUntrusted}, summary: "not by selfguard's profile"}},
		{name: "the guard's own function unsigned with a guard profile configured: critical, no action", snap: guardFn, cfg: withGuardProfile,
			want: want{rules: []finding.RuleID{rules.GuardFunctionUntrusted}, summary: "selfguard's own function selfguard-lambda-guard"}},
		{name: "the guard's own CSC weakened to warn", snap: func() snapshot.Snapshot {
			s := signedGuardFn()
			s.CSC.UntrustedArtifactOnDeployment = "Warn"
			return s
		}, cfg: withGuardProfile, want: want{rules: []finding.RuleID{rules.GuardFunctionUntrusted}, summary: "only warns"}},
		{name: "an unsigned published version of the guard's own function", snap: func() snapshot.Snapshot {
			s := signedGuardFn()
			s.Versions["1"] = unsigned("1", "u1")
			return s
		}, cfg: withGuardProfile, want: want{rules: []finding.RuleID{rules.GuardFunctionUntrusted}, summary: "version 1 code"}},
		{name: "another function borrowing the guard's role is contained", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest.Role = guardRole
			return s
		}, cfg: guardCfg, want: want{rules: []finding.RuleID{rules.GuardRoleBorrowed}, actions: []finding.ActionKind{rules.ActionContain},
			summary: "pay runs with selfguard's role"}},
		{name: "a published version keeps the borrowed role after $LATEST dropped it", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest.Role = "arn:aws:iam::" + acct + ":role/pay"
			v := s.Versions["2"]
			v.Role = "arn:aws:iam::" + acct + ":role/selfguard-sweep"
			s.Versions["2"] = v
			return s
		}, cfg: guardCfg, want: want{rules: []finding.RuleID{rules.GuardRoleBorrowed}, actions: []finding.ActionKind{rules.ActionContain},
			summary: "version 2 runs with"}},
		{name: "an exempt function borrowing the guard's role is still contained", snap: func() snapshot.Snapshot {
			s := base()
			s.Name = "sandbox-x"
			s.Latest = unsigned(snapshot.Latest, "X")
			s.Latest.Role = guardRole
			return s
		}, cfg: guardCfg, want: want{rules: []finding.RuleID{rules.GuardRoleBorrowed}, actions: []finding.ActionKind{rules.ActionContain}}},
		{name: "borrowed role and unsigned code with no trusted version: contained once", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest = unsigned(snapshot.Latest, "BAD")
			s.Latest.Role = guardRole
			s.Versions = map[string]snapshot.Code{}
			return s
		}, cfg: guardCfg, want: want{rules: []finding.RuleID{rules.UnsignedCode, rules.GuardRoleBorrowed},
			actions: []finding.ActionKind{rules.ActionContain}}},
		{name: "a role named like the guard's is no guard role", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest.Role = guardRole + "-copy"
			return s
		}, cfg: guardCfg, want: want{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.snap(), tc.cfg())
			checkDecision(t, d, tc.want)
		})
	}
}

func TestBorrowedRoleContainmentAnswersEveryRule(t *testing.T) {
	s := base()
	s.Latest = unsigned(snapshot.Latest, "BAD")
	s.Latest.Role = guardRole
	s.Versions = map[string]snapshot.Code{}
	d := Decide(s, guardCfg())
	if len(d.Actions) != 1 || !sameRules(d.Actions[0].For, []finding.RuleID{rules.UnsignedCode, rules.GuardRoleBorrowed}) {
		t.Fatalf("actions %+v, want one containment answering both findings", d.Actions)
	}
	if got := d.Highest(); got != finding.SeverityCritical {
		t.Errorf("highest severity %q, want critical", got)
	}
}

func TestTheGuardsOwnFunctionNeedsNoVersions(t *testing.T) {
	if NeedsVersions(guardFn(), guardCfg()) {
		t.Error("the guard's own function asks for a version listing it would never restore from")
	}
}

func checkDecision(t *testing.T, d finding.Decision, w want) {
	t.Helper()
	var got []finding.RuleID
	for _, f := range d.Findings {
		got = append(got, f.Rule)
	}
	if !sameRules(got, w.rules) {
		t.Errorf("rules = %v, want %v", got, w.rules)
	}
	var kinds []finding.ActionKind
	for _, a := range d.Actions {
		kinds = append(kinds, a.Kind)
	}
	if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(w.actions), ",") {
		t.Errorf("actions = %v, want %v", kinds, w.actions)
	}
	if w.summary == "" {
		return
	}
	for _, f := range d.Findings {
		if strings.Contains(f.Summary, w.summary) {
			return
		}
	}
	t.Errorf("no finding summary contains %q: %+v", w.summary, d.Findings)
}
