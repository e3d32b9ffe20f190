package orgaudit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/localorg"
	"github.com/selfguard/selfguard/infra/orgaudit"
	"github.com/selfguard/selfguard/shared/report"
)

// serveEnv, when set to "members,regions,functions", makes the test binary
// serve a local organization of that size instead of running tests: the
// benchmark runs the organization in a process of its own, so the memory it
// measures is the audit's alone.
const serveEnv = "SELFGUARD_LOCALORG_SERVE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(serveEnv); spec != "" {
		if err := serveOrg(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func serveOrg(spec string) error {
	var members, regions, fns int
	if _, err := fmt.Sscanf(spec, "%d,%d,%d", &members, &regions, &fns); err != nil {
		return fmt.Errorf("%s=%q: want members,regions,functions: %w", serveEnv, spec, err)
	}
	all := []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"}
	org, err := localorg.Start(localorg.Options{Members: members, Regions: all[:regions], World: functions(fns)})
	if err != nil {
		return err
	}
	defer org.Close()
	fmt.Println(org.URL)
	// Serve until the benchmark closes our standard input.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// startOrgProcess runs a local organization in a child process and returns
// its URL.
func startOrgProcess(b *testing.B, members, regions, fns int) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d,%d", serveEnv, members, regions, fns))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("local organization did not start: %v", err)
	}
	return strings.TrimSpace(line)
}

func envInts(name string, def []int) []int {
	var out []int
	for _, f := range strings.Split(os.Getenv(name), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// BenchmarkOrgAudit audits local organizations of SELFGUARD_BENCH_ACCOUNTS
// members (a list; default 50) × SELFGUARD_BENCH_REGIONS regions (2) ×
// SELFGUARD_BENCH_FUNCTIONS functions (100), each account-region an
// emulator with Lambda's real quotas, at SELFGUARD_BENCH_RATE calls/s per
// account-region (14) and SELFGUARD_BENCH_PARALLEL account-regions at once
// (default orgaudit's). It reports wall time against the floor (the
// slowest account-region's control-plane calls ÷ the rate) and the audit
// process's peak heap. `make bench-org`; docs/organizations.md has figures.
func BenchmarkOrgAudit(b *testing.B) {
	regions := envInts("SELFGUARD_BENCH_REGIONS", []int{2})[0]
	fns := envInts("SELFGUARD_BENCH_FUNCTIONS", []int{100})[0]
	rate := float64(envInts("SELFGUARD_BENCH_RATE", []int{14})[0])
	parallel := envInts("SELFGUARD_BENCH_PARALLEL", []int{orgaudit.DefaultParallel})[0]
	for _, members := range envInts("SELFGUARD_BENCH_ACCOUNTS", []int{50}) {
		b.Run(fmt.Sprintf("accounts=%d", members), func(b *testing.B) {
			for range b.N {
				benchOnce(b, members, regions, fns, rate, parallel)
			}
		})
	}
}

func benchOnce(b *testing.B, members, regions, fns int, rate float64, parallel int) {
	url := startOrgProcess(b, members, regions, fns)
	var accounts []orgaudit.Account
	for i := range members {
		accounts = append(accounts, orgaudit.Account{ID: localorg.MemberID(i)})
	}
	all := []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"}
	var items atomic.Int64
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak, stop := watchHeap()
	start := time.Now()
	res, err := orgaudit.Run(context.Background(), orgaudit.Options{
		Accounts: accounts, Regions: all[:regions], Role: localorg.DefaultRole, Base: localorg.AuditorConfig(url, "eu-west-1"),
		Rate: rate, Parallel: parallel, OnItem: func(report.Item) { items.Add(1) },
	})
	wall := time.Since(start)
	stop()
	if err != nil || len(res.Unreachable) > 0 {
		b.Fatalf("audit: %v, unreachable %+v", err, res.Unreachable)
	}
	if want := members * regions * fns; res.Functions != want {
		b.Fatalf("evaluated %d functions, want %d", res.Functions, want)
	}
	floor, calls, throttled := floorOf(b, url, rate)
	b.Logf("%d accounts × %d regions × %d functions (parallel %d, %.0f/s each): wall %s, floor %s (%.2f×); %d control-plane calls, %d 429s; %d findings; peak heap %.1f MiB (%.1f MiB before)",
		members, regions, fns, parallel, rate, wall.Round(10*time.Millisecond), floor.Round(10*time.Millisecond), wall.Seconds()/floor.Seconds(),
		calls, throttled, items.Load(), mib(peak()), mib(before.HeapInuse))
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
	b.ReportMetric(mib(peak()), "peak-MiB")
	b.ReportMetric(float64(throttled), "429s")
}

// floorOf reads each account-region's control-plane calls from the
// organization and returns the slowest one's calls ÷ rate.
func floorOf(b *testing.B, url string, rate float64) (time.Duration, int64, int64) {
	resp, err := http.Get(url + localorg.CallsPath)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var usage map[string]localorg.Usage
	if err := json.NewDecoder(resp.Body).Decode(&usage); err != nil {
		b.Fatal(err)
	}
	var most, calls, throttled int64
	for _, u := range usage {
		calls += u.Control
		throttled += u.Throttled
		most = max(most, u.Control-u.Throttled)
	}
	return time.Duration(float64(most) / rate * float64(time.Second)), calls, throttled
}

// watchHeap samples the heap in use until stopped and returns the peak.
func watchHeap() (peak func() uint64, stop func()) {
	var p atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > p.Load() {
				p.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return p.Load, func() { close(done); <-finished }
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
