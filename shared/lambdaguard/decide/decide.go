package decide

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/rules"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

// Params keys. The actions use them so:
//   - rules.ActionMoveAlias: function, alias, version, revisionId, previousVersion, previousWeights
//   - rules.ActionRestoreCode: function, version, revisionId, codeSha256, reservedConcurrency, and
//     configuration ("1") with previousLayers when the configuration is restored after the code
//   - rules.ActionRestoreConfiguration: function, version, revisionId, previousLayers, reservedConcurrency
//   - rules.ActionContain: function, revisionId, reservedConcurrency (previous, "" for none)
//   - rules.ActionAttachCSC: function, codeSigningConfigArn, previousCodeSigningConfigArn
//   - rules.ActionDeleteVersion: function, version, codeSha256
const (
	ParamFunction        = "function"
	ParamAlias           = "alias"
	ParamVersion         = "version"
	ParamRevisionID      = "revisionId"
	ParamPreviousVersion = "previousVersion"
	ParamPreviousWeights = "previousWeights"
	ParamCodeSha256      = "codeSha256"
	ParamReserved        = "reservedConcurrency"
	ParamPreviousLayers  = "previousLayers"
	ParamCSC             = "codeSigningConfigArn"
	ParamPreviousCSC     = "previousCodeSigningConfigArn"
)

// Verdict says whether code can be trusted, and why not.
type Verdict struct {
	Trusted bool
	// Rule is the rule a distrusted verdict violates.
	Rule finding.RuleID
	// Why is a short phrase: "unsigned", "signed by untrusted profile X".
	Why string
}

// CodeVerdict judges a version's own code (not its layers).
func CodeVerdict(c snapshot.Code, cfg settings.Settings) Verdict {
	switch {
	case c.PackageType == snapshot.PackageImage:
		return Verdict{Rule: rules.ImageUnverifiable, Why: "a container image, which cannot be signed"}
	case c.SigningProfileVersionARN == "":
		return Verdict{Rule: rules.UnsignedCode, Why: "unsigned"}
	case !cfg.Trusted(c.SigningProfileVersionARN):
		return Verdict{Rule: rules.UntrustedSigner, Why: "signed by untrusted profile " + c.SigningProfileVersionARN}
	}
	return codeSignature(c)
}

// LayerVerdict judges one layer's signature.
func LayerVerdict(l snapshot.Layer, cfg settings.Settings) Verdict {
	switch {
	case l.SigningProfileVersionARN == "":
		return Verdict{Rule: rules.UntrustedLayer, Why: "layer " + l.ARN + " is unsigned"}
	case !cfg.Trusted(l.SigningProfileVersionARN):
		return Verdict{Rule: rules.UntrustedLayer, Why: "layer " + l.ARN + " is signed by untrusted profile " + l.SigningProfileVersionARN}
	}
	return layerSignature(l)
}

// VersionVerdict judges a version's code and then its layers.
func VersionVerdict(c snapshot.Code, cfg settings.Settings) Verdict {
	if v := CodeVerdict(c, cfg); !v.Trusted {
		return v
	}
	for _, l := range c.Layers {
		if v := LayerVerdict(l, cfg); !v.Trusted {
			return v
		}
	}
	return Verdict{Trusted: true}
}

// Target returns the newest published version whose code, layers and
// configuration are trusted (Verdicts), if the snapshot lists one.
func Target(s snapshot.Snapshot, cfg settings.Settings) (snapshot.Code, bool) {
	return newestTrusted(s, cfg)
}

// NeedsVersions reports whether Decide would plan a repair that needs a
// target version the snapshot has not listed yet: the caller then lists
// the versions (observe.Reader.ReadVersions) and decides.
func NeedsVersions(s snapshot.Snapshot, cfg settings.Settings) bool {
	if s.VersionsListed || cfg.FunctionExempt(s.Name) {
		return false
	}
	_, needs := decide(s, cfg)
	return needs
}

// Decide judges a snapshot. An exempt function gives an empty decision.
func Decide(s snapshot.Snapshot, cfg settings.Settings) finding.Decision {
	d, _ := decide(s, cfg)
	return cfg.Mute(d, cfg.Now())
}

func decide(s snapshot.Snapshot, cfg settings.Settings) (finding.Decision, bool) {
	if IsGuardFunction(s, cfg) {
		return guardDecision(s, cfg), false
	}
	d, needs := decideFunction(s, cfg)
	borrowedRole(&d, s, cfg)
	return d, needs
}

func decideFunction(s snapshot.Snapshot, cfg settings.Settings) (finding.Decision, bool) {
	var d finding.Decision
	if cfg.FunctionExempt(s.Name) {
		return d, false
	}
	needsTarget := false
	target, haveTarget := Target(s, cfg)
	fn := s.Name

	if s.PackageType == snapshot.PackageImage {
		d.Findings = append(d.Findings, rules.Finding(rules.ImageUnverifiable, fn, s.ARN,
			"container image function: its code cannot be signed or verified", detailCode(s.Latest)))
	}

	// Code signing config first, so that a restore after it is verified.
	judgeCSC(&d, s, cfg)

	// $LATEST: its code, layers and configuration, repaired as one.
	if s.LatestRead && s.PackageType != snapshot.PackageImage {
		j := judgeLatest(s, cfg, target, haveTarget)
		d.Findings = append(d.Findings, j.findings...)
		d.Actions = append(d.Actions, j.actions...)
		needsTarget = needsTarget || j.needsTarget
	}

	// Aliases: released to $LATEST or to untrusted code.
	if judgeAliases(&d, s, cfg, target, haveTarget) {
		needsTarget = true
	}

	// Published versions no alias routes to.
	fs, as, _ := judgeVersions(s, cfg)
	d.Findings = append(d.Findings, fs...)
	d.Actions = append(d.Actions, as...)
	return d, needsTarget
}

// judgeCSC judges the function's code signing config: none, warn-only or
// an untrusted publisher, with the configured config as the repair.
func judgeCSC(d *finding.Decision, s snapshot.Snapshot, cfg settings.Settings) {
	if !s.CSCRead || s.PackageType == snapshot.PackageImage {
		return
	}
	fn := s.Name
	var cscRules []finding.RuleID
	prev := ""
	if s.CSC == nil {
		d.Findings = append(d.Findings, fnFinding(s, rules.NoCodeSigningConfig,
			"no code signing config: Lambda verifies no signature on deploy",
			"Without a code signing config any code deploys and no signing fields are recorded."))
		cscRules = append(cscRules, rules.NoCodeSigningConfig)
	} else if prev = s.CSC.ARN; !s.CSC.PolicyNotRead {
		// A policy not read is the configured CSC's on a code event:
		// it is judged on the UpdateCodeSigningConfig event and by the
		// sweep (observe.Reader.ConfiguredCSC).
		if !s.CSC.Enforced() {
			d.Findings = append(d.Findings, fnFinding(s, rules.CSCWarnOnly,
				"code signing config "+s.CSC.ARN+" only warns: unsigned code still deploys",
				"UntrustedArtifactOnDeployment="+s.CSC.UntrustedArtifactOnDeployment))
			cscRules = append(cscRules, rules.CSCWarnOnly)
		}
		var bad []string
		for _, p := range s.CSC.AllowedPublishers {
			if !cfg.Trusted(p) {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 {
			d.Findings = append(d.Findings, fnFinding(s, rules.CSCUntrustedPublisher,
				"code signing config "+s.CSC.ARN+" allows untrusted publisher "+strings.Join(bad, ", "),
				"allowed publishers: "+strings.Join(s.CSC.AllowedPublishers, ", ")))
			cscRules = append(cscRules, rules.CSCUntrustedPublisher)
		}
	}
	if len(cscRules) > 0 && cfg.CodeSigningConfigARN != "" && cfg.CodeSigningConfigARN != prev {
		d.Actions = append(d.Actions, attachCSC(regionOf(s), fn, cfg.CodeSigningConfigARN, prev, cscRules))
	}
}

// judgeAliases judges every alias read: one released to $LATEST or routing
// to an untrusted version is moved to the target. It reports whether the
// target is needed but the versions are not listed yet.
func judgeAliases(d *finding.Decision, s snapshot.Snapshot, cfg settings.Settings, target snapshot.Code, haveTarget bool) bool {
	fn := s.Name
	needsTarget := false
	verdicts := Verdicts(s, cfg)
	for _, a := range s.Aliases {
		var ids []finding.RuleID
		res := fn + ":" + a.Name
		if a.FunctionVersion == snapshot.Latest {
			d.Findings = append(d.Findings, rules.Finding(rules.AliasLatest, res, a.ARN,
				"alias "+a.Name+" points to $LATEST: every deploy is released at once", "alias revision "+a.RevisionID))
			ids = append(ids, rules.AliasLatest)
		}
		for _, rt := range a.Routes() {
			if rt.Version == snapshot.Latest {
				continue
			}
			c, ok := s.Versions[rt.Version]
			if !ok || c.PackageType == snapshot.PackageImage {
				continue
			}
			v, ok := verdicts[rt.Version]
			if !ok || v.Trusted {
				continue
			}
			d.Findings = append(d.Findings, rules.Finding(rules.AliasUntrustedVersion, res, a.ARN,
				fmt.Sprintf("alias %s routes %s to version %s, %s", a.Name, percent(rt.Weight), rt.Version, v.Why), detailCode(c)))
			ids = appendOnce(ids, rules.AliasUntrustedVersion)
		}
		if len(ids) == 0 {
			continue
		}
		if !s.VersionsListed {
			needsTarget = true
		}
		if haveTarget {
			d.Actions = append(d.Actions, moveAlias(regionOf(s), fn, a, target.Version, ids))
		} else if s.VersionsListed {
			for i := range d.Findings {
				if d.Findings[i].Resource == res {
					d.Findings[i].Detail += "; no trusted published version to move it to: flagged only"
				}
			}
		}
	}
	return needsTarget
}

func fnFinding(s snapshot.Snapshot, rule finding.RuleID, summary, detail string) finding.Finding {
	f := rules.Finding(rule, s.Name, s.ARN, summary, detail)
	f.ResourceType = finding.ResourceFunction
	return f
}

func detailCode(c snapshot.Code) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version %s, sha256 %s", orNone(c.Version), orNone(c.CodeSha256))
	fmt.Fprintf(&b, ", signing profile version %s, signing job %s", orNone(c.SigningProfileVersionARN), orNone(c.SigningJobARN))
	if len(c.Layers) > 0 {
		var ls []string
		for _, l := range c.Layers {
			ls = append(ls, l.ARN+" (profile "+orNone(l.SigningProfileVersionARN)+")")
		}
		b.WriteString(", layers " + strings.Join(ls, ", "))
	}
	return b.String()
}

func detailLayer(l snapshot.Layer) string {
	return fmt.Sprintf("layer %s, signing profile version %s, signing job %s",
		l.ARN, orNone(l.SigningProfileVersionARN), orNone(l.SigningJobARN))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func percent(w float64) string {
	return strconv.FormatFloat(w*100, 'f', -1, 64) + "%"
}

func appendOnce(rs []finding.RuleID, r finding.RuleID) []finding.RuleID {
	for _, x := range rs {
		if x == r {
			return rs
		}
	}
	return append(rs, r)
}

func reserved(s snapshot.Snapshot) string {
	if s.ReservedConcurrency == nil {
		return ""
	}
	return strconv.Itoa(int(*s.ReservedConcurrency))
}

// ContainAction returns the containment of function fn; act falls
// back to it when a restore cannot be done or trusted.
func ContainAction(fn, previousReserved string, ids []finding.RuleID, why string) finding.Action {
	return ContainActionIn("", fn, previousReserved, ids, why)
}

// ContainActionIn is ContainAction for a function in region, which its undo
// command names.
func ContainActionIn(region, fn, previousReserved string, ids []finding.RuleID, why string) finding.Action {
	return finding.Action{
		Kind: rules.ActionContain, For: ids, Resource: fn, Done: rules.Done(rules.ActionContain),
		Params:  map[string]string{ParamFunction: fn, ParamReserved: previousReserved, ParamRegion: region},
		Summary: "stop every invocation of " + fn + " (reserved concurrency 0): " + why,
		Undo:    undoContain(region, fn, previousReserved),
	}
}

func contain(s snapshot.Snapshot, ids []finding.RuleID, why string) finding.Action {
	a := ContainActionIn(regionOf(s), s.Name, reserved(s), ids, why)
	a.Params[ParamRevisionID] = s.Latest.RevisionID
	return a
}

func restoreCode(s snapshot.Snapshot, t snapshot.Code, ids []finding.RuleID) finding.Action {
	fn := s.Name
	return finding.Action{
		Kind: rules.ActionRestoreCode, For: ids, Resource: fn, Done: rules.Done(rules.ActionRestoreCode),
		Params: map[string]string{
			ParamFunction: fn, ParamVersion: t.Version, ParamRevisionID: s.Latest.RevisionID,
			ParamCodeSha256: s.Latest.CodeSha256, ParamReserved: reserved(s), ParamRegion: regionOf(s),
		},
		Summary: fmt.Sprintf("restore the code of trusted version %s into %s $LATEST (replacing sha256 %s); if it cannot be restored and trusted, stop all invocations instead",
			t.Version, fn, orNone(s.Latest.CodeSha256)),
		Undo: undoRestoreCode(regionOf(s), fn, s.Latest.CodeSha256),
	}
}

func moveAlias(region, fn string, a snapshot.Alias, version string, ids []finding.RuleID) finding.Action {
	var ws []string
	var vs []string
	for v := range a.AdditionalWeights {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, v := range vs {
		ws = append(ws, v+"="+strconv.FormatFloat(a.AdditionalWeights[v], 'f', -1, 64))
	}
	return finding.Action{
		Kind: rules.ActionMoveAlias, For: ids, Resource: fn + ":" + a.Name, Done: rules.Done(rules.ActionMoveAlias),
		Params: map[string]string{
			ParamFunction: fn, ParamAlias: a.Name, ParamVersion: version, ParamRevisionID: a.RevisionID,
			ParamPreviousVersion: a.FunctionVersion, ParamPreviousWeights: strings.Join(ws, ","), ParamRegion: region,
		},
		Summary: fmt.Sprintf("point alias %s of %s at trusted version %s (was %s), weighted routing removed", a.Name, fn, version, a.FunctionVersion),
		Undo:    undoAlias(region, fn, a),
	}
}

func attachCSC(region, fn, arn, prev string, ids []finding.RuleID) finding.Action {
	return finding.Action{
		Kind: rules.ActionAttachCSC, For: ids, Resource: fn, Done: rules.Done(rules.ActionAttachCSC),
		Params:  map[string]string{ParamFunction: fn, ParamCSC: arn, ParamPreviousCSC: prev, ParamRegion: region},
		Summary: "attach code signing config " + arn + " to " + fn,
		Undo:    undoCSC(region, fn, prev),
	}
}

// layerResource names a layer finding's resource: the function, then the
// layer's name and version ("payments-api/shared-utils:3"), with the owning
// account for a layer of another account, so a person reads it at a glance
// and two layers of one function stay two findings.
func layerResource(fn, account, layerARN string) string {
	i := strings.Index(layerARN, ":layer:")
	if i < 0 {
		return fn + "/" + layerARN
	}
	label := layerARN[i+len(":layer:"):]
	if acct := lambdaarn.Account(layerARN); acct != "" && acct != account {
		label = acct + ":" + label
	}
	return fn + "/" + label
}
