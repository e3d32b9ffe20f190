package decide

import (
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
)

var (
	checked = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	signedT = checked.Add(-30 * 24 * time.Hour)
)

// holds is Signer's word on a good signature: job and profile in order.
func holds() *snapshot.Signature {
	return &snapshot.Signature{CheckedAt: checked, SignedAt: signedT, ExpiresAt: checked.Add(365 * 24 * time.Hour), ProfileStatus: "Active"}
}

func sigWith(f func(*snapshot.Signature)) *snapshot.Signature {
	s := holds()
	f(s)
	return s
}

var (
	jobRevoked = sigWith(func(s *snapshot.Signature) {
		s.JobRevoked, s.JobRevokedAt, s.JobRevokedBy, s.JobRevokedReason = true, checked.Add(-time.Hour), "arn:aws:iam::111122223333:user/sec", "leaked runner"
	})
	profileRevokedBefore = sigWith(func(s *snapshot.Signature) {
		s.ProfileStatus, s.ProfileRevokedFrom = "Revoked", signedT.Add(-time.Hour)
	})
	profileRevokedAfter = sigWith(func(s *snapshot.Signature) {
		s.ProfileStatus, s.ProfileRevokedFrom = "Revoked", signedT.Add(time.Hour)
	})
	profileRevokedAtSigning = sigWith(func(s *snapshot.Signature) {
		s.ProfileStatus, s.ProfileRevokedFrom = "Revoked", signedT
	})
	profileRevokedUnknownTime = sigWith(func(s *snapshot.Signature) {
		s.ProfileStatus, s.ProfileRevokedFrom, s.SignedAt = "Revoked", signedT, time.Time{}
	})
	canceled = sigWith(func(s *snapshot.Signature) { s.ProfileStatus = "Canceled" })
	expired  = sigWith(func(s *snapshot.Signature) { s.ExpiresAt = checked.Add(-time.Minute) })
	unknown  = sigWith(func(s *snapshot.Signature) { s.Unknown = "AWS Signer has no signing job job-L" })
)

func TestSignatureVerdict(t *testing.T) {
	cases := []struct {
		name string
		sig  *snapshot.Signature
		rule finding.RuleID // "" for trusted
		why  string
	}{
		{"a signature Signer was not asked about is judged on its profile alone", nil, "", ""},
		{"a signature whose job and profile hold is trusted", holds(), "", ""},
		{"a revoked job is revoked, with who and why", jobRevoked, rules.RevokedSignature, "leaked runner"},
		{"a profile revoked from before the signature revokes it", profileRevokedBefore, rules.RevokedSignature, "whose revocation took effect"},
		{"a signature made at the effective time is revoked", profileRevokedAtSigning, rules.RevokedSignature, "whose revocation took effect"},
		{"a signature made before the effective time stays valid", profileRevokedAfter, "", ""},
		{"a revoked profile with no signing time known revokes it", profileRevokedUnknownTime, rules.RevokedSignature, "at an unknown time"},
		{"a canceled profile's signatures stay valid", canceled, "", ""},
		{"an expired signature is expired", expired, rules.ExpiredSignature, "expired at"},
		{"a signature Signer cannot vouch for is not trusted", unknown, rules.RevokedSignature, "cannot vouch for"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := SignatureVerdict(trustedV1, "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/job-L", tc.sig)
			if v.Trusted != (tc.rule == "") || v.Rule != tc.rule {
				t.Fatalf("verdict %+v, want rule %q", v, tc.rule)
			}
			if !strings.Contains(v.Why, tc.why) {
				t.Errorf("why %q lacks %q", v.Why, tc.why)
			}
		})
	}
}

func withSig(c snapshot.Code, s *snapshot.Signature) snapshot.Code {
	c.Signature = s
	return c
}

func TestDecideOnSignerAnswers(t *testing.T) {
	layer := func(s *snapshot.Signature) snapshot.Layer {
		return snapshot.Layer{ARN: layerOK, SigningProfileVersionARN: trustedV1, SigningJobARN: "arn:aws:signer:eu-west-1:111122223333:/signing-jobs/lay", Signature: s}
	}
	cases := []struct {
		name string
		mod  func(*snapshot.Snapshot)
		want want
	}{
		{"every signature holding gives nothing", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, holds())
			s.Versions["3"] = withSig(s.Versions["3"], holds())
		}, want{}},
		{"a revoked $LATEST is restored from the newest version whose signature holds", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, jobRevoked)
			s.Versions["3"] = withSig(s.Versions["3"], holds())
		}, want{rules: []finding.RuleID{rules.RevokedSignature}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "3"}, summary: "$LATEST code signed by job"}},
		{"a revoked newest version is passed over for the next, and flagged itself", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, jobRevoked)
			s.Versions["3"] = withSig(s.Versions["3"], profileRevokedBefore)
			s.Versions["2"] = withSig(s.Versions["2"], holds())
		}, want{rules: []finding.RuleID{rules.RevokedSignature, rules.UntrustedVersion}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			params: map[string]string{ParamVersion: "2"}, summary: "version 3 of pay is signed at"}},
		{"every version revoked by the profile ends in containment", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, profileRevokedBefore)
			for v, c := range s.Versions {
				s.Versions[v] = withSig(c, profileRevokedBefore)
			}
		}, want{rules: []finding.RuleID{rules.RevokedSignature, rules.UntrustedVersion, rules.UntrustedVersion, rules.UntrustedVersion},
			actions: []finding.ActionKind{rules.ActionContain}}},
		{"an expired $LATEST is an expired signature", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, expired)
			s.Versions["3"] = withSig(s.Versions["3"], holds())
		}, want{rules: []finding.RuleID{rules.ExpiredSignature}, actions: []finding.ActionKind{rules.ActionRestoreCode},
			summary: "expired at"}},
		{"a layer whose job was revoked is an untrusted layer", func(s *snapshot.Snapshot) {
			s.Latest = withLayers(withSig(s.Latest, holds()), layer(jobRevoked))
			s.Versions["3"] = withLayers(withSig(s.Versions["3"], holds()), layer(holds()))
		}, want{rules: []finding.RuleID{rules.UntrustedLayer}, actions: []finding.ActionKind{rules.ActionRestoreConfiguration},
			summary: "which AWS Signer shows revoked"}},
		{"an alias routing to a revoked version is moved", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, holds())
			s.Versions["3"] = withSig(s.Versions["3"], jobRevoked)
			s.Versions["2"] = withSig(s.Versions["2"], holds())
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "3", RevisionID: "a1"}}
		}, want{rules: []finding.RuleID{rules.AliasUntrustedVersion}, actions: []finding.ActionKind{rules.ActionMoveAlias},
			params: map[string]string{ParamVersion: "2"}, summary: "which AWS Signer shows revoked"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mod(&s)
			check(t, Decide(s, cfg()), tc.want)
		})
	}
}

// check compares a decision with want, as TestDecide does.
func check(t *testing.T, d finding.Decision, w want) {
	t.Helper()
	var got []finding.RuleID
	for _, f := range d.Findings {
		got = append(got, f.Rule)
	}
	if strings.Join(ids(got), ",") != strings.Join(ids(w.rules), ",") {
		t.Fatalf("rules %v, want %v (%+v)", got, w.rules, d.Findings)
	}
	var kinds []string
	for _, a := range d.Actions {
		kinds = append(kinds, string(a.Kind))
	}
	var wantKinds []string
	for _, k := range w.actions {
		wantKinds = append(wantKinds, string(k))
	}
	if strings.Join(kinds, ",") != strings.Join(wantKinds, ",") {
		t.Fatalf("actions %v, want %v", kinds, wantKinds)
	}
	for k, v := range w.params {
		if d.Actions[0].Params[k] != v {
			t.Errorf("param %s = %q, want %q", k, d.Actions[0].Params[k], v)
		}
	}
	if w.summary != "" {
		found := false
		for _, f := range d.Findings {
			found = found || strings.Contains(f.Summary, w.summary)
		}
		if !found {
			t.Errorf("no finding summary contains %q: %+v", w.summary, d.Findings)
		}
	}
}

func ids(rs []finding.RuleID) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func TestNeedsSignaturesAsksOnlyWhatTheDecisionUses(t *testing.T) {
	refs := func(rs []SignatureRef) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Version)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name string
		mod  func(*snapshot.Snapshot)
		want string
	}{
		{"first $LATEST and the versions aliases route to", func(s *snapshot.Snapshot) {
			s.Aliases = []snapshot.Alias{{Name: "prod", FunctionVersion: "1"}}
		}, "$LATEST,1"},
		{"nothing more once they hold and nothing needs repair", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, holds())
		}, ""},
		{"the newest version once $LATEST needs a repair", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, jobRevoked)
		}, "3"},
		{"the next version when the newest does not hold", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, jobRevoked)
			s.Versions["3"] = withSig(s.Versions["3"], jobRevoked)
		}, "2"},
		{"none past a target that holds", func(s *snapshot.Snapshot) {
			s.Latest = withSig(s.Latest, jobRevoked)
			s.Versions["3"] = withSig(s.Versions["3"], holds())
		}, ""},
		{"unsigned $LATEST needs no word on itself, only on the target", func(s *snapshot.Snapshot) {
			s.Latest = unsigned(snapshot.Latest, "x")
		}, "3"},
		{"a profile the settings do not trust is never asked about", func(s *snapshot.Snapshot) {
			s.Latest = by(snapshot.Latest, "x", otherV1)
			s.Versions = map[string]snapshot.Code{"1": by("1", "y", otherV1)}
		}, ""},
		{"layers are asked about with their version", func(s *snapshot.Snapshot) {
			s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerOK, SigningProfileVersionARN: trustedV1})
		}, "$LATEST,$LATEST"},
		{"an exempt function asks nothing", func(s *snapshot.Snapshot) { s.Name = "sandbox-x" }, ""},
		{"versions read one by one (an event's) are asked about with $LATEST", func(s *snapshot.Snapshot) {
			s.VersionsListed = false
			s.Versions = map[string]snapshot.Code{"4": signed("4", "s4")}
		}, "$LATEST,4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mod(&s)
			if got := refs(NeedsSignatures(s, cfg())); got != tc.want {
				t.Errorf("needs %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSetSignatureLeavesOtherSnapshotsAlone(t *testing.T) {
	s := base()
	s.Latest = withLayers(s.Latest, snapshot.Layer{ARN: layerOK, SigningProfileVersionARN: trustedV1})
	copyOf := s.Latest
	SetSignature(&s, SignatureRef{Version: snapshot.Latest, Layer: 0}, jobRevoked)
	SetSignature(&s, SignatureRef{Version: "2", Layer: -1}, holds())
	if s.Latest.Layers[0].Signature != jobRevoked || s.Versions["2"].Signature == nil {
		t.Fatalf("signatures not set: %+v %+v", s.Latest.Layers[0], s.Versions["2"])
	}
	if copyOf.Layers[0].Signature != nil {
		t.Error("setting a layer's signature changed another copy's layers")
	}
}

func TestEverySignatureIsEveryTrustedSignatureNotYetAsked(t *testing.T) {
	s := base()
	s.Versions["2"] = withSig(s.Versions["2"], holds())
	s.Versions["4"] = by("4", "s4", otherV1)
	var got []string
	for _, r := range EverySignature(s, cfg()) {
		got = append(got, r.Version)
	}
	if strings.Join(got, ",") != "$LATEST,3,1" {
		t.Errorf("every signature = %v, want $LATEST, 3 and 1 (2 known, 4 untrusted)", got)
	}
	s.Name = "sandbox-x"
	if refs := EverySignature(s, cfg()); len(refs) != 0 {
		t.Errorf("an exempt function asks %v", refs)
	}
}
