package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/selfguard/selfguard/infra/bench"
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/ledger"
)

// Variants of a code update.
const (
	variantRevert  = "revert"  // unsigned $LATEST, signed versions to go back to
	variantContain = "contain" // unsigned $LATEST, nothing signed to go back to
	variantGood    = "good"    // a signed deploy: nothing to do
)

// functionOf is the function a variant's event is about: a function never
// released for the containment (so the guard remembers no release of it),
// pay otherwise.
func functionOf(variant string) string {
	if variant == variantContain {
		return "fresh"
	}
	return fnName
}

// targetOf is what a variant's event names.
func targetOf(variant string) bench.Target {
	t := target
	t.Function = functionOf(variant)
	return t
}

// forgetRelease makes the guard forget the release it remembers of fn, as
// before it ever saw one published.
func (b *bed) forgetRelease(ctx context.Context, fn string) error {
	l := ledger.NewTable(b.tb.DynamoDB(), b.tb.LedgerName)
	r, ok, err := l.TrustedRelease(ctx, fn)
	if err != nil || !ok {
		return err
	}
	return l.ForgetRelease(ctx, fn, r.Version)
}

// teachRelease has the guard remember version v of fn as its release, as
// if it had seen it published: the world's versions are signed afresh on
// every load, so a release the guard learned before the load is not this
// code any more (and would rightly be found stale).
func (b *bed) teachRelease(ctx context.Context, fn, v string) error {
	out, err := b.tb.Lambda(emulator.ActorAdmin).GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)})
	if err != nil {
		return fmt.Errorf("read the release to teach: %w", err)
	}
	r, err := lambdaguard.ReleaseOf(fn, observe.CodeOf(*out.Configuration))
	if err != nil {
		return err
	}
	l := ledger.NewTable(b.tb.DynamoDB(), b.tb.LedgerName)
	if err := b.forgetRelease(ctx, fn); err != nil {
		return err
	}
	return l.RememberRelease(ctx, r)
}

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
	fn := lambdaemu.FunctionWorld{Name: functionOf(variant), CodeWorld: signed("v2"), CodeSigningConfig: cscID,
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
	c := b.tb.Lambda(emulator.ActorAdmin)
	if _, err := c.DeleteFunctionCodeSigningConfig(ctx, &awslambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(fnName)}); err != nil {
		return fmt.Errorf("detach csc: %w", err)
	}
	return nil
}

// startFn runs a bootstrap under a fresh RIE, as the template deploys it;
// extraEnv is only ever SELFGUARD_MODE (monitor mode's calls, figure 4).
func (b *bed) startFn(ctx context.Context, name string, extraEnv ...string) (*runtime.Function, error) {
	spec := b.specs[name]
	spec.Env = append(append([]string{}, spec.Env...), extraEnv...)
	return runtime.Start(ctx, spec)
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
	names := append([]string{"hello", "lambda-guard", "repo-guard"}, o.extra...)
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
		b.rec.SetMs("cold_start."+n+".p50_ms", p50)
		b.rec.SetMs("cold_start."+n+".p90_ms", bench.Percentile(s, 90))
		if n != "hello" {
			b.rec.Set("cold_start."+n+".over_hello_x", round2(float64(p50)/float64(hello)))
		}
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
		cmd := exec.CommandContext(ctx, b.specs[name].Bootstrap)
		cmd.Env = append(append([]string{"GODEBUG=inittrace=1", "PATH=/usr/bin:/bin"}, b.specs[name].Env...), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1")
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
		b.rec.SetMs("init."+name+".total_ms", bench.TotalInit(costs))
		b.rec.Set("init."+name+".packages", float64(len(costs)))
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

func pyVersion(py string) string {
	v, _ := exec.Command(py, "-c", "import sys, boto3; print('%d.%d, boto3 %s' % (sys.version_info[0], sys.version_info[1], boto3.__version__))").Output()
	return strings.TrimSpace(string(v))
}

// callsAndSizes is figures 4 and 5: calls per event kind, then peak RSS
// after them and the artifacts' sizes.
func (b *bed) callsAndSizes(ctx context.Context, out io.Writer, sizes map[string][2]int64) error {
	rss, err := b.calls(ctx, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "## 5. Memory and size\n\n| artifact | peak RSS | bootstrap (arm64) | zip (arm64) |\n|---|---|---|---|\n")
	for _, n := range []string{"hello", "lambda-guard", "repo-guard"} {
		r := "-"
		if v, ok := rss[n]; ok {
			r = mb(v)
			b.rec.Set("memory."+n+".peak_rss_mb", round2(float64(v)/(1<<20)))
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", n, r, mb(sizes[n][0]), mb(sizes[n][1]))
		b.rec.Set("size."+n+".bootstrap_arm64_bytes", float64(sizes[n][0]))
		b.rec.Set("size."+n+".zip_arm64_bytes", float64(sizes[n][1]))
	}
	fmt.Fprintln(out, "\nPeak RSS is VmHWM of the bootstrap after every event kind of figure 4 ran through it, duplicates included.")
	fmt.Fprintln(out)
	return nil
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
		key, name string
		kind      bench.Kind
		variant   string
		// remembered: the guard saw the release before (an earlier
		// event taught it); otherwise it remembers none.
		remembered bool
	}
	scens := []scen{
		{"code_signed", "code update, signed (nothing to do)", bench.KindCodeUpdate, variantGood, false},
		{"code_restore_remembered", "code update, restore the remembered release", bench.KindCodeUpdate, variantRevert, true},
		{"code_restore", "code update, restore, no release remembered (listed)", bench.KindCodeUpdate, variantRevert, false},
		{"code_contain", "code update, contain (never released)", bench.KindCodeUpdate, variantContain, false},
		{"alias_latest", "alias update to $LATEST", bench.KindAliasUpdate, "", false},
		{"csc_detach", "CSC detach", bench.KindCSCDetach, "", false},
		{"repo_create", "repository create", bench.KindRepoCreate, "", false},
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
			if err := b.forgetRelease(ctx, functionOf(s.variant)); err != nil {
				return nil, nil, err
			}
			if err := b.prepare(ctx, s.kind, s.variant); err != nil {
				return nil, nil, err
			}
			if s.remembered {
				if err := b.teachRelease(ctx, functionOf(s.variant), "2"); err != nil {
					return nil, nil, err
				}
			}
			payload := bench.Event(s.kind, id, targetOf(s.variant))
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
		b.rec.Set("calls."+s.key+".decide_calls", float64(total(decide)))
		b.rec.Set("calls."+s.key+".handle_calls", float64(total(handle)))
		b.rec.Set("calls."+s.key+".duplicate_calls", float64(total(dup)))
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
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
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
		key, name string
		variant   string
		op        cloudtrail.Operation // "": no action expected
	}
	scens := []scen{
		{"contain", "contain (PutFunctionConcurrency 0)", variantContain, cloudtrail.PutFunctionConcurrency},
		{"restore", "revert code (UpdateFunctionCode)", variantRevert, cloudtrail.UpdateFunctionCode},
		{"signed", "signed deploy (no action)", variantGood, ""},
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
			return b.measure(ctx, f, s.variant, id, s.op)
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
		lat := fmt.Sprintf("latency%dms.", o.latency.Milliseconds())
		if s.op != "" {
			b.rec.SetMs(lat+s.key+".warm.p50_ms", bench.Percentile(warm, 50))
			b.rec.SetMs(lat+s.key+".warm.p99_ms", bench.Percentile(warm, 99))
			b.rec.SetMs(lat+s.key+".cold.p50_ms", bench.Percentile(coldT, 50))
			b.rec.SetMs(lat+s.key+".cold.p99_ms", bench.Percentile(coldT, 99))
		}
		b.rec.SetMs(lat+s.key+".invocation.p50_ms", bench.Percentile(whole, 50))
		b.rec.Set("cost."+s.key+".per_million_usd", round3(bench.ARM64USEast1.CostPerMillion(bench.Percentile(whole, 50), 128)))
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

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
