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
	"time"

	"github.com/selfguard/selfguard/infra/loadtest"
)

func main() {
	var (
		run       = flag.String("run", "all", "what to run: burst, outage or all")
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
