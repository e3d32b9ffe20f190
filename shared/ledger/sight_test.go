package ledger

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// sighter is the part of both ledgers these tests drive.
type sighter interface {
	Ledger
	Sight(ctx context.Context, f finding.Finding, now time.Time) (Sighting, error)
	Told(ctx context.Context, s Sighting) error
	Untold(ctx context.Context, s Sighting) error
}

var (
	_ sighter = (*Table)(nil)
	_ sighter = (*Memory)(nil)
)

func unsigned() finding.Finding {
	return finding.Finding{Rule: "unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction, Resource: "payments-api", Summary: "unsigned code"}
}

func TestSightOwesAnAlertUntilToldOnce(t *testing.T) {
	ctx := context.Background()
	f := unsigned()
	worse := f
	worse.Severity = finding.SeverityCritical
	type step struct {
		name   string
		before func(l sighter, c *clock, prev Sighting) // between sightings
		f      finding.Finding
		change Change
		tell   bool
	}
	told := func(l sighter, _ *clock, prev Sighting) {
		if err := l.Told(ctx, prev); err != nil {
			t.Fatal(err)
		}
	}
	untold := func(l sighter, _ *clock, prev Sighting) {
		if err := l.Untold(ctx, prev); err != nil {
			t.Fatal(err)
		}
	}
	nothing := func(sighter, *clock, Sighting) {}
	cases := []struct {
		name  string
		steps []step
	}{
		{"a confirmed alert is not repeated", []step{
			{"first", nothing, f, ChangeNew, true},
			{"after told", told, f, ChangeUnchanged, false},
			{"again", told, f, ChangeUnchanged, false},
		}},
		{"a failed alert is owed to the retry, then to nobody", []step{
			{"first", nothing, f, ChangeNew, true},
			{"retry after untold", untold, f, ChangeNew, true},
			{"after the retry told", told, f, ChangeUnchanged, false},
		}},
		{"while one caller is telling, another is not asked to", []step{
			{"first", nothing, f, ChangeNew, true},
			{"concurrent duplicate", nothing, f, ChangeUnchanged, false},
		}},
		{"a caller that died leaves the alert to the sighting after its lease", []step{
			{"first", nothing, f, ChangeNew, true},
			{"within the lease", func(_ sighter, c *clock, _ Sighting) { c.Add(TellLease - time.Second) }, f, ChangeUnchanged, false},
			{"after the lease", func(_ sighter, c *clock, _ Sighting) { c.Add(2 * time.Second) }, f, ChangeNew, true},
		}},
		{"a change is told even while an older alert is owed", []step{
			{"first", nothing, f, ChangeNew, true},
			{"worse", nothing, worse, ChangeChanged, true},
			{"after told", told, worse, ChangeUnchanged, false},
		}},
		{"a closed finding seen again is reopened and told", []step{
			{"first", nothing, f, ChangeNew, true},
			{"after close", func(l sighter, c *clock, prev Sighting) {
				if err := l.Close(ctx, f.Key(), c.Now()); err != nil {
					t.Fatal(err)
				}
			}, f, ChangeReopened, true},
		}},
	}
	for impl, mk := range implementations() {
		for _, tc := range cases {
			t.Run(impl+"/"+tc.name, func(t *testing.T) {
				c := start()
				l := mk(t, c)[0].(sighter)
				var prev Sighting
				for _, st := range tc.steps {
					st.before(l, c, prev)
					c.Add(time.Millisecond)
					got, err := l.Sight(ctx, st.f, c.Now())
					if err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					if got.Change != st.change || got.Tell != st.tell {
						t.Fatalf("%s: change %s tell %v, want %s %v", st.name, got.Change, got.Tell, st.change, st.tell)
					}
					if got.Tell {
						prev = got
					}
				}
				open, err := l.OpenFindings(ctx)
				if err != nil || len(open) != 1 || !open[0].LastSeen.Equal(c.Now()) {
					t.Fatalf("open findings %+v, %v", open, err)
				}
			})
		}
	}
}

func TestLateToldOfATakenOverDutyKeepsTheDebt(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range implementations() {
		t.Run(impl, func(t *testing.T) {
			c := start()
			l := mk(t, c)[0].(sighter)
			first, _ := l.Sight(ctx, unsigned(), c.Now())
			c.Add(TellLease + time.Second)
			second, _ := l.Sight(ctx, unsigned(), c.Now())
			if !second.Tell {
				t.Fatal("the sighting after the lease was not asked to tell")
			}
			if err := l.Told(ctx, first); err != nil {
				t.Fatal(err)
			}
			if err := l.Untold(ctx, second); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Second)
			if third, _ := l.Sight(ctx, unsigned(), c.Now()); !third.Tell {
				t.Fatal("the first caller's late Told cleared the second caller's failed alert")
			}
		})
	}
}

func TestSightOfAFindingUpsertedBeforeOwesNothing(t *testing.T) {
	ctx := context.Background()
	for impl, mk := range implementations() {
		t.Run(impl, func(t *testing.T) {
			c := start()
			l := mk(t, c)[0].(sighter)
			if _, err := l.Upsert(ctx, unsigned(), c.Now()); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Minute)
			got, err := l.Sight(ctx, unsigned(), c.Now())
			if err != nil || got.Change != ChangeUnchanged || got.Tell {
				t.Fatalf("sighting %+v, %v; want unchanged and nothing owed", got, err)
			}
		})
	}
}

func TestConcurrentSightingsTellExactlyOne(t *testing.T) {
	c := start()
	ls := implementations()["dynamodb"](t, c)
	var tell atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got, err := ls[i%2].(sighter).Sight(context.Background(), unsigned(), c.Now())
			if err != nil {
				t.Error(err)
			}
			if got.Tell {
				tell.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if tell.Load() != 1 {
		t.Fatalf("%d sightings were told to alert, want exactly 1", tell.Load())
	}
}
