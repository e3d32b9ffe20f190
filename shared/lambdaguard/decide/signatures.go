package decide

import (
	"fmt"
	"sort"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// SignatureVerdict judges what AWS Signer said of a signature whose
// profile the settings trust: revoked (its job, or its profile from before
// it signed), unknown to Signer, or expired. A signature Signer was not
// asked about (nil) is judged on its profile alone, as it always was.
func SignatureVerdict(profileVersionARN, jobARN string, sig *snapshot.Signature) Verdict {
	if sig == nil {
		return Verdict{Trusted: true}
	}
	job := orNone(jobARN)
	switch {
	case sig.Unknown != "":
		return Verdict{Rule: rules.RevokedSignature, Why: fmt.Sprintf("signed by job %s, which AWS Signer cannot vouch for: %s", job, sig.Unknown)}
	case sig.JobRevoked:
		why := fmt.Sprintf("signed by job %s, which AWS Signer shows revoked", job)
		if !sig.JobRevokedAt.IsZero() {
			why += " at " + stamp(sig.JobRevokedAt)
		}
		if sig.JobRevokedBy != "" {
			why += " by " + sig.JobRevokedBy
		}
		if sig.JobRevokedReason != "" {
			why += " (" + sig.JobRevokedReason + ")"
		}
		return Verdict{Rule: rules.RevokedSignature, Why: why}
	case sig.Revoked():
		when := "at an unknown time"
		if !sig.SignedAt.IsZero() {
			when = "at " + stamp(sig.SignedAt)
		}
		return Verdict{Rule: rules.RevokedSignature, Why: fmt.Sprintf("signed %s by profile version %s, whose revocation took effect at %s",
			when, profileVersionARN, stamp(sig.ProfileRevokedFrom))}
	case sig.Expired():
		return Verdict{Rule: rules.ExpiredSignature, Why: fmt.Sprintf("signed by job %s, whose signature expired at %s", job, stamp(sig.ExpiresAt))}
	}
	return Verdict{Trusted: true}
}

// codeSignature is CodeVerdict's last step, for code a trusted profile signed.
func codeSignature(c snapshot.Code) Verdict {
	return SignatureVerdict(c.SigningProfileVersionARN, c.SigningJobARN, c.Signature)
}

// layerSignature is LayerVerdict's last step: a layer whose signature
// Signer no longer vouches for is an untrusted layer.
func layerSignature(l snapshot.Layer) Verdict {
	v := SignatureVerdict(l.SigningProfileVersionARN, l.SigningJobARN, l.Signature)
	if v.Trusted {
		return v
	}
	return Verdict{Rule: rules.UntrustedLayer, Why: "layer " + l.ARN + " is " + v.Why}
}

// signedRule reports whether a code verdict's rule is about a signature
// that exists (untrusted, revoked, expired) rather than a missing one.
func signedRule(id finding.RuleID) bool {
	return id == rules.UntrustedSigner || id == rules.RevokedSignature || id == rules.ExpiredSignature
}

// SignatureRef names one signature of a snapshot the decision wants AWS
// Signer's word on: the code of a version ($LATEST or a number), or one of
// its layers (Layer is the layer's index, -1 for the code).
type SignatureRef struct {
	Version           string
	Layer             int
	ProfileVersionARN string
	JobARN            string
}

// NeedsSignatures returns the signatures an event's decision still wants
// Signer's word on, profile-trusted ones only (an untrusted or missing
// signature is judged without Signer): first those of $LATEST, of the
// versions the aliases route to and of the versions read one by one (the
// one an event published); once those are known and something needs
// repairing, those of the newest published version that would be the
// restore target. The caller fills them in (observe.Signatures) and asks
// again: a target whose signature does not hold makes the next one the
// candidate. Older listed versions are not asked about, so a repair costs
// Signer calls for the versions it passes over, not for the whole history;
// EverySignature serves the full judgements.
func NeedsSignatures(s snapshot.Snapshot, cfg settings.Settings) []SignatureRef {
	if cfg.FunctionExempt(s.Name) || s.PackageType == snapshot.PackageImage {
		return nil
	}
	var out []SignatureRef
	seen := map[string]bool{}
	add := func(version string, c snapshot.Code) {
		if seen[version] {
			return
		}
		seen[version] = true
		out = append(out, pending(version, c, cfg)...)
	}
	if s.LatestRead {
		add(snapshot.Latest, s.Latest)
	}
	for _, a := range s.Aliases {
		for _, rt := range a.Routes() {
			if c, ok := s.Versions[rt.Version]; ok && rt.Version != snapshot.Latest {
				add(rt.Version, c)
			}
		}
	}
	if !s.VersionsListed {
		for _, v := range newestFirst(s) {
			add(v, s.Versions[v])
		}
	}
	if len(out) > 0 || !repairWanted(s, cfg) {
		return out
	}
	for _, v := range newestFirst(s) {
		c := s.Versions[v]
		if !VersionVerdict(c, cfg).Trusted {
			continue
		}
		// The newest version trusted so far: the target, once Signer agrees.
		return pending(v, c, cfg)
	}
	return nil
}

// EverySignature returns every profile-trusted signature of the snapshot
// Signer has not been asked about: $LATEST's and every version's, for the
// judgements that look at every published version (the sweep, audit, the
// functions a revocation names).
func EverySignature(s snapshot.Snapshot, cfg settings.Settings) []SignatureRef {
	if cfg.FunctionExempt(s.Name) || s.PackageType == snapshot.PackageImage {
		return nil
	}
	var out []SignatureRef
	if s.LatestRead {
		out = pending(snapshot.Latest, s.Latest, cfg)
	}
	for _, v := range newestFirst(s) {
		out = append(out, pending(v, s.Versions[v], cfg)...)
	}
	return out
}

// pending returns the profile-trusted signatures of one version (code and
// layers) that Signer has not been asked about.
func pending(version string, c snapshot.Code, cfg settings.Settings) []SignatureRef {
	if c.PackageType == snapshot.PackageImage {
		return nil
	}
	var out []SignatureRef
	if c.Signature == nil && c.SigningProfileVersionARN != "" && cfg.Trusted(c.SigningProfileVersionARN) {
		out = append(out, SignatureRef{Version: version, Layer: -1, ProfileVersionARN: c.SigningProfileVersionARN, JobARN: c.SigningJobARN})
	}
	for i, l := range c.Layers {
		if l.Signature == nil && l.SigningProfileVersionARN != "" && cfg.Trusted(l.SigningProfileVersionARN) {
			out = append(out, SignatureRef{Version: version, Layer: i, ProfileVersionARN: l.SigningProfileVersionARN, JobARN: l.SigningJobARN})
		}
	}
	return out
}

// repairWanted reports whether $LATEST or an alias, as known so far, needs
// a trusted version to be repaired with.
func repairWanted(s snapshot.Snapshot, cfg settings.Settings) bool {
	if s.LatestRead && !VersionVerdict(s.Latest, cfg).Trusted {
		return true
	}
	for _, a := range s.Aliases {
		for _, rt := range a.Routes() {
			if rt.Version == snapshot.Latest {
				return true
			}
			if c, ok := s.Versions[rt.Version]; ok && c.PackageType != snapshot.PackageImage && !VersionVerdict(c, cfg).Trusted {
				return true
			}
		}
	}
	return false
}

// newestFirst returns the published version numbers of the snapshot,
// newest first.
func newestFirst(s snapshot.Snapshot) []string {
	vs := make([]string, 0, len(s.Versions))
	for v := range s.Versions {
		if v != snapshot.Latest {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return snapshot.VersionLess(vs[j], vs[i]) })
	return vs
}

// SetSignature records Signer's word on the signature ref names.
func SetSignature(s *snapshot.Snapshot, ref SignatureRef, sig *snapshot.Signature) {
	c := s.Latest
	if ref.Version != snapshot.Latest {
		c = s.Versions[ref.Version]
	}
	if ref.Layer < 0 {
		c.Signature = sig
	} else if ref.Layer < len(c.Layers) {
		layers := append([]snapshot.Layer(nil), c.Layers...)
		layers[ref.Layer].Signature = sig
		c.Layers = layers
	}
	if ref.Version == snapshot.Latest {
		s.Latest = c
		return
	}
	s.Versions[ref.Version] = c
}
