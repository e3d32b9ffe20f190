package sweep_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/sweep"
)

func runStores() map[string]func(t *testing.T) sweep.RunRecorder {
	return map[string]func(t *testing.T) sweep.RunRecorder{
		"dynamodb": func(t *testing.T) sweep.RunRecorder {
			m := motoClients(t)
			return &sweep.Runs{DB: m.db, Table: m.table(t)}
		},
		"memory": func(*testing.T) sweep.RunRecorder { return &sweep.MemoryRuns{} },
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRunCountsEachBatchOnceAndCompletes(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range runStores() {
		t.Run(impl, func(t *testing.T) {
			r := mk(t)
			if err := r.Start(ctx, "run-1", t0); err != nil {
				t.Fatal(err)
			}
			// A retried lister invocation keeps the first start time.
			if err := r.Start(ctx, "run-1", t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			// A worker may finish a batch before the lister has counted them.
			p, err := r.BatchDone(ctx, "run-1", 0)
			if err != nil || p.Complete() || p.Done != 1 {
				t.Fatalf("first batch before listing: %+v, %v", p, err)
			}
			p, err = r.Listed(ctx, "run-1", sweep.ListStats{Batches: 3, Functions: 60, Repositories: 5})
			if err != nil || p.Total != 3 || p.Done != 1 || !p.Started.Equal(t0) {
				t.Fatalf("listed: %+v, %v", p, err)
			}
			steps := []struct {
				name     string
				index    int
				done     int
				complete bool
			}{
				{"second batch", 1, 2, false},
				{"second batch redelivered counts once", 1, 2, false},
				{"first batch redelivered counts once", 0, 2, false},
				{"last batch completes the run", 2, 3, true},
			}
			for _, st := range steps {
				p, err := r.BatchDone(ctx, "run-1", st.index)
				if err != nil {
					t.Fatal(err)
				}
				if p.Done != st.done || p.Complete() != st.complete || p.Finished {
					t.Errorf("%s: %+v, want %d done, complete %v", st.name, p, st.done, st.complete)
				}
			}
		})
	}
}

func TestExactlyOneConcurrentFinisherWins(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range runStores() {
		t.Run(impl, func(t *testing.T) {
			r := mk(t)
			if err := r.Start(ctx, "run-1", t0); err != nil {
				t.Fatal(err)
			}
			var won atomic.Int64
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := r.ClaimFinish(ctx, "run-1", t0.Add(time.Second))
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				}()
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("%d finishers won, want exactly 1", won.Load())
			}
		})
	}
}

func TestFinishClaimLease(t *testing.T) {
	ctx := context.Background()
	claim := func(t *testing.T, r sweep.RunRecorder, at time.Time, want bool, why string) {
		t.Helper()
		got, err := r.ClaimFinish(ctx, "run-1", at)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: claim = %v, want %v", why, got, want)
		}
	}
	for impl, mk := range runStores() {
		t.Run(impl+"/a dead finisher's lease runs out", func(t *testing.T) {
			r := mk(t)
			claim(t, r, t0, true, "first")
			claim(t, r, t0.Add(sweep.FinishLease-time.Second), false, "within the lease")
			claim(t, r, t0.Add(sweep.FinishLease+time.Second), true, "after the lease")
		})
		t.Run(impl+"/a released claim is free at once", func(t *testing.T) {
			r := mk(t)
			claim(t, r, t0, true, "first")
			if err := r.ReleaseFinish(ctx, "run-1"); err != nil {
				t.Fatal(err)
			}
			claim(t, r, t0.Add(time.Second), true, "after release")
		})
		t.Run(impl+"/a finished run is never finished again", func(t *testing.T) {
			r := mk(t)
			if _, err := r.Listed(ctx, "run-1", sweep.ListStats{Batches: 1}); err != nil {
				t.Fatal(err)
			}
			claim(t, r, t0, true, "first")
			if err := r.MarkFinished(ctx, "run-1", t0); err != nil {
				t.Fatal(err)
			}
			claim(t, r, t0.Add(2*sweep.FinishLease), false, "after finishing")
			p, err := r.BatchDone(ctx, "run-1", 0) // a late redelivery
			if err != nil || !p.Finished {
				t.Fatalf("late batch sees %+v, %v; want finished", p, err)
			}
		})
	}
}
