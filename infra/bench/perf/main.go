// Command perf runs selfguard's performance figures end to end and prints
// them as Markdown (docs/performance.md quotes its output). It builds the
// bootstraps as SAM does, starts moto (SNS, DynamoDB) and the selfguard
// emulator (Lambda, CodeCommit, CodeGuru), runs the bootstraps under the
// Lambda Runtime Interface Emulator and a boto3 peer beside them, and
// measures as ratios inside one run. `make bench` runs it.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/selfguard/selfguard/infra/bench"
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/ledger"
)

const (
	account     = "111122223333"
	region      = "eu-west-1"
	cscID       = "csc-0123456789abcdef0"
	cscARN      = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + cscID
	trusted     = "arn:aws:signer:" + region + ":" + account + ":/signing-profiles/release"
	table       = "selfguard-ledger"
	fnName      = "pay"
	lambdaFlags = "-s -w -buildid="
)

var target = bench.Target{Account: account, Region: region, Function: fnName, Alias: "prod", Repository: "payments",
	ActorARN: "arn:aws:iam::" + account + ":role/ci-deployer"}

type options struct {
	cold, warm, peer int
	latency          time.Duration
	gap              time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.cold, "cold", 20, "cold-start rounds (each starts every bootstrap once)")
	flag.IntVar(&o.warm, "warm", 30, "warm invocations per event-to-action scenario")
	flag.IntVar(&o.peer, "peer", 10, "rounds of the boto3 peer against the Go guard")
	flag.DurationVar(&o.latency, "latency", 30*time.Millisecond, "latency the emulator adds to every Lambda call in figure 6")
	flag.DurationVar(&o.gap, "gap", time.Second, "pause between warm invocations (events are sparse; the guard's limiter refills)")
	flag.Parse()
	ctx := context.Background()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

// bed is the local account and the built artifacts.
type bed struct {
	dir      string
	srv      *emulator.Server
	base     string
	moto     *moto.Server
	topicARN string
	guardEnv []string
	boots    map[string]string // name -> host-arch bootstrap
	python   string
}

func run(ctx context.Context, o options, out io.Writer) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "selfguard-perf-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	b := &bed{dir: dir, boots: map[string]string{}}

	step := func(s string) { fmt.Fprintf(os.Stderr, "perf: %s\n", s) }
	step("building bootstraps (host " + goruntime.GOARCH + " to run, arm64 to size)")
	sizes, err := b.build(ctx, root)
	if err != nil {
		return err
	}
	if b.python, err = pythonPath(); err != nil {
		return err
	}
	step("starting moto and the emulator")
	if err := b.start(ctx); err != nil {
		return err
	}
	defer b.moto.Stop()

	fmt.Fprintf(out, "# selfguard performance run\n\n%s, %s/%s, %d CPUs, %s\n\n", time.Now().UTC().Format(time.RFC3339),
		goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU(), goruntime.Version())

	step("figure 1: cold start")
	if err := b.coldStart(ctx, o, out); err != nil {
		return err
	}
	step("figure 1: init trace")
	if err := b.initTrace(ctx, out); err != nil {
		return err
	}
	step("figure 2: boto3 peer")
	if err := b.peer(ctx, o, out); err != nil {
		return err
	}
	step("figure 4: calls per event")
	rss, err := b.calls(ctx, out)
	if err != nil {
		return err
	}
	step("figure 5: memory and size")
	fmt.Fprintf(out, "## 5. Memory and size\n\n| artifact | peak RSS | bootstrap (arm64) | zip (arm64) |\n|---|---|---|---|\n")
	for _, n := range []string{"hello", "lambda-guard", "repo-guard"} {
		r := "-"
		if v, ok := rss[n]; ok {
			r = mb(v)
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", n, r, mb(sizes[n][0]), mb(sizes[n][1]))
	}
	fmt.Fprintln(out, "\nPeak RSS is VmHWM of the bootstrap after every event kind of figure 4 ran through it, duplicates included.")
	fmt.Fprintln(out)
	step("figures 6 and 7: event to action, cost")
	return b.eventToAction(ctx, o, out)
}

func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = parent
	}
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

// build makes host-arch bootstraps to run and arm64 ones to size, the
// guards through the Makefile's SAM targets, hello with the same flags.
// sizes maps a name to {bootstrap bytes, zip bytes}.
func (b *bed) build(ctx context.Context, root string) (map[string][2]int64, error) {
	sizes := map[string][2]int64{}
	guards := map[string]string{"lambda-guard": "LambdaGuardFunction", "repo-guard": "RepoGuardFunction"}
	for _, arch := range []string{goruntime.GOARCH, "arm64"} {
		for name, logical := range guards {
			outDir := filepath.Join(b.dir, arch, name)
			cmd := exec.CommandContext(ctx, "make", "-s", "build-"+logical, "ARTIFACTS_DIR="+outDir, "GOARCH="+arch)
			cmd.Dir = root
			if msg, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("make build-%s GOARCH=%s: %w: %s", logical, arch, err, msg)
			}
			if arch == goruntime.GOARCH {
				b.boots[name] = filepath.Join(outDir, "bootstrap")
			}
		}
		outDir := filepath.Join(b.dir, arch, "hello")
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", lambdaFlags,
			"-o", filepath.Join(outDir, "bootstrap"), "./infra/bench/hello")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build hello GOARCH=%s: %w: %s", arch, err, msg)
		}
		if arch == goruntime.GOARCH {
			b.boots["hello"] = filepath.Join(outDir, "bootstrap")
		}
	}
	for _, name := range []string{"hello", "lambda-guard", "repo-guard"} {
		p := filepath.Join(b.dir, "arm64", name, "bootstrap")
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("size %s: %w", name, err)
		}
		z, err := zipSize(p)
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

func (b *bed) start(ctx context.Context) error {
	m, err := moto.Start(ctx)
	if err != nil {
		return fmt.Errorf("start moto: %w", err)
	}
	b.moto = m
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}, nil
	})
	topic, err := sns.New(sns.Options{Region: region, BaseEndpoint: aws.String(m.URL), Credentials: creds}).
		CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("selfguard-alerts")})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	b.topicARN = aws.ToString(topic.TopicArn)
	if _, err := dynamodb.New(dynamodb.Options{Region: region, BaseEndpoint: aws.String(m.URL), Credentials: creds}).
		CreateTable(ctx, ledger.CreateTableInput(table)); err != nil {
		return fmt.Errorf("create ledger table: %w", err)
	}
	b.srv = emulator.New(account, region)
	base, _, err := b.srv.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	b.base = base
	var guardActor awsproto.Actor
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == emulator.ActorGuard {
			guardActor = a
		}
	}
	b.guardEnv = append(emulator.SDKEnv(base, region, guardActor), m.Env()...)
	b.guardEnv = append(b.guardEnv,
		"SELFGUARD_MODE=enforce",
		"SELFGUARD_TRUSTED_PROFILES="+trusted,
		"SELFGUARD_CODE_SIGNING_CONFIG_ARN="+cscARN,
		"SELFGUARD_GUARD_ROLE_ARNS=arn:aws:iam::"+account+":role/"+emulator.GuardRoleName,
		"SELFGUARD_GUARD_FUNCTIONS=selfguard-lambda-guard", // the emulator's guard session
		"SELFGUARD_TOPIC_ARN="+b.topicARN,
		"SELFGUARD_LEDGER_TABLE="+table,
	)
	return nil
}

// Variants of a code update.
const (
	variantRevert  = "revert"  // unsigned $LATEST, signed versions to go back to
	variantContain = "contain" // unsigned $LATEST, nothing signed to go back to
	variantGood    = "good"    // a signed deploy: nothing to do
)

// world is the account one scenario starts from: function pay in the state
// the event announces (for a CSC detach, the state before it; see prepare).
func world(k bench.Kind, variant string) *emulator.World {
	delay := 50
	signed := func(body string) lambdaemu.CodeWorld {
		return lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": body}, SignedBy: "release"}
	}
	unsigned := func(body string) lambdaemu.CodeWorld {
		return lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": body}}
	}
	fn := lambdaemu.FunctionWorld{Name: fnName, CodeWorld: signed("v2"), CodeSigningConfig: cscID,
		Versions: []lambdaemu.VersionWorld{{CodeWorld: signed("v1")}, {CodeWorld: signed("v2")}},
		Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "2"}}}
	switch k {
	case bench.KindCodeUpdate:
		switch variant {
		case variantRevert:
			fn.CodeWorld = unsigned("backdoor")
		case variantContain:
			fn.CodeWorld = unsigned("backdoor")
			fn.Versions, fn.Aliases = nil, nil
		}
	case bench.KindAliasUpdate:
		fn.CodeWorld = unsigned("backdoor")
		fn.Aliases = []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "$LATEST"}}
	}
	w := &emulator.World{Lambda: lambdaemu.World{
		UpdateDelayMs:      &delay,
		SigningProfiles:    []lambdaemu.ProfileWorld{{Name: "release", Version: "AbCdEf1234"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{{ID: cscID, AllowedPublishers: []string{"release"}, UntrustedArtifactOnDeployment: "Enforce"}},
		Functions:          []lambdaemu.FunctionWorld{fn},
	}}
	w.Repos = repoemu.World{
		Repositories:          []repoemu.Repository{{Name: target.Repository, DefaultBranch: "main"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "selfguard-required-review", Content: approvalContent}},
	}
	if k != bench.KindRepoCreate {
		w.Repos.TemplateAssociations = []repoemu.TemplateAssociation{{Template: "selfguard-required-review", Repository: target.Repository}}
	}
	return w
}

const approvalContent = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],` +
	`"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`

// startFn runs a bootstrap under a fresh RIE.
// prepare loads the scenario's world and makes the change the event
// reports where the world file cannot express its result: a CSC detached
// from signed code keeps the code's signing fields.
func (b *bed) prepare(ctx context.Context, k bench.Kind, variant string) error {
	if err := b.srv.LoadWorld(world(k, variant)); err != nil {
		return fmt.Errorf("load world: %w", err)
	}
	if k != bench.KindCSCDetach {
		return nil
	}
	var admin awsproto.Actor
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == emulator.ActorAdmin {
			admin = a
		}
	}
	c := awslambda.New(awslambda.Options{Region: region, BaseEndpoint: aws.String(b.base),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretKey}, nil
		})})
	if _, err := c.DeleteFunctionCodeSigningConfig(ctx, &awslambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(fnName)}); err != nil {
		return fmt.Errorf("detach csc: %w", err)
	}
	return nil
}

func (b *bed) startFn(ctx context.Context, name string, extraEnv ...string) (*runtime.Function, error) {
	env := append(append([]string{}, b.guardEnv...), extraEnv...)
	return runtime.Start(ctx, runtime.Spec{Name: "selfguard-" + name, Bootstrap: b.boots[name], Env: env})
}

// bootstrapPid is the bootstrap process the RIE started.
func bootstrapPid(f *runtime.Function) int {
	for _, c := range bench.Children(f.Pid()) {
		return c
	}
	return 0
}

func invokeOK(ctx context.Context, f *runtime.Function, payload []byte) error {
	resp, fnErr, err := f.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	if fnErr != "" {
		return fmt.Errorf("%s failed: %s; logs: %s", f.Name, resp, tail(f.Logs(), 2000))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (b *bed) coldStart(ctx context.Context, o options, out io.Writer) error {
	names := []string{"hello", "lambda-guard", "repo-guard"}
	samples := map[string][]time.Duration{}
	probe := bench.Event(bench.KindReadOnly, "cold", target)
	for round := 0; round < o.cold; round++ {
		// Rotate the order so no bootstrap always goes first.
		for i := range names {
			name := names[(i+round)%len(names)]
			f, err := b.startFn(ctx, name)
			if err != nil {
				return err
			}
			t0 := time.Now()
			err = invokeOK(ctx, f, probe)
			d := time.Since(t0)
			f.Stop()
			if err != nil {
				return err
			}
			samples[name] = append(samples[name], d)
		}
	}
	hello := bench.Percentile(samples["hello"], 50)
	fmt.Fprintf(out, "## 1. Cold start (process start to first response, under the RIE)\n\n")
	fmt.Fprintf(out, "%d interleaved rounds; each sample starts a fresh RIE and times the first invocation (the bootstrap starts on it).\n\n", o.cold)
	fmt.Fprintf(out, "| bootstrap | p50 | p90 | min | p50 / hello |\n|---|---|---|---|---|\n")
	for _, n := range names {
		s := samples[n]
		p50 := bench.Percentile(s, 50)
		fmt.Fprintf(out, "| %s | %s | %s | %s | %.2f× |\n", n, ms(p50), ms(bench.Percentile(s, 90)), ms(bench.Percentile(s, 0)),
			float64(p50)/float64(hello))
	}
	fmt.Fprintln(out)
	return nil
}

// initTrace runs each bootstrap once outside the RIE with
// GODEBUG=inittrace=1: package init runs before main, so the trace is whole
// even though lambda.Start then finds no runtime API and exits.
func (b *bed) initTrace(ctx context.Context, out io.Writer) error {
	fmt.Fprintf(out, "### Package init (GODEBUG=inittrace=1), largest first\n\n")
	for _, name := range []string{"hello", "lambda-guard", "repo-guard"} {
		cmd := exec.CommandContext(ctx, b.boots[name])
		cmd.Env = append(append([]string{"GODEBUG=inittrace=1", "PATH=/usr/bin:/bin"}, b.guardEnv...), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1")
		var stderr bytes.Buffer
		cmd.Stderr, cmd.Stdout = &stderr, io.Discard
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("init trace %s: %w", name, err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		costs := bench.ParseInitTrace(&stderr)
		var bytesTotal int64
		for _, c := range costs {
			bytesTotal += c.Bytes
		}
		fmt.Fprintf(out, "%s: %d packages, %s in init, %s allocated.\n\n", name, len(costs), ms(bench.TotalInit(costs)), mb(bytesTotal))
		if name == "hello" {
			continue
		}
		fmt.Fprintf(out, "| package | clock | bytes | allocs |\n|---|---|---|---|\n")
		for i, c := range costs {
			if i == 8 {
				break
			}
			fmt.Fprintf(out, "| %s | %s | %d | %d |\n", c.Package, ms(c.Clock), c.Bytes, c.Allocs)
		}
		fmt.Fprintln(out)
	}
	return nil
}

// watch starts timing the first write of one of ops in the trail, as it is
// recorded (not when the caller looks); the returned function waits for it.
func watch(ctx context.Context, ch <-chan awsproto.Event, ops ...cloudtrail.Operation) func() (time.Time, error) {
	type result struct {
		at  time.Time
		err error
	}
	done := make(chan result, 1)
	go func() {
		timeout := time.After(60 * time.Second)
		for {
			select {
			case e := <-ch:
				at := time.Now()
				_, rec, err := cloudtrail.ParseEnvelope(e.Event)
				if err != nil {
					continue
				}
				for _, op := range ops {
					if rec.Operation() == op {
						done <- result{at: at}
						return
					}
				}
			case <-timeout:
				done <- result{err: fmt.Errorf("no %v in the trail within 60s", ops)}
				return
			case <-ctx.Done():
				done <- result{err: ctx.Err()}
				return
			}
		}
	}()
	return func() (time.Time, error) { r := <-done; return r.at, r.err }
}

func (b *bed) peer(ctx context.Context, o options, out io.Writer) error {
	script, err := filepath.Abs("infra/bench/peer/guard.py")
	if err != nil {
		return err
	}
	if root, err := repoRoot(); err == nil {
		script = filepath.Join(root, "infra/bench/peer/guard.py")
	}
	var goT, pyT []time.Duration
	var goRSS, pyRSS []int64
	for i := 0; i < o.peer; i++ {
		id := fmt.Sprintf("peer-%d", i)
		payload := bench.Event(bench.KindCodeUpdate, id, target)
		// Go: a fresh environment, so the bootstrap starts with the event.
		if err := b.prepare(ctx, bench.KindCodeUpdate, variantContain); err != nil {
			return err
		}
		f, err := b.startFn(ctx, "lambda-guard")
		if err != nil {
			return err
		}
		ch, cancel := b.srv.Env.Trail.Subscribe(64)
		wait := watch(ctx, ch, cloudtrail.PutFunctionConcurrency)
		t0 := time.Now()
		if err := invokeOK(ctx, f, payload); err != nil {
			cancel()
			f.Stop()
			return err
		}
		at, err := wait()
		cancel()
		if err != nil {
			f.Stop()
			return fmt.Errorf("go guard: %w; logs: %s", err, tail(f.Logs(), 2000))
		}
		goT = append(goT, at.Sub(t0))
		if r, err := bench.PeakRSS(bootstrapPid(f)); err == nil {
			goRSS = append(goRSS, r)
		}
		f.Stop()

		// Python: the same event, the same account state.
		if err := b.prepare(ctx, bench.KindCodeUpdate, variantContain); err != nil {
			return err
		}
		ev := filepath.Join(b.dir, id+".json")
		if err := os.WriteFile(ev, payload, 0o600); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, b.python, script, ev)
		cmd.Env = append(os.Environ(), b.guardEnv...)
		cmd.Env = append(cmd.Env, "AWS_DEFAULT_REGION="+region)
		ch, cancel = b.srv.Env.Trail.Subscribe(64)
		wait = watch(ctx, ch, cloudtrail.PutFunctionConcurrency)
		t0 = time.Now()
		msg, err := cmd.CombinedOutput()
		if err != nil {
			cancel()
			return fmt.Errorf("boto3 peer: %w: %s", err, msg)
		}
		at, err = wait()
		cancel()
		if err != nil {
			return fmt.Errorf("boto3 peer: %w; output: %s", err, msg)
		}
		pyT = append(pyT, at.Sub(t0))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			pyRSS = append(pyRSS, ru.Maxrss*1024)
		}
	}
	g, p := bench.Percentile(goT, 50), bench.Percentile(pyT, 50)
	gr, pr := maxOf(goRSS), maxOf(pyRSS)
	fmt.Fprintf(out, "## 2. Peer: boto3 (Python %s) against the Go guard, same event, same account\n\n", pyVersion(b.python))
	fmt.Fprintf(out, "%d interleaved rounds, process start to PutFunctionConcurrency(0) recorded in the trail.\n\n", o.peer)
	fmt.Fprintf(out, "| | p50 start to action | p90 | peak RSS |\n|---|---|---|---|\n")
	fmt.Fprintf(out, "| selfguard lambda-guard (cold, under the RIE) | %s | %s | %s |\n", ms(g), ms(bench.Percentile(goT, 90)), mb(gr))
	fmt.Fprintf(out, "| boto3 peer (fresh python3 process) | %s | %s | %s |\n", ms(p), ms(bench.Percentile(pyT, 90)), mb(pr))
	fmt.Fprintf(out, "\nselfguard is %.1f× faster and uses %.2f of the peer's peak memory.\n\n", float64(p)/float64(g), float64(gr)/float64(pr))
	return nil
}

func pyVersion(py string) string {
	v, _ := exec.Command(py, "-c", "import sys, boto3; print('%d.%d, boto3 %s' % (sys.version_info[0], sys.version_info[1], boto3.__version__))").Output()
	return strings.TrimSpace(string(v))
}

func maxOf(v []int64) int64 {
	var m int64
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// calls runs each event kind once through a warm guard, then the same
// delivery again, and counts the calls per operation and bucket. Monitor
// mode gives the calls needed to decide; enforce the whole handling.
func (b *bed) calls(ctx context.Context, out io.Writer) (map[string]int64, error) {
	fns := map[string]*runtime.Function{}
	for _, n := range []string{"lambda-guard", "repo-guard"} {
		for _, mode := range []string{"enforce", "monitor"} {
			f, err := b.startFn(ctx, n, "SELFGUARD_MODE="+mode)
			if err != nil {
				return nil, err
			}
			defer f.Stop()
			fns[n+"/"+mode] = f
		}
	}
	type scen struct {
		name    string
		kind    bench.Kind
		variant string
	}
	scens := []scen{
		{"code update, signed (nothing to do)", bench.KindCodeUpdate, variantGood},
		{"code update, revert to signed version", bench.KindCodeUpdate, variantRevert},
		{"code update, contain (no signed version)", bench.KindCodeUpdate, variantContain},
		{"alias update to $LATEST", bench.KindAliasUpdate, ""},
		{"CSC detach", bench.KindCSCDetach, ""},
		{"repository create", bench.KindRepoCreate, ""},
	}
	fmt.Fprintf(out, "## 4. API calls per event (emulator call log)\n\n")
	fmt.Fprintf(out, "Decide = monitor mode (reads only); handle = enforce mode, everything; duplicate = the same delivery again.\n")
	fmt.Fprintf(out, "Buckets: `GetFunction` (100/s), `control` (Lambda's shared 15/s); CodeCommit and CodeGuru have no bucket here.\n\n")
	fmt.Fprintf(out, "| event | decide | handle | by bucket (handle) | by operation (handle) | duplicate |\n|---|---|---|---|---|---|\n")
	for i, s := range scens {
		guardName := "lambda-guard"
		if s.kind == bench.KindRepoCreate {
			guardName = "repo-guard"
		}
		count := func(mode, id string) ([]awsproto.CallStat, []awsproto.CallStat, error) {
			if err := b.prepare(ctx, s.kind, s.variant); err != nil {
				return nil, nil, err
			}
			payload := bench.Event(s.kind, id, target)
			b.srv.Env.Calls.Reset()
			if err := invokeOK(ctx, fns[guardName+"/"+mode], payload); err != nil {
				return nil, nil, err
			}
			first := b.srv.Env.Calls.Stats()
			b.srv.Env.Calls.Reset()
			if err := invokeOK(ctx, fns[guardName+"/"+mode], payload); err != nil {
				return nil, nil, err
			}
			return first, b.srv.Env.Calls.Stats(), nil
		}
		decide, _, err := count("monitor", fmt.Sprintf("calls-m-%d", i))
		if err != nil {
			return nil, err
		}
		handle, dup, err := count("enforce", fmt.Sprintf("calls-e-%d", i))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "| %s | %d | %d | %s | %s | %d |\n", s.name, total(decide), total(handle), byBucket(handle), byOp(handle), total(dup))
	}
	fmt.Fprintln(out)
	rss := map[string]int64{}
	for _, n := range []string{"lambda-guard", "repo-guard"} {
		r, err := bench.PeakRSS(bootstrapPid(fns[n+"/enforce"]))
		if err != nil {
			return nil, err
		}
		rss[n] = r
	}
	h, err := b.startFn(ctx, "hello")
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	if err := invokeOK(ctx, h, []byte(`{}`)); err != nil {
		return nil, err
	}
	if r, err := bench.PeakRSS(bootstrapPid(h)); err == nil {
		rss["hello"] = r
	}
	return rss, nil
}

func total(s []awsproto.CallStat) int64 {
	var n int64
	for _, c := range s {
		n += c.Calls
	}
	return n
}

func byBucket(s []awsproto.CallStat) string {
	m := map[string]int64{}
	for _, c := range s {
		k := c.Bucket
		if k == "" {
			k = c.Service
		}
		m[k] += c.Calls
	}
	return joinCounts(m)
}

func byOp(s []awsproto.CallStat) string {
	m := map[string]int64{}
	for _, c := range s {
		m[c.Operation] += c.Calls
	}
	return joinCounts(m)
}

func joinCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// eventToAction times invoke to the containing call in the trail with the
// emulator adding latency to every Lambda call, warm and cold, and prices
// the warm durations.
func (b *bed) eventToAction(ctx context.Context, o options, out io.Writer) error {
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "lambda", Operation: "*", Latency: o.latency}})
	defer b.srv.Env.Faults.Set(nil)
	type scen struct {
		name    string
		variant string
		op      cloudtrail.Operation // "": no action expected
	}
	scens := []scen{
		{"contain (PutFunctionConcurrency 0)", variantContain, cloudtrail.PutFunctionConcurrency},
		{"revert code (UpdateFunctionCode)", variantRevert, cloudtrail.UpdateFunctionCode},
		{"signed deploy (no action)", variantGood, ""},
	}
	fmt.Fprintf(out, "## 6. Event to action, %s added to every Lambda call\n\n", o.latency)
	fmt.Fprintf(out, "From the invoke to the containing call recorded in the trail; the whole invocation (what Lambda bills) beside it.\n\n")
	fmt.Fprintf(out, "| scenario | warm p50 | warm p99 | cold p50 | cold p99 | warm invocation p50 | warm invocation p99 |\n|---|---|---|---|---|---|---|\n")
	type priced struct {
		name string
		d    time.Duration
	}
	var prices []priced
	cold := max(o.cold/2, 5)
	for _, s := range scens {
		once := func(f *runtime.Function, id string) (time.Duration, time.Duration, error) {
			if err := b.prepare(ctx, bench.KindCodeUpdate, s.variant); err != nil {
				return 0, 0, err
			}
			ch, cancel := b.srv.Env.Trail.Subscribe(64)
			defer cancel()
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			var wait func() (time.Time, error)
			if s.op != "" {
				wait = watch(wctx, ch, s.op)
			}
			t0 := time.Now()
			if err := invokeOK(ctx, f, bench.Event(bench.KindCodeUpdate, id, target)); err != nil {
				return 0, 0, err
			}
			whole := time.Since(t0)
			if s.op == "" {
				return 0, whole, nil
			}
			at, err := wait()
			if err != nil {
				return 0, 0, fmt.Errorf("%s: %w; logs: %s", s.name, err, tail(f.Logs(), 2000))
			}
			return at.Sub(t0), whole, nil
		}
		f, err := b.startFn(ctx, "lambda-guard")
		if err != nil {
			return err
		}
		// The first invocation is the cold one; leave it out of warm.
		if _, _, err := once(f, "warmup-"+s.name); err != nil {
			f.Stop()
			return err
		}
		var warm, whole, coldT []time.Duration
		for i := 0; i < o.warm; i++ {
			// Events are sparse: let the client-side limiter refill, as
			// it has between two deploys.
			time.Sleep(o.gap)
			d, w, err := once(f, fmt.Sprintf("warm-%d-%s", i, s.name))
			if err != nil {
				f.Stop()
				return err
			}
			warm, whole = append(warm, d), append(whole, w)
		}
		f.Stop()
		for i := 0; i < cold; i++ {
			f, err := b.startFn(ctx, "lambda-guard")
			if err != nil {
				return err
			}
			d, _, err := once(f, fmt.Sprintf("cold-%d-%s", i, s.name))
			f.Stop()
			if err != nil {
				return err
			}
			coldT = append(coldT, d)
		}
		row := []string{ms(bench.Percentile(warm, 50)), ms(bench.Percentile(warm, 99)), ms(bench.Percentile(coldT, 50)), ms(bench.Percentile(coldT, 99))}
		if s.op == "" {
			row = []string{"-", "-", "-", "-"}
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", s.name, strings.Join(row, " | "), ms(bench.Percentile(whole, 50)), ms(bench.Percentile(whole, 99)))
		prices = append(prices, priced{s.name, bench.Percentile(whole, 50)})
	}
	fmt.Fprintf(out, "\n(%d warm invocations %s apart, %d cold starts per scenario.)\n\n", o.warm, o.gap, cold)
	p := bench.ARM64USEast1
	fmt.Fprintf(out, "## 7. Cost per million events, 128 MB arm64\n\nAssumed prices: $%.10f per GB-second, $%.2f per million requests.\n\n", p.PerGBSecond, p.PerMillionRequests)
	fmt.Fprintf(out, "| event | billed duration (warm p50) | cost per million |\n|---|---|---|\n")
	for _, x := range prices {
		fmt.Fprintf(out, "| %s | %s | $%.3f |\n", x.name, ms(x.d), p.CostPerMillion(x.d, 128))
	}
	fmt.Fprintln(out)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
