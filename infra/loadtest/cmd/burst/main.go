// Command burst runs selfguard's load and fault runs on the local account
// (infra/loadtest) and prints their figures and checks; it exits 1 if any
// check fails. make bench-burst runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/loadtest"
)

func main() {
	var (
		run       = flag.String("run", "all", "what to run: burst, outage, flood or all (burst and outage)")
		functions = flag.Int("functions", 200, "functions the pipeline redeploys (5 change events each)")
		errRate   = flag.Float64("error-rate", 0.2, "share of Lambda calls answered with an injected 429 or 500 (negative: none)")
		scale     = flag.Float64("timescale", 0.2, "scale of Lambda's async retry delays and maximum event age in the burst")
		dup       = flag.Float64("duplicate", 0.02, "share of events the bus delivers twice")
		target    = flag.String("outage-service", "both", "service the outage takes away from the guard: sns, dynamodb or both")
		outage    = flag.Duration("outage", 12*time.Second, "how long the service stays unreachable")
		outEvents = flag.Int("outage-events", 6, "attacker changes during the outage run")
		verbose   = flag.Bool("v", false, "echo the guard's log lines")
		jsonOut   = flag.String("json", "", "also write the reports as JSON to this file")
		timeout   = flag.Duration("timeout", 40*time.Minute, "give up after this long")
		floodRuns = flag.Int("flood-runs", 3, "flood runs, each with one attack at a random moment")
		floodEvs  = flag.Int("flood-events", 1000, "benign routed events per flood run, over one minute")
		floodCap  = flag.Duration("flood-cap", 20*time.Minute, "longest wait for the guard's action on the attack per flood run")
		floodPars = flag.String("flood-params", "", "template parameters for the flood, e.g. GuardConcurrency=1,SignerRate=25 (default: the template's)")
	)
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var logs io.Writer
	if *verbose {
		logs = os.Stderr
	}
	ok := true
	reports := map[string]any{}
	if *run == "burst" || *run == "all" {
		rep, err := loadtest.RunBurst(ctx, loadtest.BurstOptions{
			Functions: *functions, ErrorRate: *errRate, TimeScale: *scale, Duplicate: *dup,
			Progress: os.Stderr, GuardLogs: logs,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "burst:", err)
			os.Exit(2)
		}
		rep.Print(os.Stdout)
		reports["burst"] = rep
		ok = ok && rep.Checks.Passed()
	}
	if *run == "outage" || *run == "all" {
		services := []string{*target}
		if *target == "both" {
			services = []string{loadtest.OutageSNS, loadtest.OutageDynamoDB}
		}
		for _, svc := range services {
			for _, mode := range []string{"monitor", "enforce"} {
				rep, err := loadtest.RunOutage(ctx, loadtest.OutageOptions{
					Service: svc, Mode: mode, Outage: *outage, Events: *outEvents, Progress: os.Stderr, GuardLogs: logs,
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "outage:", err)
					os.Exit(2)
				}
				rep.Print(os.Stdout)
				reports["outage-"+svc+"-"+mode] = rep
				ok = ok && rep.Checks.Passed()
			}
		}
	}
	if *run == "flood" {
		reports["flood"] = runFlood(ctx, *floodRuns, *floodEvs, *floodCap, *floodPars, logs)
	}
	if *jsonOut != "" {
		raw, _ := json.MarshalIndent(reports, "", "  ")
		if err := os.WriteFile(*jsonOut, raw, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if !ok {
		fmt.Println("FAIL")
		os.Exit(1)
	}
	fmt.Println("PASS")
}

// runFlood runs the flood several times and prints each run and the
// percentiles of the attack's event-to-action time.
func runFlood(ctx context.Context, runs, events int, capped time.Duration, overrides string, logs io.Writer) []*loadtest.FloodReport {
	var reps []*loadtest.FloodReport
	params := map[string]string{}
	for _, kv := range strings.Split(overrides, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			params[k] = v
		} else if kv != "" {
			fmt.Fprintf(os.Stderr, "flood: -flood-params: %q is not Name=Value\n", kv)
			os.Exit(2)
		}
	}
	for i := 0; i < runs; i++ {
		rep, err := loadtest.RunFlood(ctx, loadtest.FloodOptions{Events: events, Cap: capped, Parameters: params, Progress: os.Stderr, GuardLogs: logs})
		if err != nil {
			fmt.Fprintln(os.Stderr, "flood:", err)
			os.Exit(2)
		}
		fmt.Printf("flood run %d: attack at %s, event to action %s (acted %v), %d deliveries ended meanwhile; guard calls %v\n",
			i+1, rep.AttackAt.Round(time.Second), rep.EventToAction.Round(time.Millisecond), rep.Acted, rep.Ahead, rep.GuardCalls)
		reps = append(reps, rep)
	}
	s := loadtest.Summarize(reps, capped)
	fmt.Printf("flood: %d runs, event to action p50 %s, p99 %s (all acted: %v)\n", s.Runs, s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.AllActed)
	return reps
}
