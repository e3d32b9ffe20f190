package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
)

// TestAlertAboutAFixIsNotLostWhenSNSIsDown: in enforce mode the guard fixes
// first and alerts after. If the alert cannot be sent, the retry finds the
// state already fixed and nothing to say, so the alert must be kept and sent
// by the retry: exactly once, with what was done.
func TestAlertAboutAFixIsNotLostWhenSNSIsDown(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.al.err = errors.New("sns: connection refused")
	if err := r.h.Handle(context.Background(), r.event); err == nil {
		t.Fatal("Handle returned nil though the alert was not sent: Lambda would not retry")
	}
	if len(r.lg.released) != 1 {
		t.Fatalf("claim released %d times, want 1", len(r.lg.released))
	}

	// SNS is back; the retry reads a fixed state.
	r.al.err = nil
	r.ev.mu.Lock()
	r.ev.decision = finding.Decision{}
	r.ev.mu.Unlock()
	if err := r.h.Handle(context.Background(), r.event); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if len(r.al.sent) != 1 {
		t.Fatalf("%d alerts sent, want exactly 1", len(r.al.sent))
	}
	got := r.al.sent[0]
	if got.Finding.Rule != "unsigned-code" || len(got.Actions) != 1 || got.Actions[0].Status != "done" {
		t.Errorf("the alert sent is %+v, want the finding with its done action", got)
	}
	if len(r.ev.acted) != 1 {
		t.Errorf("acted %d times, want once", len(r.ev.acted))
	}

	// A third delivery is a duplicate and sends nothing.
	if err := r.h.Handle(context.Background(), r.event); err != nil || len(r.al.sent) != 1 {
		t.Errorf("duplicate delivery: err %v, %d alerts", err, len(r.al.sent))
	}
}

// TestMonitorAlertIsRetriedNotKept: in monitor mode nothing changed, so the
// retry finds the same state and alerts itself; keeping the alert too would
// send it twice.
func TestMonitorAlertIsRetriedNotKept(t *testing.T) {
	r := newRig(finding.ModeMonitor)
	r.al.err = errors.New("sns: throttled")
	if err := r.h.Handle(context.Background(), r.event); err == nil {
		t.Fatal("Handle returned nil though the alert was not sent")
	}
	r.al.err = nil
	if err := r.h.Handle(context.Background(), r.event); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if len(r.al.sent) != 1 {
		t.Errorf("%d alerts sent, want exactly 1", len(r.al.sent))
	}
}
