package ledger

import (
	"context"
	"testing"
)

// releaser is the release memory both ledgers keep.
type releaser interface {
	RememberRelease(ctx context.Context, r Release) error
	TrustedRelease(ctx context.Context, fn string) (Release, bool, error)
	ForgetRelease(ctx context.Context, fn string, v int) error
}

func TestTheNewestTrustedReleaseIsRememberedUntilForgotten(t *testing.T) {
	for name, mk := range implementations() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			l := mk(t, start())[0].(releaser)
			if _, ok, err := l.TrustedRelease(ctx, "pay"); err != nil || ok {
				t.Fatalf("a release remembered before any was seen: %v %v", ok, err)
			}
			steps := []struct {
				do   func() error
				want int // the version remembered after the step, 0 none
			}{
				{func() error { return l.RememberRelease(ctx, Release{Function: "pay", Version: 3, Code: []byte(`v3`)}) }, 3},
				// An older publish seen late does not replace a newer one.
				{func() error { return l.RememberRelease(ctx, Release{Function: "pay", Version: 2, Code: []byte(`v2`)}) }, 3},
				{func() error { return l.RememberRelease(ctx, Release{Function: "pay", Version: 4, Code: []byte(`v4`)}) }, 4},
				// Forgetting a version no longer remembered changes nothing.
				{func() error { return l.ForgetRelease(ctx, "pay", 3) }, 4},
				{func() error { return l.ForgetRelease(ctx, "pay", 4) }, 0},
				// Once forgotten, what a listing finds is remembered, older or not.
				{func() error { return l.RememberRelease(ctx, Release{Function: "pay", Version: 2, Code: []byte(`v2`)}) }, 2},
			}
			for i, st := range steps {
				if err := st.do(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				r, ok, err := l.TrustedRelease(ctx, "pay")
				if err != nil {
					t.Fatal(err)
				}
				got := 0
				if ok {
					got = r.Version
					if string(r.Code) != "v"+string(rune('0'+got)) {
						t.Errorf("step %d: version %d remembered with code %q", i, got, r.Code)
					}
				}
				if got != st.want {
					t.Errorf("step %d: version %d remembered, want %d", i, got, st.want)
				}
			}
			if _, ok, _ := l.TrustedRelease(ctx, "orders"); ok {
				t.Error("another function's release was remembered for it")
			}
		})
	}
}
