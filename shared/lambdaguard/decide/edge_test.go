package decide

import (
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
)

var eventTime = time.Date(2026, 3, 1, 10, 2, 11, 0, time.UTC)

// record is a Lambda record by mallory, as CloudTrail writes it.
func record(name, params string) cloudtrail.Record {
	return cloudtrail.Record{
		EventSource: cloudtrail.SourceLambda, EventName: name, EventTime: eventTime, EventID: "ev-1",
		UserIdentity:      cloudtrail.UserIdentity{Type: "IAMUser", UserName: "mallory", ARN: "arn:aws:iam::" + acct + ":user/mallory"},
		RequestParameters: []byte(params),
	}
}

func publishedAt(c snapshot.Code, t time.Time) snapshot.Code {
	c.LastModified = t.UTC().Format(snapshot.LastModifiedFormat)
	return c
}

func TestEdgeRules(t *testing.T) {
	detach := record("DeleteFunctionCodeSigningConfig", `{"functionName":"pay"}`)
	weakCSC := snapshot.CodeSigningConfig{ARN: theirCSC, AllowedPublishers: []string{trustedV1}, UntrustedArtifactOnDeployment: "Warn"}
	lift := record("DeleteFunctionConcurrency20171031", `{"functionName":"pay"}`)
	contained := &Containment{Time: eventTime.Add(-time.Hour), EventID: "ev-0", Rules: []finding.RuleID{rules.UnsignedCode}}
	cases := []struct {
		name      string
		rec       cloudtrail.Record
		snap      func() snapshot.Snapshot
		contained *Containment
		rules     []finding.RuleID
		summary   []string
		actions   []finding.ActionKind
	}{
		{name: "a detach undone before the event arrived is alerted, naming who, when and the version published meanwhile", rec: detach,
			snap: func() snapshot.Snapshot {
				s := base()
				s.Versions["4"] = publishedAt(unsigned("4", "u4"), eventTime.Add(time.Second))
				s.Versions["1"] = publishedAt(s.Versions["1"], eventTime.Add(-time.Hour))
				return s
			},
			rules:   []finding.RuleID{rules.UntrustedVersion, rules.CSCDetached},
			summary: []string{"detached from pay by mallory at 2026-03-01T10:02:11Z", "attached again since", "unsigned version 4 published meanwhile"}},
		{name: "an untrusted version from before the detach is named as such", rec: detach,
			snap: func() snapshot.Snapshot {
				s := base()
				s.Versions["4"] = publishedAt(by("4", "x", otherV1), eventTime.Add(-time.Hour))
				return s
			},
			rules: []finding.RuleID{rules.UntrustedVersion, rules.CSCDetached}, summary: []string{"version 4 (signed by untrusted profile", "published before"}},
		{name: "a detach with nothing published meanwhile says so", rec: detach, snap: base,
			rules: []finding.RuleID{rules.CSCDetached}, summary: []string{"no untrusted version published"}},
		{name: "a detach still in place is the level rule's finding alone", rec: detach,
			snap:  func() snapshot.Snapshot { s := base(); s.CSC = nil; return s },
			rules: []finding.RuleID{rules.NoCodeSigningConfig}, actions: []finding.ActionKind{rules.ActionAttachCSC}},
		{name: "a weak config attached and swapped back is alerted from the event",
			rec: record("PutFunctionCodeSigningConfig", `{"functionName":"pay","codeSigningConfigArn":"`+theirCSC+`"}`),
			snap: func() snapshot.Snapshot {
				s := base()
				s.ConfigsRead = map[string]snapshot.CodeSigningConfig{theirCSC: weakCSC}
				return s
			},
			rules: []finding.RuleID{rules.CSCWeakened}, summary: []string{theirCSC, "only warns", "by mallory", "attached again since (" + ourCSC + ")"}},
		{name: "a weak config still attached is the level rule's finding alone",
			rec: record("PutFunctionCodeSigningConfig", `{"functionName":"pay","codeSigningConfigArn":"`+theirCSC+`"}`),
			snap: func() snapshot.Snapshot {
				s := base()
				c := weakCSC
				s.CSC = &c
				return s
			},
			rules: []finding.RuleID{rules.CSCWarnOnly}, actions: []finding.ActionKind{rules.ActionAttachCSC}},
		{name: "attaching an enforcing config with trusted publishers weakens nothing",
			rec: record("PutFunctionCodeSigningConfig", `{"functionName":"pay","codeSigningConfigArn":"`+theirCSC+`"}`),
			snap: func() snapshot.Snapshot {
				s := base()
				s.ConfigsRead = map[string]snapshot.CodeSigningConfig{theirCSC: *enforced()}
				return s
			}},
		{name: "attaching the configured config weakens nothing",
			rec:  record("PutFunctionCodeSigningConfig", `{"functionName":"pay","codeSigningConfigArn":"`+ourCSC+`"}`),
			snap: base},
		{name: "a containment lifted while its finding holds is put back, naming who lifted it", rec: lift, contained: contained,
			snap: func() snapshot.Snapshot {
				s := base()
				s.Latest = unsigned(snapshot.Latest, "BAD")
				s.Versions = map[string]snapshot.Code{}
				return s
			},
			rules: []finding.RuleID{rules.ContainmentLifted}, actions: []finding.ActionKind{rules.ActionContain},
			summary: []string{"lifted by mallory", "reserved concurrency removed", "still holds (lambda.unsigned-code)"}},
		{name: "where a trusted version exists, the restore answers the lift", rec: lift, contained: contained,
			snap:  func() snapshot.Snapshot { s := base(); s.Latest = unsigned(snapshot.Latest, "BAD"); return s },
			rules: []finding.RuleID{rules.ContainmentLifted}, actions: []finding.ActionKind{rules.ActionRestoreCode}},
		{name: "concurrency set above 0 is a lift too",
			rec:       record("PutFunctionConcurrency20171031", `{"functionName":"pay","reservedConcurrentExecutions":50}`),
			contained: contained,
			snap: func() snapshot.Snapshot {
				s := base()
				n := int32(50)
				s.ReservedConcurrency = &n
				s.Latest = unsigned(snapshot.Latest, "BAD")
				s.Versions = nil
				return s
			},
			rules: []finding.RuleID{rules.ContainmentLifted}, actions: []finding.ActionKind{rules.ActionContain}, summary: []string{"set to 50"}},
		{name: "lifting a containment whose finding is gone is fine", rec: lift, contained: contained, snap: base},
		{name: "lifting concurrency selfguard did not set is not its business", rec: lift,
			snap:  func() snapshot.Snapshot { s := base(); s.Latest = unsigned(snapshot.Latest, "BAD"); return s },
			rules: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode}},
		{name: "a function contained again meanwhile needs nothing more", rec: lift, contained: contained,
			snap: func() snapshot.Snapshot {
				s := base()
				zero := int32(0)
				s.ReservedConcurrency = &zero
				s.Latest = unsigned(snapshot.Latest, "BAD")
				return s
			},
			rules: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode}},
		{name: "an exempt function has no edge either", rec: detach,
			snap: func() snapshot.Snapshot { s := base(); s.Name = "sandbox-x"; return s }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.snap()
			d := WithEdge(tc.rec, s, Decide(s, cfg()), cfg(), tc.contained)
			var got []finding.RuleID
			for _, f := range d.Findings {
				got = append(got, f.Rule)
			}
			if !sameRules(got, tc.rules) {
				t.Fatalf("rules %v, want %v: %+v", got, tc.rules, d.Findings)
			}
			for _, want := range tc.summary {
				found := false
				for _, f := range d.Findings {
					found = found || strings.Contains(f.Summary, want)
				}
				if !found {
					t.Errorf("no summary says %q: %+v", want, d.Findings)
				}
			}
			var kinds []finding.ActionKind
			for _, a := range d.Actions {
				kinds = append(kinds, a.Kind)
				if len(a.For) == 0 {
					t.Errorf("action %s answers no rule", a.Kind)
				}
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tc.actions), ",") {
				t.Errorf("actions %v, want %v", kinds, tc.actions)
			}
			for _, f := range d.Findings {
				if r := rules.Must(f.Rule); r.Edge && len(r.Actions) > 0 {
					answered := false
					for _, a := range d.Actions {
						answered = answered || containsRule(a.For, f.Rule)
					}
					if !answered {
						t.Errorf("edge finding %s has no action answering it", f.Rule)
					}
				}
			}
		})
	}
}

func TestWeakenedByReadsTheRequestAlone(t *testing.T) {
	cases := map[string]struct {
		params string
		want   []string
	}{
		"set to warn":            {`{"codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"}}`, []string{"set to Warn"}},
		"untrusted publisher":    {`{"allowedPublishers":{"signingProfileVersionArns":["` + otherV1 + `"]}}`, []string{"allows untrusted publisher " + otherV1}},
		"enforce, trusted":       {`{"codeSigningPolicies":{"untrustedArtifactOnDeployment":"Enforce"},"allowedPublishers":{"signingProfileVersionArns":["` + trustedV1 + `"]}}`, nil},
		"description only":       {`{"description":"x"}`, nil},
		"unreadable request":     {`[1]`, nil},
		"both, reported in full": {`{"codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"},"allowedPublishers":{"signingProfileVersionArns":["` + otherV1 + `"]}}`, []string{"set to Warn", "allows untrusted publisher"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := WeakenedBy(record("UpdateCodeSigningConfig", tc.params), cfg())
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("got %q, want %q", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestCSCEdge(t *testing.T) {
	rec := record("UpdateCodeSigningConfig", `{"codeSigningConfigArn":"`+ourCSC+`","codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"}}`)
	withV4 := base()
	withV4.Versions["4"] = publishedAt(unsigned("4", "u4"), eventTime.Add(2*time.Second))
	cases := []struct {
		name    string
		now     *snapshot.CodeSigningConfig
		level   finding.Decision
		summary []string
		none    bool
	}{
		{name: "set to Warn and back: alerted with the versions published meanwhile", now: enforced(),
			summary: []string{"set to Warn", "by mallory", "enforces trusted publishers again", "pay:unsigned version 4 published meanwhile"}},
		{name: "still Warn with no function using it", now: &snapshot.CodeSigningConfig{ARN: ourCSC, UntrustedArtifactOnDeployment: "Warn"},
			summary: []string{"still only warns", "no function uses it"}},
		{name: "still Warn on its functions: the level findings say it", now: enforced(), none: true,
			level: finding.Decision{Findings: []finding.Finding{rules.Finding(rules.CSCWarnOnly, "pay", "", "warns", "")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := WithCSCEdge(rec, tc.now, []snapshot.Snapshot{withV4}, tc.level, cfg())
			var edge []finding.Finding
			for _, f := range d.Findings {
				if f.Rule == rules.CSCWeakened {
					edge = append(edge, f)
				}
			}
			if tc.none {
				if len(edge) != 0 {
					t.Errorf("edge findings %+v, want none", edge)
				}
				return
			}
			if len(edge) != 1 || edge[0].ResourceType != finding.ResourceCodeSigningConfig || edge[0].Resource != ourCSC {
				t.Fatalf("edge findings %+v, want one on the config", edge)
			}
			for _, want := range tc.summary {
				if !strings.Contains(edge[0].Summary, want) {
					t.Errorf("summary %q lacks %q", edge[0].Summary, want)
				}
			}
		})
	}
}
