package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
)

// TestATimedOutRunLeavesTheEventToItsRetry: the invocation's deadline comes
// while a read hangs. The run must stop in time to give its claim back, with
// a context the deadline has not cancelled, so that Lambda's retry handles
// the event instead of dropping it as a duplicate.
func TestATimedOutRunLeavesTheEventToItsRetry(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.h.Reserve = 20 * time.Millisecond
	r.ev.block = true
	lc := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	ctx, cancel := context.WithTimeout(lc, 150*time.Millisecond)
	defer cancel()
	if err := r.h.Handle(ctx, r.event); err == nil {
		t.Fatal("Handle returned nil for a run that did not finish: Lambda would not retry")
	}
	if len(r.lg.released) != 1 {
		t.Fatalf("claim released %v: a retry would find it taken", r.lg.released)
	}

	r.ev.block = false
	if err := r.handle(t); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if r.logged(t, "reason", ReasonDuplicate) {
		t.Fatal("the retry was dropped as a duplicate")
	}
	if len(r.ev.evaluated) != 2 || len(r.al.sent) != 1 || len(r.lg.Entries()) != 1 {
		t.Errorf("retry: evaluated %d, alerts %d, audit entries %d; want 2, 1, 1", len(r.ev.evaluated), len(r.al.sent), len(r.lg.Entries()))
	}
}

// TestWorkEndsBeforeTheLeaseDoes: a run past its claim's lease could be
// overtaken by a duplicate delivery, two runs then acting at once. The work
// is bounded by the lease, less the reserve kept to alert, record and
// release.
func TestWorkEndsBeforeTheLeaseDoes(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	begin := time.Now()
	if err := r.h.Handle(context.Background(), r.event); err != nil {
		t.Fatal(err)
	}
	if len(r.ev.deadlines) != 1 {
		t.Fatalf("evaluated without a deadline (%v)", r.ev.deadlines)
	}
	if latest := time.Now().Add(ledger.ClaimLease - DefaultReserve); r.ev.deadlines[0].After(latest) {
		t.Errorf("work deadline %v after the lease less the reserve (%v)", r.ev.deadlines[0].Sub(begin), latest.Sub(begin))
	}
}

// TestNoTimeToWorkIsARetryNotADrop: an invocation that starts with less
// time than the reserve does nothing and asks for a retry.
func TestNoTimeToWorkIsARetryNotADrop(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultReserve/2)
	defer cancel()
	if err := r.h.Handle(ctx, r.event); err == nil {
		t.Fatal("Handle returned nil without judging the event")
	}
	if err := r.handle(t); err != nil || len(r.al.sent) != 1 {
		t.Errorf("the retry: %v, %d alerts; want it judged", err, len(r.al.sent))
	}
}

// TestTheReserveIsKeptOnce: with the invocation's deadline the nearer, the
// work ends one reserve before it, not two.
func TestTheReserveIsKeptOnce(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	deadline := time.Now().Add(DefaultReserve + 20*time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := r.h.Handle(ctx, r.event); err != nil {
		t.Fatal(err)
	}
	if len(r.ev.deadlines) != 1 || !r.ev.deadlines[0].Equal(deadline.Add(-DefaultReserve)) {
		t.Errorf("work deadline %v, want the invocation's less one reserve (%v)", r.ev.deadlines, deadline.Add(-DefaultReserve))
	}
}
