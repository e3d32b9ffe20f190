package sweep_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/sweep"
)

// countSink counts results without keeping them, so the memory measured is
// the sweep's own.
type countSink struct{ n atomic.Int64 }

func (c *countSink) Result(context.Context, sweep.Result) error { c.n.Add(1); return nil }

// BenchmarkSweep10k sweeps a local account of SELFGUARD_BENCH_FUNCTIONS
// functions (default 10,000, each with one published version) with the
// emulator enforcing Lambda's real quotas and the client limited to
// SELFGUARD_BENCH_RATE calls/s (default 14) on the shared bucket. It
// reports wall time, calls and 429s per operation, and peak heap. Run it
// with `make bench-sweep`; docs/sweep.md has the figures.
func BenchmarkSweep10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("SELFGUARD_BENCH_FUNCTIONS")); err == nil && v > 0 {
		n = v
	}
	rate := 14.0
	if v, err := strconv.ParseFloat(os.Getenv("SELFGUARD_BENCH_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	tb := newTestbed(b, manyFunctions(n), finding.ModeMonitor)
	tb.cfg.ExemptFunctions = nil
	limiter := ratelimit.New(rate, nil)
	lam := lambda.NewFromConfig(clientConfig(b, "selfguard"), limiter.LambdaOptions(),
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) })
	for i := 0; i < b.N; i++ {
		tb.srv.Env.Calls.Reset()
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		var sink countSink
		start := time.Now()
		// Wired as functions/sweep and sweep-worker are: every rule,
		// exposure included, on every published version.
		st, err := sweep.RunLocal(context.Background(),
			&sweep.Lister{Lambda: lam, Exposure: lam, Settings: tb.cfg},
			&sweep.Worker{Aliases: lam, Decide: decide.Decide, Details: lam, Settings: tb.cfg, Sink: &sink,
				Exposure: exposureguard.New(lam, tb.cfg)}, 4, "bench")
		wall := time.Since(start)
		close(stop)
		if err != nil {
			b.Fatalf("sweep: %v", err)
		}
		// A result per function and, with exposure, one per its exposure.
		if int(sink.n.Load()) < n || st.Functions != n {
			b.Fatalf("%d results for %d functions listed of %d", sink.n.Load(), st.Functions, n)
		}
		var calls, throttled, shared int64
		for _, s := range tb.srv.Env.Calls.Stats() {
			b.Logf("%-34s bucket %-14s calls %6d  429s %4d  per function %.3f", s.Service+":"+s.Operation, s.Bucket, s.Calls, s.Throttled,
				float64(s.Calls)/float64(n))
			calls += s.Calls
			throttled += s.Throttled
			if s.Bucket == "control-plane" {
				shared += s.Calls
			}
		}
		floor := time.Duration(float64(shared) / rate * float64(time.Second))
		b.Logf("shared bucket: %d calls, floor at %.0f/s %s, wall/floor %.2f", shared, rate, floor.Round(time.Millisecond), wall.Seconds()/floor.Seconds())
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "wall/floor")
		b.Logf("%d functions, %d batches: wall %s, %d calls, %d throttled (429), peak heap in use %.1f MiB (includes the emulator's state)",
			n, st.Batches, wall.Round(time.Millisecond), calls, throttled, float64(peak.Load())/(1<<20))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(throttled), "429s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
	}
}
