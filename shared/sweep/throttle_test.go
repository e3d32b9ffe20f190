package sweep_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/sweep"
)

// manyFunctions is a world of n unsigned functions with a version each.
func manyFunctions(n int) *emulator.World {
	w := &emulator.World{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("fn-%05d", i)
		w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
			Name: name, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}},
			Versions: []lambdaemu.VersionWorld{{}},
		})
	}
	return w
}

func TestThrottlingBurstsAreAbsorbedAndEveryFunctionIsEvaluated(t *testing.T) {
	const n = 90
	tb := newTestbed(t, manyFunctions(n), finding.ModeMonitor)
	tb.cfg.ExemptFunctions = nil
	var got collect
	// Eight workers and no client-side limit: far over the emulator's real
	// 15/s shared bucket, so 429s come; adaptive retries must absorb them.
	l := tb.lister()
	l.BatchFunctions = 5
	st, err := sweep.RunLocal(context.Background(), l, tb.worker(&got), 8, "run-burst")
	if err != nil {
		t.Fatalf("sweep under throttling: %v", err)
	}
	if st.Functions != n || len(got.results) != n {
		t.Errorf("listed %d, evaluated %d functions; want %d", st.Functions, len(got.results), n)
	}
	var throttled int64
	for _, s := range tb.srv.Env.Calls.Stats() {
		throttled += s.Throttled
	}
	if throttled == 0 {
		t.Errorf("no 429 seen: the test did not exercise throttling")
	}
	t.Logf("429s absorbed: %d", throttled)
}
