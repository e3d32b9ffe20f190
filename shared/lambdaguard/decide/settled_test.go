package decide

import (
	"testing"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

func TestSettledOnlyByATrustedGlance(t *testing.T) {
	glance := func(edit func(*snapshot.Snapshot)) snapshot.Snapshot {
		s := snapshot.Snapshot{Name: "pay", ARN: "arn:aws:lambda:eu-west-1:" + acct + ":function:pay", Account: acct,
			PackageType: "Zip", Latest: signed("2", "s2"), LatestRead: true}
		if edit != nil {
			edit(&s)
		}
		return s
	}
	cases := []struct {
		name  string
		snap  snapshot.Snapshot
		cfg   settings.Settings
		alias bool
		want  bool
	}{
		{"trusted code", glance(nil), guardCfg(), false, true},
		{"trusted version behind an alias", glance(nil), guardCfg(), true, true},
		{"$LATEST behind an alias", glance(func(s *snapshot.Snapshot) { s.Latest.Version = snapshot.Latest }), guardCfg(), true, false},
		{"unsigned code", glance(func(s *snapshot.Snapshot) { s.Latest = unsigned("2", "u") }), guardCfg(), false, false},
		{"untrusted layer", glance(func(s *snapshot.Snapshot) {
			s.Latest.Layers = []snapshot.Layer{{ARN: layerOK}}
		}), guardCfg(), false, false},
		{"a trusted layer of another account", glance(func(s *snapshot.Snapshot) {
			s.Latest.Layers = []snapshot.Layer{{ARN: layerFar, SigningProfileVersionARN: trustedV1}}
		}), guardCfg(), false, false},
		{"an update under way", glance(func(s *snapshot.Snapshot) { s.Latest.LastUpdateStatus = "InProgress" }), guardCfg(), false, false},
		{"a guard role", glance(func(s *snapshot.Snapshot) { s.Latest.Role = guardRole }), guardCfg(), false, false},
		{"the guard's own function", glance(func(s *snapshot.Snapshot) { s.Name, s.ARN = "selfguard-lambda-guard", guardARN }), guardCfg(), false, false},
		{"a container image", glance(func(s *snapshot.Snapshot) { s.Latest.PackageType = "Image" }), guardCfg(), false, false},
		{"nothing read", snapshot.Snapshot{Name: "pay"}, guardCfg(), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Settled(tc.snap, tc.cfg, tc.alias); got != tc.want {
				t.Errorf("Settled = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAGlanceIsNotSettledByCodeThatLoadsOtherCode(t *testing.T) {
	s := snapshot.Snapshot{Name: "pay", ARN: "arn:aws:lambda:eu-west-1:" + acct + ":function:pay", Account: acct,
		PackageType: "Zip", Latest: signed("2", "s2"), LatestRead: true}
	s.Latest.Environment = map[string]string{"NODE_OPTIONS": "--require /tmp/x.js"}
	if Settled(s, guardCfg(), false) {
		t.Error("signed code made to load other code through NODE_OPTIONS was settled at a glance")
	}
	s.Latest.Environment = nil
	s.Latest.EnvironmentError = "KMSAccessDeniedException"
	if Settled(s, guardCfg(), false) {
		t.Error("code whose environment cannot be read was settled at a glance")
	}
}
