package decide

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// The edge rules judge what a CloudTrail record says was done, with the
// state read since: a protection removed or weakened is alerted even when
// the state is good again by the time the event is delivered (a detach
// undone within seconds leaves no trace in the state, but the versions
// published in the gap stay invocable). Where the level rules already
// flag the same protection on the same resource, their alert (which names
// the event and its actor) says it, and the edge rule adds nothing.

// edgeRequest holds the request parameters the edge rules read.
type edgeRequest struct {
	FunctionName                 string `json:"functionName"`
	CodeSigningConfigArn         string `json:"codeSigningConfigArn"`
	ReservedConcurrentExecutions *int32 `json:"reservedConcurrentExecutions"`
	AllowedPublishers            *struct {
		SigningProfileVersionArns []string `json:"signingProfileVersionArns"`
	} `json:"allowedPublishers"`
	CodeSigningPolicies *struct {
		UntrustedArtifactOnDeployment string `json:"untrustedArtifactOnDeployment"`
	} `json:"codeSigningPolicies"`
}

func requestOf(rec cloudtrail.Record) edgeRequest {
	var r edgeRequest
	_ = rec.Request(&r) // a record the guard could not read has no edge to judge
	return r
}

// Containment is what the ledger says selfguard contained: when, on which
// event, answering which rules.
type Containment struct {
	Time    time.Time
	EventID string
	Rules   []finding.RuleID
}

// EdgeReads says what the edge rules need read, besides the level scope,
// to judge a record.
type EdgeReads struct {
	// Versions lists every published version, to name the untrusted ones
	// published while the protection was off.
	Versions bool
	// CSC is a code signing config the record attached, whose policy is
	// read even if it is attached no more.
	CSC string
	// Containment looks up what selfguard contained: the record lifted a
	// reserved concurrency.
	Containment bool
}

// EdgeReadsOf says what judging rec's edge needs. The configured code
// signing config is the guard's own choice: attaching it weakens nothing.
func EdgeReadsOf(rec cloudtrail.Record, cfg settings.Settings) EdgeReads {
	switch rec.Operation() {
	case cloudtrail.DeleteFunctionCodeSigningConfig:
		return EdgeReads{Versions: true}
	case cloudtrail.PutFunctionCodeSigningConfig:
		if arn := requestOf(rec).CodeSigningConfigArn; arn != "" && arn != cfg.CodeSigningConfigARN {
			return EdgeReads{Versions: true, CSC: arn}
		}
	case cloudtrail.UpdateCodeSigningConfig:
		if len(WeakenedBy(rec, cfg)) > 0 {
			return EdgeReads{Versions: true}
		}
	case cloudtrail.DeleteFunctionConcurrency, cloudtrail.PutFunctionConcurrency:
		if Lifts(rec) {
			return EdgeReads{Containment: true}
		}
	}
	return EdgeReads{}
}

// Lifts reports whether rec removes a reserved concurrency of 0 if there
// was one: DeleteFunctionConcurrency, or PutFunctionConcurrency to more
// than 0.
func Lifts(rec cloudtrail.Record) bool {
	switch rec.Operation() {
	case cloudtrail.DeleteFunctionConcurrency:
		return true
	case cloudtrail.PutFunctionConcurrency:
		n := requestOf(rec).ReservedConcurrentExecutions
		return n == nil || *n > 0
	}
	return false
}

// WeakenedBy says how an UpdateCodeSigningConfig record weakened the
// config, from its request alone: set to warn, or allowing a publisher
// that is not trusted. None for any other record.
func WeakenedBy(rec cloudtrail.Record, cfg settings.Settings) []string {
	if rec.Operation() != cloudtrail.UpdateCodeSigningConfig {
		return nil
	}
	r := requestOf(rec)
	var why []string
	if p := r.CodeSigningPolicies; p != nil && p.UntrustedArtifactOnDeployment != "" && p.UntrustedArtifactOnDeployment != snapshot.PolicyEnforce {
		why = append(why, "set to "+p.UntrustedArtifactOnDeployment+" (unsigned code deploys)")
	}
	if p := r.AllowedPublishers; p != nil {
		why = append(why, untrustedPublishers(p.SigningProfileVersionArns, cfg)...)
	}
	return why
}

func untrustedPublishers(ps []string, cfg settings.Settings) []string {
	var out []string
	for _, p := range ps {
		if !cfg.Trusted(p) {
			out = append(out, "allows untrusted publisher "+p)
		}
	}
	return out
}

// weakness says how a config fails to protect: it only warns, or it allows
// a publisher that is not trusted.
func weakness(c snapshot.CodeSigningConfig, cfg settings.Settings) []string {
	var why []string
	if !c.Enforced() {
		why = append(why, "only warns (UntrustedArtifactOnDeployment="+c.UntrustedArtifactOnDeployment+")")
	}
	return append(why, untrustedPublishers(c.AllowedPublishers, cfg)...)
}

// WithEdge adds to the level decision on a function what rec says was done
// to it: a code signing config detached or a weaker one attached, or a
// containment selfguard put in place lifted (contained is what the ledger
// says selfguard contained, nil if nothing). s is the function as read
// after the event, with what EdgeReadsOf asked for.
func WithEdge(rec cloudtrail.Record, s snapshot.Snapshot, level finding.Decision, cfg settings.Settings, contained *Containment) finding.Decision {
	if !s.LatestRead || cfg.FunctionExempt(s.Name) {
		return level
	}
	switch rec.Operation() {
	case cloudtrail.DeleteFunctionCodeSigningConfig:
		if has(level, s.Name, rules.NoCodeSigningConfig) {
			return level
		}
		sum := "code signing config detached from " + s.Name + " " + byWhom(rec) + "; " + cscNow(s) + versionsNote(s, rec.EventTime, cfg)
		level.Findings = append(level.Findings, fnFinding(s, rules.CSCDetached, sum, eventDetail(rec)))
	case cloudtrail.PutFunctionCodeSigningConfig:
		arn := requestOf(rec).CodeSigningConfigArn
		c, ok := s.ConfigsRead[arn]
		if !ok && s.CSC != nil && s.CSC.ARN == arn && !s.CSC.PolicyNotRead {
			c, ok = *s.CSC, true
		}
		why := weakness(c, cfg)
		if !ok || arn == cfg.CodeSigningConfigARN || len(why) == 0 ||
			has(level, s.Name, rules.NoCodeSigningConfig, rules.CSCWarnOnly, rules.CSCUntrustedPublisher) {
			return level
		}
		sum := "code signing config " + arn + ", which " + strings.Join(why, " and ") + ", attached to " + s.Name + " " + byWhom(rec) +
			"; " + cscNow(s) + versionsNote(s, rec.EventTime, cfg)
		level.Findings = append(level.Findings, fnFinding(s, rules.CSCWeakened, sum, eventDetail(rec)))
	case cloudtrail.DeleteFunctionConcurrency, cloudtrail.PutFunctionConcurrency:
		return withLift(rec, s, level, contained)
	}
	return level
}

// WithCSCEdge adds to the level decision on a code signing config's
// functions what an UpdateCodeSigningConfig record says was done to it,
// when the level rules do not show it any more: now is the config as read
// since (nil if it is gone), fns its functions with their versions listed.
func WithCSCEdge(rec cloudtrail.Record, now *snapshot.CodeSigningConfig, fns []snapshot.Snapshot, level finding.Decision, cfg settings.Settings) finding.Decision {
	why := WeakenedBy(rec, cfg)
	arn := requestOf(rec).CodeSigningConfigArn
	if len(why) == 0 || arn == "" || hasRule(level, rules.CSCWarnOnly, rules.CSCUntrustedPublisher) {
		return level
	}
	state := "it no longer exists"
	if now != nil {
		if w := weakness(*now, cfg); len(w) > 0 {
			state = "it still " + strings.Join(w, " and ") + ", and no function uses it"
		} else {
			state = "it enforces trusted publishers again"
		}
	}
	sum := "code signing config " + arn + " " + strings.Join(why, " and ") + " " + byWhom(rec) + "; " + state
	var notes []string
	for _, s := range fns {
		if n := versionsNote(s, rec.EventTime, cfg); n != "" {
			notes = append(notes, s.Name+":"+strings.TrimPrefix(n, "; "))
		}
	}
	if len(notes) > 0 {
		sum += "; " + strings.Join(notes, "; ")
	}
	f := rules.Finding(rules.CSCWeakened, arn, arn, sum, eventDetail(rec))
	f.ResourceType = finding.ResourceCodeSigningConfig
	level.Findings = append(level.Findings, f)
	return level
}

// codeRules are the findings on $LATEST a containment answers.
var codeRules = []finding.RuleID{rules.UnsignedCode, rules.UntrustedSigner, rules.UntrustedLayer}

// withLift judges a reserved concurrency lifted: a containment selfguard
// put in place holds while its finding holds, so the level findings that
// still hold become one finding naming who lifted it, and the actions
// answering them (a restore falls back to containment) answer it; with no
// such action, the function is contained again.
func withLift(rec cloudtrail.Record, s snapshot.Snapshot, level finding.Decision, contained *Containment) finding.Decision {
	if contained == nil || !Lifts(rec) || s.ReservedConcurrency != nil && *s.ReservedConcurrency == 0 {
		return level
	}
	var held []finding.Finding
	var rest []finding.Finding
	for _, f := range level.Findings {
		if onFunction(f, s.Name) && containsRule(codeRules, f.Rule) {
			held = append(held, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(held) == 0 {
		return level // the finding is gone: lifting the containment was the fix
	}
	var reasons, details []string
	for _, f := range held {
		reasons = append(reasons, string(f.Rule))
		details = append(details, f.Summary+" ("+f.Detail+")")
	}
	sum := "containment of " + s.Name + " lifted " + byWhom(rec) + " (" + liftedTo(rec) + "); selfguard contained it at " +
		stamp(contained.Time) + " and its finding still holds (" + strings.Join(uniq(reasons), ", ") + ")"
	lifted := fnFinding(s, rules.ContainmentLifted, sum, strings.Join(details, "; ")+"; "+eventDetail(rec))
	d := finding.Decision{Findings: append(rest, lifted)}
	answered := false
	for _, a := range level.Actions {
		if a.Resource == s.Name && (a.Kind == rules.ActionContain || a.Kind == rules.ActionRestoreCode || a.Kind == rules.ActionRestoreConfiguration) {
			a.For = []finding.RuleID{rules.ContainmentLifted}
			answered = true
		}
		d.Actions = append(d.Actions, a)
	}
	if !answered {
		d.Actions = append(d.Actions, contain(s, []finding.RuleID{rules.ContainmentLifted}, "its containment was lifted while its finding holds"))
	}
	return d
}

func liftedTo(rec cloudtrail.Record) string {
	if n := requestOf(rec).ReservedConcurrentExecutions; rec.Operation() == cloudtrail.PutFunctionConcurrency && n != nil {
		return "reserved concurrency set to " + strconv.Itoa(int(*n))
	}
	return "reserved concurrency removed"
}

// versionsNote names the untrusted versions the snapshot lists, split into
// those published since the event and those from before; "" if the
// versions were not listed or none is untrusted.
func versionsNote(s snapshot.Snapshot, since time.Time, cfg settings.Settings) string {
	if !s.VersionsListed {
		return ""
	}
	var during, before []string
	verdicts := Verdicts(s, cfg)
	for _, v := range sortedVersions(s) {
		c := s.Versions[v]
		if c.PackageType == snapshot.PackageImage {
			continue
		}
		verdict := verdicts[v]
		if verdict.Trusted {
			continue
		}
		what := "version " + v + " (" + verdict.Why + ")"
		if verdict.Rule == rules.UnsignedCode {
			what = "unsigned version " + v
		}
		if t, err := time.Parse(snapshot.LastModifiedFormat, c.LastModified); err == nil && !t.Before(since.Truncate(time.Second)) {
			during = append(during, what)
		} else {
			before = append(before, what)
		}
	}
	var parts []string
	if len(during) > 0 {
		parts = append(parts, strings.Join(during, ", ")+" published meanwhile")
	}
	if len(before) > 0 {
		parts = append(parts, strings.Join(before, ", ")+" published before")
	}
	if len(parts) == 0 {
		return "; no untrusted version published"
	}
	return "; " + strings.Join(parts, "; ")
}

func cscNow(s snapshot.Snapshot) string {
	if !s.CSCRead {
		return "its code signing config was not read"
	}
	if s.CSC == nil {
		return "still detached"
	}
	return "attached again since (" + s.CSC.ARN + ")"
}

func byWhom(rec cloudtrail.Record) string {
	return "by " + orNone(rec.UserIdentity.Actor()) + " at " + stamp(rec.EventTime)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

func eventDetail(rec cloudtrail.Record) string {
	return fmt.Sprintf("event %s (%s) by %s from %s", rec.EventName, orNone(rec.EventID), orNone(rec.UserIdentity.IssuerARN()), orNone(rec.SourceIPAddress))
}

// has reports whether the decision has a finding of one of ids on the
// function (or on one of its layers).
func has(d finding.Decision, fn string, ids ...finding.RuleID) bool {
	for _, f := range d.Findings {
		if onFunction(f, fn) && containsRule(ids, f.Rule) {
			return true
		}
	}
	return false
}

func hasRule(d finding.Decision, ids ...finding.RuleID) bool {
	for _, f := range d.Findings {
		if containsRule(ids, f.Rule) {
			return true
		}
	}
	return false
}

func onFunction(f finding.Finding, fn string) bool {
	return f.Resource == fn || strings.HasPrefix(f.Resource, fn+"/")
}

func containsRule(ids []finding.RuleID, id finding.RuleID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func uniq(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
