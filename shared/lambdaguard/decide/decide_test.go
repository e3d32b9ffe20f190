package decide

import (
	"sort"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	acct      = "111122223333"
	trusted   = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"
	trustedV1 = trusted + "/AbCdEf1234"
	otherV1   = "arn:aws:signer:eu-west-1:444455556666:/signing-profiles/evil/Zz99"
	oldV      = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/retired/Old1"
	ourCSC    = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0"
	theirCSC  = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-fedcba9876543210f"
	layerOK   = "arn:aws:lambda:eu-west-1:111122223333:layer:shared:3"
	layerFar  = "arn:aws:lambda:eu-west-1:999988887777:layer:thirdparty:1"
)

func cfg() settings.Settings {
	return settings.Settings{
		Mode: finding.ModeEnforce, TrustedProfiles: []string{trusted},
		CodeSigningConfigARN: ourCSC, ExemptFunctions: []string{"sandbox-*"},
	}
}

func signed(v, sha string) snapshot.Code {
	return snapshot.Code{Version: v, RevisionID: "rev-" + v, CodeSha256: sha, PackageType: "Zip",
		SigningProfileVersionARN: trustedV1, SigningJobARN: "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/job-" + v}
}

func unsigned(v, sha string) snapshot.Code {
	return snapshot.Code{Version: v, RevisionID: "rev-" + v, CodeSha256: sha, PackageType: "Zip"}
}

func by(v, sha, profile string) snapshot.Code {
	c := signed(v, sha)
	c.SigningProfileVersionARN = profile
	return c
}

func withLayers(c snapshot.Code, ls ...snapshot.Layer) snapshot.Code {
	c.Layers = ls
	return c
}

func enforced() *snapshot.CodeSigningConfig {
	return &snapshot.CodeSigningConfig{ARN: ourCSC, AllowedPublishers: []string{trustedV1}, UntrustedArtifactOnDeployment: "Enforce"}
}

// base is a healthy zip function: signed $LATEST, our CSC, versions 1..3 trusted.
func base() snapshot.Snapshot {
	return snapshot.Snapshot{
		Name: "pay", ARN: "arn:aws:lambda:eu-west-1:" + acct + ":function:pay", Account: acct, PackageType: "Zip",
		Latest: signed(snapshot.Latest, "L"), LatestRead: true,
		CSC: enforced(), CSCRead: true,
		Versions: map[string]snapshot.Code{
			"1": signed("1", "s1"), "2": signed("2", "s2"), "3": signed("3", "s3"),
		},
		VersionsListed: true,
	}
}

type want struct {
	rules   []finding.RuleID
	actions []finding.ActionKind
	// params checks a few params of the first action.
	params  map[string]string
	summary string // a substring of some finding's summary
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name string
		snap func() snapshot.Snapshot
		cfg  func() settings.Settings
		want want
	}{
		{name: "signed code under an enforcing CSC is fine", snap: base, want: want{}},
		{name: "unsigned $LATEST is restored from the newest trusted version", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "3", ParamRevisionID: "rev-$LATEST", ParamCodeSha256: "BAD"}, summary: "unsigned code in $LATEST"}},
		{name: "version 10 is newer than version 9", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["9"], s.Versions["10"] = signed("9", "s9"), signed("10", "s10")
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode}, params: map[string]string{ParamVersion: "10"}}},
		{name: "code signed by an untrusted profile is restored, skipping untrusted versions", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest = by(snapshot.Latest, "EVIL", otherV1)
			s.Versions["4"] = by("4", "EVIL", otherV1)
			s.Versions["5"] = unsigned("5", "u5")
			return s
		}, want: want{rules: []finding.RuleID{rules.UntrustedSigner, rules.UntrustedVersion}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "3"}, summary: "signed by untrusted profile " + otherV1}},
		{name: "code signed by a retired profile version is untrusted", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest = by(snapshot.Latest, "OLD", oldV)
			return s
		}, want: want{rules: []finding.RuleID{rules.UntrustedSigner}, actions: []finding.ActionKind{rules.ActionRestoreCode}}},
		{name: "a CSC's allowed publisher does not make a profile trusted", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC.AllowedPublishers = append(s.CSC.AllowedPublishers, otherV1)
			s.Latest = by(snapshot.Latest, "EVIL", otherV1)
			return s
		}, want: want{rules: []finding.RuleID{rules.CSCUntrustedPublisher, rules.UntrustedSigner},
			actions: []finding.ActionKind{rules.ActionRestoreCode}, summary: "allows untrusted publisher " + otherV1}},
		{name: "untrusted code with no trusted version is contained", snap: func() snapshot.Snapshot {
			s := base()
			n := int32(25)
			s.ReservedConcurrency = &n
			s.Latest = unsigned(snapshot.Latest, "BAD")
			s.Versions = map[string]snapshot.Code{"1": unsigned("1", "u1")}
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode, rules.UntrustedVersion}, actions: []finding.ActionKind{rules.ActionContain},
			params: map[string]string{ParamReserved: "25"}}},
		{name: "no CSC: flagged and our CSC attached before the restore", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC = nil
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, want: want{rules: []finding.RuleID{rules.NoCodeSigningConfig, rules.UnsignedCode},
			actions: []finding.ActionKind{rules.ActionAttachCSC, rules.ActionRestoreCode}, params: map[string]string{ParamCSC: ourCSC, ParamPreviousCSC: ""}}},
		{name: "no CSC and none configured: flagged only", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC = nil
			return s
		}, cfg: func() settings.Settings { c := cfg(); c.CodeSigningConfigARN = ""; return c },
			want: want{rules: []finding.RuleID{rules.NoCodeSigningConfig}}},
		{name: "CSC in Warn mode is replaced by ours", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC = &snapshot.CodeSigningConfig{ARN: theirCSC, AllowedPublishers: []string{trustedV1}, UntrustedArtifactOnDeployment: "Warn"}
			return s
		}, want: want{rules: []finding.RuleID{rules.CSCWarnOnly}, actions: []finding.ActionKind{rules.ActionAttachCSC},
			params: map[string]string{ParamPreviousCSC: theirCSC}, summary: "only warns"}},
		{name: "our own CSC in Warn mode: flagged only, never re-attached", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC.UntrustedArtifactOnDeployment = "Warn"
			return s
		}, want: want{rules: []finding.RuleID{rules.CSCWarnOnly}}},
		{name: "our own CSC whose policy was not read: no CSC finding, code still judged", snap: func() snapshot.Snapshot {
			s := base()
			s.CSC = &snapshot.CodeSigningConfig{ARN: ourCSC, PolicyNotRead: true}
			s.Latest = unsigned("$LATEST", "evil")
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode}}},
		{name: "container image: unverifiable, low, never reverted", snap: func() snapshot.Snapshot {
			s := base()
			s.PackageType = "Image"
			s.Latest = snapshot.Code{Version: snapshot.Latest, PackageType: "Image", CodeSha256: "img"}
			s.CSC, s.CSCRead = nil, false
			return s
		}, want: want{rules: []finding.RuleID{rules.ImageUnverifiable}}},
		{name: "unsigned layer is replaced by the trusted version's layers", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["3"] = withLayers(signed("3", "s3"), snapshot.Layer{ARN: layerOK, SigningProfileVersionARN: trustedV1})
			s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerOK + "0"})
			return s
		}, want: want{rules: []finding.RuleID{rules.UntrustedLayer}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			params: map[string]string{ParamVersion: "3", ParamPreviousLayers: layerOK + "0"}}},
		{name: "a version with an unsigned layer is no restore target", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["3"] = withLayers(signed("3", "s3"), snapshot.Layer{ARN: layerOK})
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode, rules.UntrustedVersion}, actions: []finding.ActionKind{rules.ActionRestoreCode}, params: map[string]string{ParamVersion: "2"}}},
		{name: "a signed layer from an untrusted account: the trusted version's layers are restored", snap: func() snapshot.Snapshot {
			s := base()
			s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerFar, SigningProfileVersionARN: trustedV1})
			return s
		}, want: want{rules: []finding.RuleID{rules.ForeignLayer}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			params: map[string]string{ParamVersion: "3", ParamPreviousLayers: layerFar}, summary: "comes from account 999988887777"}},
		{name: "unsigned code and a foreign unsigned layer with no trusted version: one layer finding, one containment", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions = nil
			s.Latest = withLayers(unsigned(snapshot.Latest, "BAD"), snapshot.Layer{ARN: layerFar})
			return s
		}, want: want{rules: []finding.RuleID{rules.UnsignedCode, rules.UntrustedLayer}, actions: []finding.ActionKind{rules.ActionContain},
			summary: "from account 999988887777"}},
		{name: "alias on $LATEST moves to the newest trusted version", snap: func() snapshot.Snapshot {
			s := base()
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "$LATEST", RevisionID: "arev"}}
			return s
		}, want: want{rules: []finding.RuleID{rules.AliasLatest}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			params: map[string]string{ParamAlias: "prod", ParamVersion: "3", ParamRevisionID: "arev", ParamPreviousVersion: "$LATEST"}}},
		{name: "weighted alias sending 10% to an untrusted version", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["7"] = by("7", "s7", otherV1)
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3", RevisionID: "arev", AdditionalWeights: map[string]float64{"7": 0.1}}}
			return s
		}, want: want{rules: []finding.RuleID{rules.AliasUntrustedVersion}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			params:  map[string]string{ParamVersion: "3", ParamPreviousWeights: "7=0.1"},
			summary: "alias prod routes 10% to version 7, signed by untrusted profile " + otherV1}},
		{name: "alias fully on an unsigned version", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["4"] = unsigned("4", "u4")
			s.Aliases = []snapshot.Alias{{Name: "live", FunctionVersion: "4"}}
			return s
		}, want: want{rules: []finding.RuleID{rules.AliasUntrustedVersion}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			summary: "alias live routes 100% to version 4, unsigned"}},
		{name: "alias on a trusted version is fine", snap: func() snapshot.Snapshot {
			s := base()
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "2", AdditionalWeights: map[string]float64{"3": 0.5}}}
			return s
		}, want: want{}},
		{name: "alias on untrusted code with no trusted version: flagged only, and says so", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions = map[string]snapshot.Code{"1": unsigned("1", "u1")}
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "1"}}
			return s
		}, want: want{rules: []finding.RuleID{rules.AliasUntrustedVersion}}},
		{name: "exempt function is skipped entirely", snap: func() snapshot.Snapshot {
			s := base()
			s.Name = "sandbox-play"
			s.CSC = nil
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, want: want{}},
		{name: "image alias on $LATEST: flagged, no target to move to", snap: func() snapshot.Snapshot {
			s := base()
			s.PackageType = "Image"
			s.LatestRead, s.CSCRead = false, false
			s.Versions = map[string]snapshot.Code{"1": {Version: "1", PackageType: "Image"}}
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "$LATEST"}}
			return s
		}, want: want{rules: []finding.RuleID{rules.ImageUnverifiable, rules.AliasLatest}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg()
			if tc.cfg != nil {
				c = tc.cfg()
			}
			d := Decide(tc.snap(), c)
			var rules []finding.RuleID
			for _, f := range d.Findings {
				rules = appendOnce(rules, f.Rule)
				if f.Summary == "" || f.Severity.Rank() == 0 || f.Resource == "" {
					t.Errorf("finding %+v lacks summary, severity or resource", f)
				}
			}
			if !sameRules(rules, tc.want.rules) {
				t.Errorf("rules = %v, want %v", rules, tc.want.rules)
			}
			var kinds []finding.ActionKind
			for _, a := range d.Actions {
				kinds = append(kinds, a.Kind)
				if a.Undo == "" || a.Summary == "" || len(a.For) == 0 {
					t.Errorf("action %+v lacks undo, summary or rules", a)
				}
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tc.want.actions), ",") {
				t.Errorf("actions = %v, want %v", kinds, tc.want.actions)
			}
			for k, v := range tc.want.params {
				if len(d.Actions) == 0 || d.Actions[0].Params[k] != v {
					t.Errorf("first action param %s: got %+v, want %q", k, d.Actions, v)
				}
			}
			if tc.want.summary != "" {
				found := false
				for _, f := range d.Findings {
					found = found || strings.Contains(f.Summary, tc.want.summary)
				}
				if !found {
					t.Errorf("no finding summary contains %q: %+v", tc.want.summary, d.Findings)
				}
			}
		})
	}
}

func TestSeverities(t *testing.T) {
	s := base()
	s.PackageType = "Image"
	if got := Decide(s, cfg()).Highest(); got != finding.SeverityLow {
		t.Errorf("image function: highest severity %q, want low", got)
	}
	s = base()
	s.Versions["7"] = unsigned("7", "u7")
	s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "7"}}
	if got := Decide(s, cfg()).Highest(); got != finding.SeverityCritical {
		t.Errorf("alias serving unsigned code: highest severity %q, want critical", got)
	}
}

func TestNeedsVersions(t *testing.T) {
	cases := []struct {
		name string
		snap func() snapshot.Snapshot
		want bool
	}{
		{"healthy function needs no listing", func() snapshot.Snapshot { s := base(); s.VersionsListed = false; return s }, false},
		{"unsigned $LATEST needs a target", func() snapshot.Snapshot {
			s := base()
			s.VersionsListed = false
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, true},
		{"alias on $LATEST needs a target", func() snapshot.Snapshot {
			s := base()
			s.VersionsListed = false
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "$LATEST"}}
			return s
		}, true},
		{"missing CSC alone needs no target", func() snapshot.Snapshot {
			s := base()
			s.VersionsListed = false
			s.CSC = nil
			return s
		}, false},
		{"already listed", func() snapshot.Snapshot {
			s := base()
			s.Latest = unsigned(snapshot.Latest, "BAD")
			return s
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsVersions(tc.snap(), cfg()); got != tc.want {
				t.Errorf("NeedsVersions = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMoveAliasUndoRestoresWeights(t *testing.T) {
	s := base()
	s.Versions["7"] = unsigned("7", "u7")
	s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3", AdditionalWeights: map[string]float64{"7": 0.25}}}
	d := Decide(s, cfg())
	want := `aws lambda update-alias --function-name pay --name prod --function-version 3 --routing-config '{"AdditionalVersionWeights":{"7":0.25}}' --region eu-west-1`
	if len(d.Actions) != 1 || d.Actions[0].Undo != want {
		t.Fatalf("undo = %+v, want %s", d.Actions, want)
	}
}

func sameRules(a, b []finding.RuleID) bool {
	x, y := ruleStrings(a), ruleStrings(b)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, ",") == strings.Join(y, ",")
}

func ruleStrings(rs []finding.RuleID) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func kindStrings(ks []finding.ActionKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

func BenchmarkDecideHealthy(b *testing.B) {
	s, c := base(), cfg()
	s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3"}}
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, c)
	}
}

func BenchmarkDecideCompromised(b *testing.B) {
	s, c := base(), cfg()
	s.CSC = nil
	s.Latest = withLayers(unsigned(snapshot.Latest, "BAD"), snapshot.Layer{ARN: layerFar})
	s.Versions["7"] = by("7", "s7", otherV1)
	s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3", AdditionalWeights: map[string]float64{"7": 0.1}}}
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, c)
	}
}

func TestLayerResourceReadsAtAGlance(t *testing.T) {
	tests := []struct{ arn, want string }{
		{"arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:3", "payments-api/shared-utils:3"},
		{"arn:aws:lambda:eu-west-1:999988887777:layer:shared-utils:3", "payments-api/999988887777:shared-utils:3"},
	}
	for _, tt := range tests {
		if got := layerResource("payments-api", "111122223333", tt.arn); got != tt.want {
			t.Errorf("layerResource(%s) = %q, want %q", tt.arn, got, tt.want)
		}
	}
}
