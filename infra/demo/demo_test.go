package demo

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDemoScenariosEndAsExpected plays every scenario of `selfguard demo`
// through the bus and the runtime: the demo is the end-to-end test of every
// guardrail, so it cannot drift from what the guards do.
func TestDemoScenariosEndAsExpected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out io.Writer = io.Discard
	var sb strings.Builder
	out = &sb
	results, err := Run(ctx, out, Options{Only: os.Getenv("SELFGUARD_DEMO_ONLY")})
	if testing.Verbose() {
		t.Log("\n" + sb.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no scenario ran")
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s (%s): %v", r.Scenario, r.Mode, r.Err)
		}
	}
	if t.Failed() {
		t.Log("\n" + sb.String())
	}
}
