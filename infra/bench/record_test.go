package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRunsAreWrittenOnePerFileAndTheNewestEarlierOneIsThePrevious(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	runs := []*Run{
		{Commit: "aaaaaaaaaaaaaaaa", Time: t0},
		{Commit: "bbbbbbbbbbbbbbbb", Time: t0.Add(time.Hour), Dirty: true},
		{Commit: "cccccccccccccccc", Time: t0.Add(2 * time.Hour)},
	}
	for i, r := range runs {
		r.SetMs("window.contain.cold.p50_ms", time.Duration(i+1)*10*time.Millisecond)
		if _, err := r.Write(dir); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := runs[1].FileName(), "2026-11-30T130000Z-bbbbbbbbbbbb-dirty.json"; got != want {
		t.Errorf("file name %s, want %s", got, want)
	}
	prev, err := Previous(dir, runs[2].Time)
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || prev.Commit != runs[1].Commit || prev.Metrics["window.contain.cold.p50_ms"] != 20 {
		t.Fatalf("previous of the third run = %+v, want the second", prev)
	}
	if prev, _ := Previous(dir, t0); prev != nil {
		t.Errorf("the first run has a previous one: %+v", prev)
	}
}

func TestCompareShowsTheChangeAgainstThePreviousRun(t *testing.T) {
	latest := &Run{Commit: "c0ffee0000", Time: time.Now()}
	latest.Set("window.contain.cold.p50_ms", 50)
	latest.Set("calls.code_unsigned.decide_calls", 2)
	prev := &Run{Commit: "beef000000", Time: time.Now().Add(-time.Hour)}
	prev.Set("window.contain.cold.p50_ms", 100)
	var buf bytes.Buffer
	if err := Compare(&buf, latest, prev); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"| window.contain.cold.p50_ms | 50 | 100 | -50% |", "| calls.code_unsigned.decide_calls | 2 | - | - |", "c0ffee0", "beef000"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
}
