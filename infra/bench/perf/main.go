// Command perf runs selfguard's performance figures end to end and prints
// them as Markdown (docs/performance.md quotes its output), and writes them
// as JSON, one file per run (docs/bench/<date>-<commit>.json), with a
// comparison against the previous run. It builds the bootstraps as SAM does
// and runs them under the Lambda Runtime Interface Emulator with the
// environment template.yaml gives them at its parameters' defaults
// (infra/testbed resolves it; only the deploy choices in deployParameters
// are set), against moto (SNS, DynamoDB) and the selfguard emulator
// (Lambda, CodeCommit, CodeGuru), with a boto3 peer beside them, and
// measures as ratios inside one run. `make bench` runs it.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/bench"
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/infra/testbed"
)

const (
	account     = testbed.Account
	region      = testbed.Region
	cscID       = "csc-0123456789abcdef0"
	cscARN      = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + cscID
	trusted     = "arn:aws:signer:" + region + ":" + account + ":/signing-profiles/release"
	fnName      = "pay"
	lambdaFlags = "-s -w -buildid="
)

// The template's logical ids of the guards measured.
const (
	idLambdaGuard = "LambdaGuardFunction"
	idRepoGuard   = "RepoGuardFunction"
)

// deployParameters are the choices a deployer must make for the guard to
// act at all (enforce mode, whom to trust, the config to attach); every
// other parameter (LambdaRate, GuardConcurrency, ...) keeps template.yaml's
// default, so the figures are those of the guard as deployed.
var deployParameters = map[string]string{
	"Mode":                      "enforce",
	"TrustedSigningProfileArns": trusted,
	"CodeSigningConfigArn":      cscARN,
}

var target = bench.Target{Account: account, Region: region, Function: fnName, Alias: "prod", Repository: "payments",
	ActorARN: "arn:aws:iam::" + account + ":role/ci-deployer"}

type options struct {
	cold, warm, peer int
	latency          time.Duration
	gap              time.Duration
	runs             string // directory of the JSON runs; "" writes none
	only             string // comma-separated figure keys; "" runs all
	// extra are further lambda-guard builds in the cold-start figure
	// (name=bootstrap), to compare a change to the build or the code.
	extra     []string
	extraBoot map[string]string
}

func main() {
	var o options
	flag.IntVar(&o.cold, "cold", 20, "cold-start rounds (each starts every bootstrap once)")
	flag.IntVar(&o.warm, "warm", 30, "warm invocations per event-to-action scenario")
	flag.IntVar(&o.peer, "peer", 10, "rounds of the attacker's window: the guard cold and warm against the boto3 peer")
	flag.DurationVar(&o.latency, "latency", 30*time.Millisecond, "latency the emulator adds to every Lambda call in figure 6")
	flag.DurationVar(&o.gap, "gap", time.Second, "pause between warm invocations (events are sparse; the guard's limiter refills)")
	flag.StringVar(&o.runs, "runs", "docs/bench", "directory (from the repository root) of the JSON runs; empty: write none")
	flag.StringVar(&o.only, "only", "", "run only these figures (comma-separated: cold,init,window,calls,latency); writes no JSON")
	var extra string
	flag.StringVar(&extra, "extra", "", "further lambda-guard bootstraps in the cold-start figure, name=path,... (writes no JSON)")
	flag.Parse()
	o.extraBoot = map[string]string{}
	for _, kv := range strings.Split(extra, ",") {
		if name, path, ok := strings.Cut(kv, "="); ok {
			o.extra, o.extraBoot[name] = append(o.extra, name), path
			o.runs = ""
		}
	}
	if o.only != "" {
		o.runs = ""
	}
	ctx := context.Background()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

// bed is the local account and the built artifacts.
type bed struct {
	dir    string
	root   string
	tb     *testbed.Bed
	srv    *emulator.Server
	specs  map[string]runtime.Spec // name -> how it runs (host-arch bootstrap, template environment)
	python string
	rec    *bench.Run
}

func run(ctx context.Context, o options, out io.Writer) error {
	root, err := testbed.FindRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "selfguard-perf-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	b := &bed{dir: dir, root: root, specs: map[string]runtime.Spec{}, rec: newRun(ctx, root, o)}

	step := func(s string) { fmt.Fprintf(os.Stderr, "perf: %s\n", s) }
	if b.python, err = pythonPath(); err != nil {
		return err
	}
	step("starting moto and the emulator; building the guards as SAM does (host " + goruntime.GOARCH + ")")
	if err := b.start(ctx, root); err != nil {
		return err
	}
	for name, path := range o.extraBoot {
		spec := b.specs["lambda-guard"]
		spec.Name, spec.Bootstrap = name, path
		b.specs[name] = spec
	}
	defer b.tb.Close()
	step("building arm64 bootstraps to size")
	sizes, err := b.build(ctx, root)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "# selfguard performance run\n\n%s, %s/%s, %d CPUs, %s, commit %s; load %.1f per CPU at the start\n\n",
		b.rec.Time.Format(time.RFC3339), goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU(), goruntime.Version(),
		b.rec.Commit, b.rec.Machine.LoadStart)
	fmt.Fprintf(out, "The guards run with template.yaml's environment at its defaults (%s) and %s.\n\n",
		b.envSummary(), paramSummary(deployParameters))

	figures := []struct {
		key, name string
		fn        func() error
	}{
		{"cold", "figure 1: cold start", func() error { return b.coldStart(ctx, o, out) }},
		{"init", "figure 1: init trace", func() error { return b.initTrace(ctx, out) }},
		{"window", "figure 2: the attacker's window against the boto3 peer", func() error { return b.window(ctx, o, out) }},
		{"calls", "figures 4 and 5: calls per event, memory and size", func() error { return b.callsAndSizes(ctx, out, sizes) }},
		{"latency", "figures 6 and 7: event to action with latency, cost", func() error { return b.eventToAction(ctx, o, out) }},
	}
	for _, f := range figures {
		if o.only != "" && !strings.Contains(","+o.only+",", ","+f.key+",") {
			continue
		}
		step(f.name)
		if err := f.fn(); err != nil {
			return err
		}
	}
	return b.finish(root, o, out)
}

// newRun starts the run's record: commit, machine, options.
func newRun(ctx context.Context, root string, o options) *bench.Run {
	r := &bench.Run{Time: time.Now().UTC(), Machine: bench.Machine{
		OS: goruntime.GOOS, Arch: goruntime.GOARCH, CPUs: goruntime.NumCPU(), Go: goruntime.Version(),
		LoadStart: bench.LoadPerCPU(goruntime.NumCPU()),
	}}
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		outp, _ := cmd.Output()
		return strings.TrimSpace(string(outp))
	}
	r.Commit = git("rev-parse", "HEAD")
	r.Dirty = git("status", "--porcelain", "--untracked-files=no") != ""
	r.Options = map[string]string{"cold": fmt.Sprint(o.cold), "warm": fmt.Sprint(o.warm), "peer": fmt.Sprint(o.peer),
		"latency": o.latency.String(), "gap": o.gap.String()}
	for k, v := range deployParameters {
		r.Options["param."+k] = v
	}
	return r
}

// finish writes the run as JSON and the comparison with the previous one.
func (b *bed) finish(root string, o options, out io.Writer) error {
	b.rec.Machine.LoadEnd = bench.LoadPerCPU(goruntime.NumCPU())
	fmt.Fprintf(out, "Load per CPU: %.1f at the start, %.1f at the end.\n\n", b.rec.Machine.LoadStart, b.rec.Machine.LoadEnd)
	if o.runs == "" {
		return nil
	}
	dir := filepath.Join(root, o.runs)
	prev, err := bench.Previous(dir, b.rec.Time)
	if err != nil {
		return err
	}
	p, err := b.rec.Write(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "## This run against the previous one\n\nWritten to %s.\n\n", strings.TrimPrefix(p, root+"/"))
	return bench.Compare(out, b.rec, prev)
}

func pythonPath() (string, error) {
	// The real interpreter, not a pyenv shim: the shim's own start-up
	// would be charged to the peer.
	outp, err := exec.Command("python3", "-c", "import boto3, sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("python3 with boto3 is needed for the peer: %w", err)
	}
	return strings.TrimSpace(string(outp)), nil
}

// start brings the local account up with template.yaml (no function
// running: each figure starts its own) and resolves how each guard runs.
// hello runs with lambda-guard's environment, so it reads the same.
func (b *bed) start(ctx context.Context, root string) error {
	tb, err := testbed.Start(ctx, testbed.Options{Root: root, Parameters: deployParameters, Functions: []string{}})
	if err != nil {
		return err
	}
	b.tb, b.srv = tb, tb.Emulator
	for name, id := range map[string]string{"lambda-guard": idLambdaGuard, "repo-guard": idRepoGuard} {
		spec, err := tb.FunctionSpec(ctx, id)
		if err != nil {
			return err
		}
		b.specs[name] = spec
	}
	hello := b.specs["lambda-guard"]
	hello.Name = "hello"
	hello.Bootstrap, err = buildHello(ctx, root, filepath.Join(b.dir, goruntime.GOARCH), goruntime.GOARCH)
	if err != nil {
		return err
	}
	b.specs["hello"] = hello
	return nil
}

// envSummary names the guard's rate settings as the template resolved them.
func (b *bed) envSummary() string {
	var parts []string
	for _, kv := range b.specs["lambda-guard"].Env {
		if strings.HasPrefix(kv, "SELFGUARD_LAMBDA_RATE=") || strings.HasPrefix(kv, "SELFGUARD_CONCURRENCY=") {
			parts = append(parts, "`"+kv+"`")
		}
	}
	return strings.Join(parts, ", ")
}

func paramSummary(p map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, k+"="+p[k])
	}
	return "the deploy choices " + strings.Join(parts, ", ")
}

// buildHello builds the hello-world bootstrap with the guards' flags.
func buildHello(ctx context.Context, root, dir, arch string) (string, error) {
	out := filepath.Join(dir, "hello", "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", lambdaFlags,
		"-o", out, "./infra/bench/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hello GOARCH=%s: %w: %s", arch, err, msg)
	}
	return out, nil
}

// build makes arm64 bootstraps to size, the guards through the Makefile's
// SAM targets, hello with the same flags. sizes maps a name to {bootstrap
// bytes, zip bytes}.
func (b *bed) build(ctx context.Context, root string) (map[string][2]int64, error) {
	sizes := map[string][2]int64{}
	arm := filepath.Join(b.dir, "arm64")
	paths := map[string]string{}
	for name, logical := range map[string]string{"lambda-guard": idLambdaGuard, "repo-guard": idRepoGuard} {
		outDir := filepath.Join(arm, name)
		cmd := exec.CommandContext(ctx, "make", "-s", "build-"+logical, "ARTIFACTS_DIR="+outDir, "GOARCH=arm64")
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("make build-%s GOARCH=arm64: %w: %s", logical, err, msg)
		}
		paths[name] = filepath.Join(outDir, "bootstrap")
	}
	var err error
	if paths["hello"], err = buildHello(ctx, root, arm, "arm64"); err != nil {
		return nil, err
	}
	for _, name := range []string{"hello", "lambda-guard", "repo-guard"} {
		st, err := os.Stat(paths[name])
		if err != nil {
			return nil, fmt.Errorf("size %s: %w", name, err)
		}
		z, err := zipSize(paths[name])
		if err != nil {
			return nil, err
		}
		sizes[name] = [2]int64{st.Size(), z}
	}
	return sizes, nil
}

// zipSize is the size of the deployment package: the bootstrap alone,
// deflated, executable, as sam build packages it.
func zipSize(bootstrap string) (int64, error) {
	data, err := os.ReadFile(bootstrap)
	if err != nil {
		return 0, fmt.Errorf("zip %s: %w", bootstrap, err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return 0, fmt.Errorf("zip %s: %w", bootstrap, err)
	}
	return int64(buf.Len()), nil
}
