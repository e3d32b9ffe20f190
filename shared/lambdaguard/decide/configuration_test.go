package decide

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

func withEnv(c snapshot.Code, kv ...string) snapshot.Code {
	c.Environment = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Environment[kv[i]] = kv[i+1]
	}
	return c
}

func withEntry(c snapshot.Code, handler, runtime string) snapshot.Code {
	c.Handler, c.Runtime = handler, runtime
	return c
}

// configured is base with handlers and runtimes on every version, so that
// drift can be judged.
func configured() snapshot.Snapshot {
	s := base()
	for v, c := range s.Versions {
		s.Versions[v] = withEntry(withEnv(c, "DB_HOST", "db.internal"), "index.handler", "nodejs20.x")
	}
	s.Latest = withEntry(withEnv(s.Latest, "DB_HOST", "db.internal"), "index.handler", "nodejs20.x")
	return s
}

func TestConfigurationDecisions(t *testing.T) {
	cases := []struct {
		name     string
		snap     func() snapshot.Snapshot
		cfg      func(settings.Settings) settings.Settings
		findings []finding.RuleID // exactly these, in any order, one finding each
		actions  []finding.ActionKind
		params   map[string]string
		summary  string // in some finding's summary
		undo     string // in the first action's undo
	}{
		{name: "a signed function with its trusted configuration is fine", snap: configured},
		{name: "a loader variable set on $LATEST is restored from the newest trusted version", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Environment["NODE_OPTIONS"] = "--require /tmp/x.js"
			return s
		}, findings: []finding.RuleID{rules.LoaderVariable}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			params:  map[string]string{ParamVersion: "3", ParamRevisionID: "rev-$LATEST"},
			summary: "$LATEST is set to load other code: loader variable NODE_OPTIONS=--require /tmp/x.js",
			undo:    `--argjson set '{"NODE_OPTIONS":"--require /tmp/x.js"}' --argjson drop '[]'`},
		{name: "a loader variable the guard's configuration lists with its value is trusted", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Environment["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/otel-instrument"
			return s
		}, cfg: func(c settings.Settings) settings.Settings {
			c.TrustedLoaderVariables = []string{"AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument"}
			return c
		}},
		{name: "the same loader variable with another value is not", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Environment["AWS_LAMBDA_EXEC_WRAPPER"] = "/tmp/wrap"
			return s
		}, cfg: func(c settings.Settings) settings.Settings {
			c.TrustedLoaderVariables = []string{"AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument"}
			return c
		}, findings: []finding.RuleID{rules.LoaderVariable}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration}},
		{name: "a changed handler is drift from the newest trusted version", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Handler = "debug.handler"
			return s
		}, findings: []finding.RuleID{rules.HandlerDrift}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			summary: `$LATEST is entered by handler "debug.handler", not "index.handler" (newest trusted version 3's)`, undo: `--handler debug.handler`},
		{name: "a runtime of another language is drift", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Runtime = "provided.al2023"
			return s
		}, findings: []finding.RuleID{rules.HandlerDrift}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			undo: `--runtime provided.al2023`},
		{name: "a newer release of the same runtime is not drift", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Runtime = "nodejs22.x"
			return s
		}},
		{name: "unsigned code and a loader variable are repaired as one restore", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest = withEntry(withEnv(unsigned(snapshot.Latest, "BAD"), "DB_HOST", "db.internal", "PYTHONPATH", "/tmp"), "index.handler", "nodejs20.x")
			return s
		}, findings: []finding.RuleID{rules.UnsignedCode, rules.LoaderVariable}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "3", ParamConfiguration: "1", ParamCodeSha256: "BAD"},
			undo:   `"PYTHONPATH":"/tmp"`},
		{name: "unsigned code alone restores the code only", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest = withEntry(withEnv(unsigned(snapshot.Latest, "BAD"), "DB_HOST", "db.internal"), "index.handler", "nodejs20.x")
			return s
		}, findings: []finding.RuleID{rules.UnsignedCode}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamConfiguration: ""}},
		{name: "an environment the guard cannot read is contained: what it loads is unknown", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Environment = nil
			s.Latest.EnvironmentError = "AccessDeniedException: Lambda was unable to decrypt the environment variables"
			s.Latest.KMSKeyARN = "arn:aws:kms:eu-west-1:999988887777:key/k"
			return s
		}, findings: []finding.RuleID{rules.LoaderVariable}, actions: []finding.ActionKind{rules.ActionContain},
			summary: "environment cannot be read"},
		{name: "a version published with a loader variable is no restore target", snap: func() snapshot.Snapshot {
			s := configured()
			s.Versions["3"].Environment["NODE_OPTIONS"] = "--require /tmp/x.js"
			s.Latest = withEntry(withEnv(unsigned(snapshot.Latest, "BAD"), "DB_HOST", "db.internal"), "index.handler", "nodejs20.x")
			return s
		}, findings: []finding.RuleID{rules.UnsignedCode, rules.UntrustedVersion}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "2"}, summary: "version 3 of pay is set to load other code: loader variable NODE_OPTIONS"},
		{name: "an alias released to a version with a loader variable is moved back", snap: func() snapshot.Snapshot {
			s := configured()
			s.Versions["4"] = withEntry(withEnv(signed("4", "s3"), "DB_HOST", "db.internal", "NODE_OPTIONS", "--require /tmp/x.js"), "index.handler", "nodejs20.x")
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "4"}}
			return s
		}, findings: []finding.RuleID{rules.AliasUntrustedVersion}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			params: map[string]string{ParamVersion: "3"}, summary: "routes 100% to version 4, set to load other code: loader variable NODE_OPTIONS"},
		{name: "an alias released to a version whose handler drifted is moved back", snap: func() snapshot.Snapshot {
			s := configured()
			s.Versions["4"] = withEntry(withEnv(signed("4", "s3"), "DB_HOST", "db.internal"), "debug.handler", "nodejs20.x")
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "4"}}
			return s
		}, findings: []finding.RuleID{rules.AliasUntrustedVersion}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			params: map[string]string{ParamVersion: "3"}, summary: `version 4, entered by handler "debug.handler", not "index.handler" (version 3's)`},
		{name: "a layer of an account trusted for layers is fine", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerFar, SigningProfileVersionARN: trustedV1})
			return s
		}, cfg: func(c settings.Settings) settings.Settings {
			c.TrustedLayerAccounts = []string{"999988887777"}
			return c
		}},
		{name: "an unsigned layer of another account is one finding and one restore", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerFar})
			return s
		}, findings: []finding.RuleID{rules.UntrustedLayer}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			summary: "from account 999988887777", undo: "--layers " + layerFar},
		{name: "a value with a quote is quoted for the shell in the undo", snap: func() snapshot.Snapshot {
			s := configured()
			s.Latest.Environment["PERL5OPT"] = "-Mx'; rm -rf ~; '"
			return s
		}, findings: []finding.RuleID{rules.LoaderVariable}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			undo: `'{"PERL5OPT":"-Mx'\''; rm -rf ~; '\''"}'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg()
			if tc.cfg != nil {
				c = tc.cfg(c)
			}
			d := Decide(tc.snap(), c)
			var got []finding.RuleID
			for _, f := range d.Findings {
				got = append(got, f.Rule)
			}
			if len(got) != len(tc.findings) || !sameRules(got, tc.findings) {
				t.Errorf("findings %v, want exactly %v: %+v", got, tc.findings, d.Findings)
			}
			var kinds []finding.ActionKind
			for _, a := range d.Actions {
				kinds = append(kinds, a.Kind)
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tc.actions), ",") {
				t.Errorf("actions %v, want %v", kinds, tc.actions)
			}
			for k, v := range tc.params {
				if len(d.Actions) == 0 || d.Actions[0].Params[k] != v {
					t.Errorf("param %s of %+v, want %q", k, d.Actions, v)
				}
			}
			if tc.summary != "" && !anySummary(d, tc.summary) {
				t.Errorf("no summary holds %q: %+v", tc.summary, d.Findings)
			}
			if tc.undo != "" && (len(d.Actions) == 0 || !strings.Contains(d.Actions[0].Undo, tc.undo)) {
				t.Errorf("undo %+v lacks %q", d.Actions, tc.undo)
			}
			onLatest := 0 // a version's own finding is not the repair's to answer
			for _, r := range tc.findings {
				if r != rules.UntrustedVersion {
					onLatest++
				}
			}
			if len(d.Actions) > 0 && len(d.Actions[0].For) != onLatest && d.Actions[0].Kind != rules.ActionMoveAlias {
				t.Errorf("the repair answers %v, want every finding %v", d.Actions[0].For, tc.findings)
			}
		})
	}
}

func anySummary(d finding.Decision, s string) bool {
	for _, f := range d.Findings {
		if strings.Contains(f.Summary, s) {
			return true
		}
	}
	return false
}

func TestVerdictsAnchorOnTheOldestTrustedVersion(t *testing.T) {
	s := configured()
	s.Versions["1"] = withEntry(s.Versions["1"], "old.handler", "python3.12")
	got := Verdicts(s, cfg())
	if !got["1"].Trusted {
		t.Errorf("version 1 (the anchor) = %+v, want trusted", got["1"])
	}
	for _, v := range []string{"2", "3"} {
		if got[v].Trusted || got[v].Rule != rules.HandlerDrift {
			t.Errorf("version %s = %+v, want handler drift from version 1", v, got[v])
		}
	}
}

func TestUndoPutsBackExactlyTheReplacedLoaderVariables(t *testing.T) {
	latest := withEnv(signed(snapshot.Latest, "L"), "DB_HOST", "secret-host", "NODE_OPTIONS", "--require /tmp/x.js")
	target := withEnv(signed("3", "s3"), "DB_HOST", "db.internal", "NODE_PATH", "/opt/nodejs")
	target.Version = "3"
	u := changeOf(latest, target).undo("eu-west-1", "pay")
	for _, want := range []string{`--argjson set '{"NODE_OPTIONS":"--require /tmp/x.js"}'`, `--argjson drop '["NODE_PATH"]'`} {
		if !strings.Contains(u, want) {
			t.Errorf("undo %s lacks %s", u, want)
		}
	}
	if strings.Contains(u, "secret-host") || strings.Contains(u, "DB_HOST") {
		t.Errorf("undo %s echoes a variable the restore did not replace", u)
	}
}
