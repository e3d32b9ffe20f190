package decide

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/shellcmd"
)

// Lambda verifies the signature of the code package and its layers, and
// nothing else: the configuration can make signed code load other code.
// These are the environment variables a Lambda runtime, its interpreter or
// the dynamic loader read to load code from elsewhere (docs/threat-model.md
// gives the source of each). A version that sets one, with a value the
// guard's configuration does not list (settings.TrustedLoaderVariables),
// is not trusted.
var loaderVariables = map[string]string{
	// Lambda's own: every managed runtime starts through the wrapper.
	"AWS_LAMBDA_EXEC_WRAPPER": "Lambda starts the runtime through this script",
	// Node.js: --require/--import preload modules; the module search path.
	"NODE_OPTIONS": "Node.js preloads modules named here (--require, --import)",
	"NODE_PATH":    "Node.js resolves modules from these directories",
	// Python: the import path, the standard library's home, warning
	// categories (imported by name), the breakpoint hook and the user site
	// (whose .pth files run at start-up).
	"PYTHONPATH":       "Python imports modules from these directories first",
	"PYTHONHOME":       "Python loads its standard library from here",
	"PYTHONWARNINGS":   "Python imports the module of each warning category named here",
	"PYTHONBREAKPOINT": "Python imports this callable on breakpoint()",
	"PYTHONUSERBASE":   "Python runs the .pth files of this user site at start-up",
	// Java: agents and options every JVM (or the java launcher) reads.
	"JAVA_TOOL_OPTIONS": "the JVM loads agents named here (-javaagent, -agentpath)",
	"JDK_JAVA_OPTIONS":  "the java launcher adds these options (agents, class path)",
	"_JAVA_OPTIONS":     "the JVM adds these options (agents, class path)",
	// .NET: startup hooks, extra dependencies, a native profiler.
	"DOTNET_STARTUP_HOOKS":     ".NET runs these assemblies before Main",
	"DOTNET_ADDITIONAL_DEPS":   ".NET loads the assemblies these deps files list",
	"CORECLR_PROFILER_PATH":    ".NET loads this native profiler",
	"CORECLR_PROFILER_PATH_64": ".NET loads this native profiler",
	// Ruby and Perl: options that require libraries, and library paths.
	"RUBYOPT":  "Ruby requires libraries named here (-r)",
	"RUBYLIB":  "Ruby loads libraries from these directories first",
	"GEM_PATH": "RubyGems loads gems from these directories",
	"GEM_HOME": "RubyGems loads gems from this directory",
	"PERL5OPT": "Perl loads modules named here (-M)",
	"PERL5LIB": "Perl loads modules from these directories first",
	"PERLLIB":  "Perl loads modules from these directories first",
	"PERL5DB":  "Perl runs this debugger code",
	// The shell and the dynamic loader, for custom runtimes and anything
	// a runtime executes.
	"BASH_ENV":        "bash runs this file before a script",
	"LD_PRELOAD":      "the dynamic loader loads these libraries into every process",
	"LD_LIBRARY_PATH": "the dynamic loader finds libraries here first",
	"LD_AUDIT":        "the dynamic loader loads these auditing libraries",
	"GCONV_PATH":      "glibc loads character conversion modules from here",
	"OPENSSL_CONF":    "OpenSSL reads this configuration, which can load engines and providers",
	"PATH":            "executables the runtime and the code start are found here first",
}

// IsLoaderVariable reports whether name is an environment variable that
// makes a runtime load code from elsewhere.
func IsLoaderVariable(name string) bool {
	_, ok := loaderVariables[name]
	return ok
}

// Loaders returns the loader variables a version sets, name to value.
func Loaders(c snapshot.Code) map[string]string {
	var out map[string]string
	for k, v := range c.Environment {
		if IsLoaderVariable(k) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// ConfigVerdict judges what a version's environment makes the runtime
// load: every loader variable must be listed, with its value, in the
// guard's configuration, and the environment must be readable.
func ConfigVerdict(c snapshot.Code, cfg settings.Settings) Verdict {
	if c.PackageType == snapshot.PackageImage {
		return Verdict{Trusted: true}
	}
	if c.EnvironmentError != "" {
		return Verdict{Rule: rules.LoaderVariable, Why: "one whose environment the guard cannot read (" + c.EnvironmentError + ")"}
	}
	var bad []string
	for _, n := range sortedKeys(Loaders(c)) {
		if !cfg.LoaderVariableTrusted(n, c.Environment[n]) {
			bad = append(bad, n+"="+c.Environment[n])
		}
	}
	if len(bad) > 0 {
		return Verdict{Rule: rules.LoaderVariable, Why: "set to load other code: loader variable " + strings.Join(bad, ", ")}
	}
	return Verdict{Trusted: true}
}

// LayerTrust judges one layer of a function of account own: its
// signature, then the account it comes from.
func LayerTrust(l snapshot.Layer, own string, cfg settings.Settings) Verdict {
	if v := LayerVerdict(l, cfg); !v.Trusted {
		return v
	}
	if acct := l.Account(); !cfg.LayerAccountTrusted(acct, own) {
		return Verdict{Rule: rules.ForeignLayer, Why: "using layer " + l.ARN + " of account " + acct + ", which is not trusted for layers"}
	}
	return Verdict{Trusted: true}
}

// Verdicts judges every published version the snapshot holds, oldest
// first: its code, its layers (signature and account), its loader
// variables, and its handler and runtime against the newest trusted version
// before it. The oldest trusted version sets the handler and runtime the
// later ones must keep; a runtime's newer release of the same language
// (nodejs18.x → nodejs20.x) is no drift, since the same handler then enters
// the same code.
func Verdicts(s snapshot.Snapshot, cfg settings.Settings) map[string]Verdict {
	vs := make([]string, 0, len(s.Versions))
	for v := range s.Versions {
		if v != snapshot.Latest {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return snapshot.VersionLess(vs[i], vs[j]) })
	out := make(map[string]Verdict, len(vs))
	var base *snapshot.Code
	for _, v := range vs {
		c := s.Versions[v]
		c.Version = v
		verdict := ownVerdict(c, s.Account, cfg)
		if verdict.Trusted && base != nil {
			if why := drift(c, *base); why != "" {
				verdict = Verdict{Rule: rules.HandlerDrift, Why: why + " (version " + base.Version + "'s)"}
			}
		}
		if verdict.Trusted {
			b := c
			base = &b
		}
		out[v] = verdict
	}
	return out
}

// ownVerdict judges what a version holds on its own: code, layers and
// loader variables.
func ownVerdict(c snapshot.Code, account string, cfg settings.Settings) Verdict {
	if v := CodeVerdict(c, cfg); !v.Trusted {
		return v
	}
	for _, l := range c.Layers {
		if v := LayerTrust(l, account, cfg); !v.Trusted {
			return v
		}
	}
	return ConfigVerdict(c, cfg)
}

// drift says how c's handler or runtime differs from base's, or "".
func drift(c, base snapshot.Code) string {
	if c.PackageType == snapshot.PackageImage || base.PackageType == snapshot.PackageImage {
		return ""
	}
	switch {
	case c.Handler != base.Handler:
		return fmt.Sprintf("entered by handler %q, not %q", c.Handler, base.Handler)
	case RuntimeFamily(c.Runtime) != RuntimeFamily(base.Runtime):
		return fmt.Sprintf("run by runtime %s, not %s", orNone(c.Runtime), orNone(base.Runtime))
	}
	return ""
}

// RuntimeFamily is a runtime's language without its release:
// "nodejs20.x" → "nodejs", "python3.12" → "python", "provided.al2023" →
// "provided".
func RuntimeFamily(r string) string {
	i := 0
	for i < len(r) && (r[i] >= 'a' && r[i] <= 'z' || r[i] >= 'A' && r[i] <= 'Z') {
		i++
	}
	return r[:i]
}

// newestTrusted returns the newest published version Verdicts trusts.
func newestTrusted(s snapshot.Snapshot, cfg settings.Settings) (snapshot.Code, bool) {
	var best snapshot.Code
	found := false
	for v, verdict := range Verdicts(s, cfg) {
		if !verdict.Trusted {
			continue
		}
		if !found || snapshot.VersionLess(best.Version, v) {
			best, found = s.Versions[v], true
			best.Version = v
		}
	}
	return best, found
}

// latestJudgement is what decide concluded about $LATEST.
type latestJudgement struct {
	findings []finding.Finding
	actions  []finding.Action
	// needsTarget says a repair needs the version list, not read yet.
	needsTarget bool
}

// judgeLatest judges $LATEST's code, layers and configuration, and plans
// one repair from the newest trusted version (or containment without one).
func judgeLatest(s snapshot.Snapshot, cfg settings.Settings, target snapshot.Code, haveTarget bool) latestJudgement {
	var j latestJudgement
	var codeRules, otherRules []finding.RuleID
	fn := s.Name
	if v := CodeVerdict(s.Latest, cfg); !v.Trusted {
		sum := "unsigned code in $LATEST"
		if signedRule(v.Rule) {
			sum = "$LATEST code " + v.Why
		}
		j.findings = append(j.findings, fnFinding(s, v.Rule, sum, detailCode(s.Latest)))
		codeRules = append(codeRules, v.Rule)
	}
	for _, l := range s.Latest.Layers {
		v := LayerTrust(l, s.Account, cfg)
		if v.Trusted {
			continue
		}
		sum := v.Why + " (in $LATEST)"
		acct := l.Account()
		switch {
		case v.Rule == rules.ForeignLayer:
			sum = "layer " + l.ARN + " in $LATEST comes from account " + acct + ", which is not trusted for layers"
		case !cfg.LayerAccountTrusted(acct, s.Account):
			// One finding for one layer: its signature is what matters most.
			sum = v.Why + ", from account " + acct + " (in $LATEST)"
		}
		f := fnFinding(s, v.Rule, sum, detailLayer(l))
		f.ResourceType, f.Resource, f.ARN = finding.ResourceLayer, layerResource(fn, s.Account, l.ARN), l.ARN
		j.findings = append(j.findings, f)
		otherRules = appendOnce(otherRules, v.Rule)
	}
	unreadable := false
	if v := ConfigVerdict(s.Latest, cfg); !v.Trusted {
		unreadable = s.Latest.EnvironmentError != ""
		j.findings = append(j.findings, fnFinding(s, rules.LoaderVariable, "$LATEST "+loaderSummary(s.Latest, v),
			loaderDetail(s.Latest, target, haveTarget)))
		otherRules = appendOnce(otherRules, rules.LoaderVariable)
	}
	if haveTarget {
		if why := drift(s.Latest, target); why != "" {
			j.findings = append(j.findings, fnFinding(s, rules.HandlerDrift,
				"$LATEST is "+why+" (newest trusted version "+target.Version+"'s)",
				fmt.Sprintf("$LATEST handler %q runtime %s; version %s handler %q runtime %s",
					s.Latest.Handler, orNone(s.Latest.Runtime), target.Version, target.Handler, orNone(target.Runtime))))
			otherRules = appendOnce(otherRules, rules.HandlerDrift)
		}
	}
	all := append(append([]finding.RuleID(nil), codeRules...), otherRules...)
	if len(all) == 0 {
		return j
	}
	j.needsTarget = !s.VersionsListed && !remembered(s, target, haveTarget)
	switch {
	case unreadable:
		j.actions = append(j.actions, contain(s, all, "its environment cannot be read, so what its runtime loads is unknown; "+
			"let the guard's roles decrypt with key "+orNone(s.Latest.KMSKeyARN)+" through Lambda"))
	case haveTarget && len(codeRules) > 0:
		j.actions = append(j.actions, fromMemory(withConfiguration(restoreCode(s, target, all), s, target), s, target))
	case haveTarget:
		j.actions = append(j.actions, fromMemory(restoreConfiguration(s, target, all), s, target))
	default:
		j.actions = append(j.actions, contain(s, all, "no trusted published version to restore"))
	}
	return j
}

func loaderSummary(c snapshot.Code, v Verdict) string {
	if c.EnvironmentError != "" {
		return "environment cannot be read: what its runtime loads is unknown"
	}
	return "is " + v.Why
}

func loaderDetail(c snapshot.Code, target snapshot.Code, haveTarget bool) string {
	if c.EnvironmentError != "" {
		return "Lambda answered " + c.EnvironmentError + " for environment encrypted with key " + orNone(c.KMSKeyARN)
	}
	var parts []string
	for _, n := range sortedKeys(Loaders(c)) {
		p := n + ": " + loaderVariables[n]
		if haveTarget {
			if tv, ok := target.Environment[n]; ok {
				p += fmt.Sprintf(" (version %s: %s)", target.Version, tv)
			} else {
				p += fmt.Sprintf(" (version %s: unset)", target.Version)
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// ParamConfiguration, on a restore of code, says the configuration is to
// be restored too, after the code ("1").
const ParamConfiguration = "configuration"

// configChange is what a restore changes in $LATEST's configuration and
// the values it replaces.
type configChange struct {
	handler, runtime *[2]string // previous, restored
	layers           *[2][]string
	// loaders maps each loader variable that changes to its previous
	// value, nil where $LATEST did not set it.
	loaders map[string]*string
}

func (c configChange) empty() bool {
	return c.handler == nil && c.runtime == nil && c.layers == nil && len(c.loaders) == 0
}

func changeOf(latest, target snapshot.Code) configChange {
	var c configChange
	if latest.Handler != target.Handler {
		c.handler = &[2]string{latest.Handler, target.Handler}
	}
	if latest.Runtime != target.Runtime {
		c.runtime = &[2]string{latest.Runtime, target.Runtime}
	}
	prev, next := layerARNs(latest.Layers), layerARNs(target.Layers)
	if strings.Join(prev, ",") != strings.Join(next, ",") {
		c.layers = &[2][]string{prev, next}
	}
	have, want := Loaders(latest), Loaders(target)
	for n, v := range have {
		if tv, ok := want[n]; !ok || tv != v {
			if c.loaders == nil {
				c.loaders = map[string]*string{}
			}
			v := v
			c.loaders[n] = &v
		}
	}
	for n := range want {
		if _, ok := have[n]; !ok {
			if c.loaders == nil {
				c.loaders = map[string]*string{}
			}
			c.loaders[n] = nil
		}
	}
	return c
}

// summary says what the restore changes, in words.
func (c configChange) summary() string {
	var parts []string
	if c.layers != nil {
		parts = append(parts, "layers "+orNone(strings.Join(c.layers[0], " "))+" → "+orNone(strings.Join(c.layers[1], " ")))
	}
	if c.handler != nil {
		parts = append(parts, fmt.Sprintf("handler %q → %q", c.handler[0], c.handler[1]))
	}
	if c.runtime != nil {
		parts = append(parts, "runtime "+orNone(c.runtime[0])+" → "+orNone(c.runtime[1]))
	}
	for _, n := range sortedKeys(c.loaders) {
		if c.loaders[n] == nil {
			parts = append(parts, "loader variable "+n+" set back")
		} else {
			parts = append(parts, "loader variable "+n+"="+*c.loaders[n]+" removed or set back")
		}
	}
	return strings.Join(parts, "; ")
}

// undo is the command that puts back exactly the values the restore
// replaced: the previous handler, runtime and layers, and the previous
// loader variables merged into whatever the environment holds by then
// (the other variables are not echoed into an alert: they may be secrets).
func (c configChange) undo(region, fn string) string {
	if c.empty() {
		return ""
	}
	in := ""
	if region != "" {
		in = " --region " + shellcmd.Quote(region)
	}
	cmd := "aws lambda update-function-configuration --function-name " + shellcmd.Quote(fn) + in
	if c.handler != nil {
		cmd += " --handler " + shellQuote(c.handler[0])
	}
	if c.runtime != nil {
		cmd += " --runtime " + shellQuote(c.runtime[0])
	}
	if c.layers != nil {
		if len(c.layers[0]) == 0 {
			cmd += ` --cli-input-json '{"Layers":[]}'`
		} else {
			cmd += " --layers " + shellcmd.Join(c.layers[0]...)
		}
	}
	if len(c.loaders) > 0 {
		set := map[string]string{}
		drop := []string{}
		for n, v := range c.loaders {
			if v == nil {
				drop = append(drop, n)
			} else {
				set[n] = *v
			}
		}
		sort.Strings(drop)
		setJSON, _ := json.Marshal(set)
		dropJSON, _ := json.Marshal(drop)
		cmd += ` --environment "$(aws lambda get-function-configuration --function-name ` + shellcmd.Quote(fn) + in +
			` --query Environment.Variables --output json | jq -c --argjson set ` + shellQuote(string(setJSON)) +
			` --argjson drop ` + shellQuote(string(dropJSON)) +
			` '{Variables: ((. // {}) + $set | delpaths([$drop[] | [.]]))}')"`
	}
	return cmd
}

func restoreConfiguration(s snapshot.Snapshot, t snapshot.Code, ids []finding.RuleID) finding.Action {
	fn := s.Name
	ch := changeOf(s.Latest, t)
	return finding.Action{
		Kind: rules.ActionRestoreConfiguration, For: ids, Resource: fn, Done: rules.Done(rules.ActionRestoreConfiguration),
		Params: map[string]string{
			ParamFunction: fn, ParamVersion: t.Version, ParamRevisionID: s.Latest.RevisionID, ParamReserved: reserved(s),
			ParamPreviousLayers: strings.Join(layerARNs(s.Latest.Layers), ","), ParamRegion: regionOf(s),
		},
		Summary: fmt.Sprintf("restore the configuration of trusted version %s on %s $LATEST (%s); if that fails or cannot be verified, stop all invocations instead",
			t.Version, fn, orNone(ch.summary())),
		Undo: orDefault(ch.undo(regionOf(s), fn), "true  # nothing to undo") + "  # if the function was contained instead: " + ContainActionIn(regionOf(s), fn, reserved(s), nil, "").Undo,
	}
}

// withConfiguration extends a code restore to the configuration of the
// same trusted version, as one repair.
func withConfiguration(a finding.Action, s snapshot.Snapshot, t snapshot.Code) finding.Action {
	ch := changeOf(s.Latest, t)
	if ch.empty() {
		return a
	}
	a.Params[ParamConfiguration] = "1"
	a.Params[ParamPreviousLayers] = strings.Join(layerARNs(s.Latest.Layers), ",")
	a.Summary = fmt.Sprintf("restore trusted version %s into %s $LATEST: its code (replacing sha256 %s), then its configuration (%s); if it cannot be restored and trusted, stop all invocations instead",
		t.Version, s.Name, orNone(s.Latest.CodeSha256), ch.summary())
	a.Undo = ch.undo(regionOf(s), s.Name) + " && " + a.Undo
	return a
}

func layerARNs(ls []snapshot.Layer) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.ARN)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shellQuote quotes s for a POSIX shell: the values come from whoever
// changed the function, and a person may paste the command.
func shellQuote(s string) string { return shellcmd.Quote(s) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ConfigurationChange says what restoring target's configuration on
// latest changes, in words, and the command that puts back exactly the
// values it replaces; both are empty when nothing differs.
func ConfigurationChange(fn string, latest, target snapshot.Code) (summary, undo string) {
	return ConfigurationChangeIn("", fn, latest, target)
}

// ConfigurationChangeIn is ConfigurationChange for a function in region,
// which its undo command names.
func ConfigurationChangeIn(region, fn string, latest, target snapshot.Code) (summary, undo string) {
	ch := changeOf(latest, target)
	return ch.summary(), ch.undo(region, fn)
}

// SameConfiguration reports whether latest runs target's layers, handler,
// runtime and loader variables.
func SameConfiguration(latest, target snapshot.Code) bool { return changeOf(latest, target).empty() }

// Weak reports whether a code signing config fails to protect: it only
// warns, or allows a publisher that is not trusted.
func Weak(c snapshot.CodeSigningConfig, cfg settings.Settings) bool { return len(weakness(c, cfg)) > 0 }
