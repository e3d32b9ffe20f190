package decide

import (
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

func TestPublishedVersionsAreJudged(t *testing.T) {
	deleting := func() settings.Settings { c := cfg(); c.DeleteUntrustedVersions = true; return c }
	withAliases := func(s snapshot.Snapshot, as ...snapshot.Alias) snapshot.Snapshot {
		s.Aliases, s.AliasesRead = as, true
		return s
	}
	cases := []struct {
		name       string
		snap       func() snapshot.Snapshot
		cfg        func() settings.Settings
		resources  []string // untrusted-version findings
		deletes    []string // delete-version actions
		needsAlias bool
	}{
		{name: "trusted versions are fine", snap: base},
		{name: "an unsigned version is flagged, and only alerted without the opt-in", snap: func() snapshot.Snapshot {
			s := withAliases(base())
			s.Versions["7"] = unsigned("7", "u7")
			return s
		}, resources: []string{"pay:7"}},
		{name: "with the opt-in and every alias read, it is deleted", snap: func() snapshot.Snapshot {
			s := withAliases(base(), snapshot.Alias{Name: "prod", FunctionVersion: "3"})
			s.Versions["7"] = unsigned("7", "u7")
			return s
		}, cfg: deleting, resources: []string{"pay:7"}, deletes: []string{"pay:7"}},
		{name: "with the opt-in but aliases unread, the aliases are asked for first", snap: func() snapshot.Snapshot {
			s := base()
			s.Versions["7"] = unsigned("7", "u7")
			return s
		}, cfg: deleting, resources: []string{"pay:7"}, needsAlias: true},
		{name: "a version an alias routes to is the alias rule's finding, never deleted", snap: func() snapshot.Snapshot {
			s := withAliases(base(), snapshot.Alias{Name: "prod", FunctionVersion: "3", AdditionalWeights: map[string]float64{"7": 0.1}})
			s.Versions["7"] = unsigned("7", "u7")
			return s
		}, cfg: deleting},
		{name: "untrusted signer and untrusted layer count too", snap: func() snapshot.Snapshot {
			s := withAliases(base())
			s.Versions["8"] = by("8", "s8", otherV1)
			s.Versions["9"] = withLayers(signed("9", "s9"), snapshot.Layer{ARN: layerOK})
			return s
		}, cfg: deleting, resources: []string{"pay:8", "pay:9"}, deletes: []string{"pay:8", "pay:9"}},
		{name: "container image versions are not judged here", snap: func() snapshot.Snapshot {
			s := withAliases(base())
			s.Versions["4"] = snapshot.Code{Version: "4", PackageType: snapshot.PackageImage}
			return s
		}, cfg: deleting},
		{name: "an exempt function's versions are not judged", snap: func() snapshot.Snapshot {
			s := withAliases(base())
			s.Name = "sandbox-x"
			s.Versions["7"] = unsigned("7", "u7")
			return s
		}, cfg: deleting},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg()
			if tc.cfg != nil {
				c = tc.cfg()
			}
			s := tc.snap()
			d := Decide(s, c)
			var got, dels []string
			for _, f := range d.Findings {
				if f.Rule == rules.UntrustedVersion {
					got = append(got, f.Resource)
					if f.ResourceType != finding.ResourceVersion || f.Severity != finding.SeverityHigh ||
						!strings.HasSuffix(f.ARN, ":function:pay:"+strings.TrimPrefix(f.Resource, "pay:")) {
						t.Errorf("finding %+v: want a high version finding with the qualified ARN", f)
					}
				}
			}
			for _, a := range d.Actions {
				if a.Kind == rules.ActionDeleteVersion {
					dels = append(dels, a.Resource)
					if a.Params[ParamCodeSha256] == "" || !strings.Contains(a.Undo, "cannot be undone") {
						t.Errorf("delete %+v: want the sha256 kept and the undo to say it cannot be undone", a)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.resources, ",") {
				t.Errorf("untrusted versions %v, want %v", got, tc.resources)
			}
			if strings.Join(dels, ",") != strings.Join(tc.deletes, ",") {
				t.Errorf("deletes %v, want %v", dels, tc.deletes)
			}
			if n := NeedsAliases(s, c); n != tc.needsAlias {
				t.Errorf("NeedsAliases = %v, want %v", n, tc.needsAlias)
			}
		})
	}
}

func TestAVersionFindingKeepsItsCode(t *testing.T) {
	s := base()
	c := unsigned("7", "u7sha")
	c.LastModified = "2026-03-01T10:02:12.000+0000"
	s.Versions["7"] = c
	for _, f := range Decide(s, cfg()).Findings {
		if f.Rule == rules.UntrustedVersion {
			for _, want := range []string{"u7sha", "version 7", "2026-03-01T10:02:12"} {
				if !strings.Contains(f.Detail, want) {
					t.Errorf("detail %q lacks %q", f.Detail, want)
				}
			}
			return
		}
	}
	t.Fatal("no untrusted-version finding")
}
