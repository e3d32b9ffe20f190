package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/selfguard/selfguard/infra/bench"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// measure runs one code-update event of a variant through f and returns
// the attacker's window (from the invoke, the event's arrival at the
// guard, to op accepted: recorded in the trail) and the whole invocation.
// op "" expects no action: the window is then 0.
func (b *bed) measure(ctx context.Context, f *runtime.Function, variant, id string, op cloudtrail.Operation) (window, whole time.Duration, err error) {
	if err := b.prepare(ctx, bench.KindCodeUpdate, variant); err != nil {
		return 0, 0, err
	}
	if variant == variantRevert {
		// The steady state: the guard saw the release published.
		if err := b.teachRelease(ctx, functionOf(variant), "2"); err != nil {
			return 0, 0, err
		}
	}
	ch, cancel := b.srv.Env.Trail.Subscribe(64)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var wait func() (time.Time, error)
	if op != "" {
		wait = watch(wctx, ch, op)
	}
	t0 := time.Now()
	if err := invokeOK(ctx, f, bench.Event(bench.KindCodeUpdate, id, targetOf(variant))); err != nil {
		return 0, 0, err
	}
	whole = time.Since(t0)
	if op == "" {
		return 0, whole, nil
	}
	at, err := wait()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w; logs: %s", variant, err, tail(f.Logs(), 2000))
	}
	return at.Sub(t0), whole, nil
}

// coldOnce measures one event in a fresh environment: the bootstrap starts
// with the event, as after a quiet spell or a scale-out. It returns the
// bootstrap's peak RSS too.
func (b *bed) coldOnce(ctx context.Context, variant, id string, op cloudtrail.Operation) (time.Duration, int64, error) {
	f, err := b.startFn(ctx, "lambda-guard")
	if err != nil {
		return 0, 0, err
	}
	defer f.Stop()
	d, _, err := b.measure(ctx, f, variant, id, op)
	if err != nil {
		return 0, 0, err
	}
	rss, _ := bench.PeakRSS(bootstrapPid(f))
	return d, rss, nil
}

// peerOnce runs the boto3 peer on the same event and account state: a
// fresh python3 process, GetFunction and PutFunctionConcurrency(0).
func (b *bed) peerOnce(ctx context.Context, id string) (time.Duration, int64, error) {
	script := filepath.Join(b.root, "infra/bench/peer/guard.py")
	if err := b.prepare(ctx, bench.KindCodeUpdate, variantContain); err != nil {
		return 0, 0, err
	}
	ev := filepath.Join(b.dir, id+".json")
	if err := os.WriteFile(ev, bench.Event(bench.KindCodeUpdate, id, targetOf(variantContain)), 0o600); err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, b.python, script, ev)
	cmd.Env = append(append(os.Environ(), b.specs["lambda-guard"].Env...), "AWS_DEFAULT_REGION="+region)
	ch, cancel := b.srv.Env.Trail.Subscribe(64)
	defer cancel()
	wait := watch(ctx, ch, cloudtrail.PutFunctionConcurrency)
	t0 := time.Now()
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("boto3 peer: %w: %s", err, msg)
	}
	at, err := wait()
	if err != nil {
		return 0, 0, fmt.Errorf("boto3 peer: %w; output: %s", err, msg)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	return at.Sub(t0), rss, nil
}

// window is the headline figure: the attacker's window, from the event's
// arrival at the guard to the containing (or restoring) call accepted,
// cold and warm, p50 and p99, against the boto3 peer, all interleaved
// round by round in one run, with the guard as deployed.
func (b *bed) window(ctx context.Context, o options, out io.Writer) error {
	type scen struct {
		key, name, variant string
		op                 cloudtrail.Operation
	}
	scens := []scen{
		{"contain", "contain (PutFunctionConcurrency 0)", variantContain, cloudtrail.PutFunctionConcurrency},
		{"restore", "restore code (UpdateFunctionCode)", variantRevert, cloudtrail.UpdateFunctionCode},
	}
	warmFns := map[string]*runtime.Function{}
	for _, s := range scens {
		f, err := b.startFn(ctx, "lambda-guard")
		if err != nil {
			return err
		}
		defer f.Stop()
		if _, _, err := b.measure(ctx, f, s.variant, "window-warmup-"+s.key, s.op); err != nil {
			return err
		}
		warmFns[s.key] = f
	}
	cold, warm := map[string][]time.Duration{}, map[string][]time.Duration{}
	var peerT []time.Duration
	var goRSS, pyRSS int64
	for i := 0; i < o.peer; i++ {
		// Rotate what goes first, so that no side always meets a quieter
		// (or busier) machine.
		steps := []func() error{
			func() error {
				d, rss, err := b.peerOnce(ctx, fmt.Sprintf("peer-%d", i))
				peerT, pyRSS = append(peerT, d), max(pyRSS, rss)
				return err
			},
		}
		for _, s := range scens {
			steps = append(steps, func() error {
				d, rss, err := b.coldOnce(ctx, s.variant, fmt.Sprintf("window-cold-%d-%s", i, s.key), s.op)
				cold[s.key], goRSS = append(cold[s.key], d), max(goRSS, rss)
				return err
			}, func() error {
				time.Sleep(o.gap)
				d, _, err := b.measure(ctx, warmFns[s.key], s.variant, fmt.Sprintf("window-warm-%d-%s", i, s.key), s.op)
				warm[s.key] = append(warm[s.key], d)
				return err
			})
		}
		for j := range steps {
			if err := steps[(i+j)%len(steps)](); err != nil {
				return err
			}
		}
	}
	p50, p99 := bench.Percentile(peerT, 50), bench.Percentile(peerT, 99)
	fmt.Fprintf(out, "## 2. The attacker's window\n\n")
	fmt.Fprintf(out, "From the event's arrival at the guard (the invoke) to the containing or restoring call accepted (recorded in the emulator's trail). "+
		"Cold: a fresh environment, the bootstrap starts with the event. Warm: %s after the previous event. "+
		"The boto3 peer (%s) runs GetFunction and PutFunctionConcurrency(0) from a fresh python3 process on the same event and account state. "+
		"The contained function was never released; the restored one was, and the guard remembers its release (as if it had seen it published). "+
		"%d interleaved rounds; no latency added to the emulator.\n\n", o.gap, pyVersion(b.python), o.peer)
	fmt.Fprintf(out, "| | cold p50 | cold p99 | warm p50 | warm p99 | peer p50 / cold p50 | peer p99 / cold p99 |\n|---|---|---|---|---|---|---|\n")
	for _, s := range scens {
		c50, c99 := bench.Percentile(cold[s.key], 50), bench.Percentile(cold[s.key], 99)
		w50, w99 := bench.Percentile(warm[s.key], 50), bench.Percentile(warm[s.key], 99)
		fmt.Fprintf(out, "| selfguard, %s | %s | %s | %s | %s | %.1f× | %.1f× |\n", s.name, ms(c50), ms(c99), ms(w50), ms(w99),
			ratio(p50, c50), ratio(p99, c99))
		for k, v := range map[string]time.Duration{"cold.p50": c50, "cold.p99": c99, "warm.p50": w50, "warm.p99": w99} {
			b.rec.SetMs("window."+s.key+"."+k+"_ms", v)
		}
		b.rec.Set("window."+s.key+".peer_over_cold_p50_x", round1(ratio(p50, c50)))
	}
	fmt.Fprintf(out, "| boto3 peer (fresh process) | %s | %s | - | - | 1.0× | 1.0× |\n\n", ms(p50), ms(p99))
	fmt.Fprintf(out, "Peak RSS: selfguard %s (cold, after the event), the peer %s: %.2f of the peer's.\n\n", mb(goRSS), mb(pyRSS),
		float64(goRSS)/float64(max(pyRSS, 1)))
	b.rec.SetMs("window.peer.p50_ms", p50)
	b.rec.SetMs("window.peer.p99_ms", p99)
	b.rec.Set("memory.guard_over_peer_x", round2(float64(goRSS)/float64(max(pyRSS, 1))))
	return nil
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
