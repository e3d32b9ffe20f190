package sweep_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/sweep"
)

func TestSweepFindsExactlyWhatTheEventGuardsFind(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, mixedWorld(), finding.ModeMonitor)
	var got collect
	st, err := sweep.RunLocal(ctx, tb.lister(), tb.worker(&got), 2, "run-1")
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if st.Functions != 4 || st.Repositories != 2 || st.Exempt != 1 {
		t.Errorf("listed %+v, want 4 functions, 2 repositories, 1 exempt", st)
	}
	t.Logf("findings: %v", got.keys())

	// The event-driven guards, reading each resource in full, must agree.
	lg := lambdaguard.New(tb.lambda, tb.cfg)
	rg := repoguard.New(tb.cc, tb.cg, tb.cfg)
	var want []string
	for _, fn := range []string{"good", "unsigned", "released-latest", "rogue-code", "sandbox-toy"} {
		d, _, err := lg.EvaluateFunction(ctx, fn, observe.ScopeFull)
		if err != nil {
			t.Fatalf("evaluate %s: %v", fn, err)
		}
		for _, f := range d.Findings {
			want = append(want, f.Key())
		}
	}
	for _, repo := range []string{"reviewed", "unreviewed"} {
		d, err := rg.Evaluate(ctx, pipeline.Subject{Type: finding.ResourceRepository, Name: repo})
		if err != nil {
			t.Fatalf("evaluate %s: %v", repo, err)
		}
		for _, f := range d.Findings {
			want = append(want, f.Key())
		}
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got.keys(), want) {
		t.Errorf("sweep found\n  %v\nevent guards find\n  %v", got.keys(), want)
	}

	// And the world's known problems are among them, the good ones clean.
	joined := strings.Join(got.keys(), "\n")
	for _, must := range []string{
		"lambda.unsigned-code|function|unsigned",
		"lambda.no-code-signing-config|function|unsigned",
		"lambda.alias-latest|alias|released-latest:live",
		"lambda.untrusted-signer|function|rogue-code",
	} {
		if !strings.Contains(joined, must) {
			t.Errorf("missing finding %s", must)
		}
	}
	for _, clean := range []string{"|good", "|sandbox-toy", "|reviewed"} {
		for _, k := range got.keys() {
			if strings.HasSuffix(k, clean) {
				t.Errorf("unexpected finding %s", k)
			}
		}
	}
	if !strings.Contains(joined, "|repository|unreviewed") {
		t.Errorf("no finding for the unreviewed repository")
	}
}
