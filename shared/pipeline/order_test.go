package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
)

// steps records, in order, the pipeline's calls on its ledger, alerter and
// evaluator.
type steps struct {
	mu  sync.Mutex
	log []string
}

func (s *steps) add(step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, step)
}

func (s *steps) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, " ")
}

type stepLedger struct {
	Ledger
	s *steps
}

func (l stepLedger) Claim(ctx context.Context, id string) (bool, error) {
	l.s.add("claim")
	return l.Ledger.Claim(ctx, id)
}

func (l stepLedger) Owed(ctx context.Context, id string) ([]byte, error) {
	l.s.add("owed")
	return l.Ledger.Owed(ctx, id)
}

func (l stepLedger) Record(ctx context.Context, e ledger.Entry) error {
	l.s.add("record")
	return l.Ledger.Record(ctx, e)
}

func (l stepLedger) Complete(ctx context.Context, id string) error {
	l.s.add("complete")
	return l.Ledger.Complete(ctx, id)
}

type stepAlerter struct {
	Alerter
	s *steps
}

func (a stepAlerter) Send(ctx context.Context, al alert.Alert) error {
	a.s.add("alert")
	return a.Alerter.Send(ctx, al)
}

type stepEvaluator struct {
	*fakeEvaluator
	s *steps
}

func (e stepEvaluator) Evaluate(ctx context.Context, sub Subject) (finding.Decision, error) {
	e.s.add("evaluate")
	return e.fakeEvaluator.Evaluate(ctx, sub)
}

func (e stepEvaluator) Act(ctx context.Context, sub Subject, a finding.Action) Outcome {
	e.s.add("act")
	return e.fakeEvaluator.Act(ctx, sub, a)
}

// TestNothingButTheClaimComesBeforeTheContainingCall: the attacker's window
// ends with the action, so the claim (which keeps a duplicate from acting
// twice) is the only ledger call before it; owed alerts, the alert, the
// audit record and the claim's completion follow it.
func TestNothingButTheClaimComesBeforeTheContainingCall(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	s := &steps{}
	r.h.Ledger = stepLedger{Ledger: r.lg, s: s}
	r.h.Alerter = stepAlerter{Alerter: r.al, s: s}
	r.h.Evaluator = stepEvaluator{fakeEvaluator: r.ev, s: s}
	if err := r.handle(t); err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "claim evaluate act alert record owed complete"; got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
}

// TestOwedAlertsThatStillFailAfterTheWorkAreRetried: the owed alerts of an
// earlier attempt are paid after this attempt's work; if they still cannot
// be sent the claim is given back and the invocation fails, so Lambda
// retries, and the retry (finding the state fixed) sends them.
func TestOwedAlertsThatStillFailAfterTheWorkAreRetried(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.al.err = errors.New("sns: connection refused")
	if err := r.handle(t); err == nil {
		t.Fatal("the first attempt's alert failed, yet Handle returned nil")
	}
	// The retry finds the state fixed; SNS is still down.
	r.ev.mu.Lock()
	r.ev.decision = finding.Decision{}
	r.ev.mu.Unlock()
	if err := r.handle(t); err == nil {
		t.Fatal("owed alerts were not sent, yet Handle returned nil: Lambda would not retry")
	}
	if n := len(r.lg.released); n != 2 {
		t.Fatalf("claim released %d times, want 2 (each failed attempt gives it back)", n)
	}
	r.al.err = nil
	if err := r.handle(t); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if len(r.al.sent) != 1 || len(r.ev.acted) != 1 {
		t.Errorf("%d alerts sent and %d actions taken, want 1 and 1", len(r.al.sent), len(r.ev.acted))
	}
}
