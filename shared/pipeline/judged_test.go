package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
)

func TestJudgedCoversOnlyChangesWellBeforeAFineRead(t *testing.T) {
	read := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	quick := Subject{Type: finding.ResourceFunction, Name: "payments-api", Quick: true}
	full := quick
	full.Quick = false
	alias := func(q string) Subject {
		return Subject{Type: finding.ResourceAlias, Name: "payments-api", Qualifier: q, Quick: true}
	}
	tests := []struct {
		name    string
		marked  Subject
		asked   Subject
		changed time.Time
		want    bool
	}{
		{"a change well before the read", quick, quick, read.Add(-time.Minute), true},
		{"a change within the margin of the read", quick, quick, read.Add(-JudgedMargin), false},
		{"a change after the read", quick, quick, read.Add(time.Second), false},
		{"a quick event after a full read", full, quick, read.Add(-time.Minute), true},
		{"an event with edge rules is never dismissed", full, full, read.Add(-time.Minute), false},
		{"another function", quick, Subject{Type: finding.ResourceFunction, Name: "orders-api", Quick: true}, read.Add(-time.Minute), false},
		{"another alias of the function", alias("prod"), alias("beta"), read.Add(-time.Minute), false},
		{"an event with no time", quick, quick, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJudged(0)
			j.Fine(tt.marked, read)
			if got := j.Covers(tt.asked, tt.changed); got != tt.want {
				t.Errorf("Covers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJudgedForgetsWhatWasFoundWrongAndTheOldest(t *testing.T) {
	read := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	before := read.Add(-time.Minute)
	a, b, c := Subject{Name: "a", Quick: true}, Subject{Name: "b", Quick: true}, Subject{Name: "c", Quick: true}
	j := NewJudged(2)
	j.Fine(a, read)
	j.Fine(b, read)
	j.Forget(b)
	if j.Covers(b, before) {
		t.Error("a subject found wrong is still covered")
	}
	j.Fine(b, read)
	j.Fine(c, read)
	if j.Covers(a, before) || !j.Covers(b, before) || !j.Covers(c, before) {
		t.Error("with room for two, the oldest must go first")
	}
	var none *Judged
	if none.Covers(a, before) {
		t.Error("a nil Judged covers nothing")
	}
}

// quickEvaluator names its subjects quick, as the Lambda guard does for
// events without edge rules.
type quickEvaluator struct{ *fakeEvaluator }

func (q quickEvaluator) Subjects(ctx context.Context, rec cloudtrail.Record) ([]Subject, error) {
	ss, err := q.fakeEvaluator.Subjects(ctx, rec)
	for i := range ss {
		ss[i].Quick = true
	}
	return ss, err
}

// TestAFloodAboutOneFunctionIsReadOnce: events about a function that queued
// up behind a read which found it fine are dismissed before any read or
// claim; one about a change after that read is read.
func TestAFloodAboutOneFunctionIsReadOnce(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.ev.decision = finding.Decision{}
	r.h.Evaluator = quickEvaluator{r.ev}
	r.h.Judged = NewJudged(0)
	at := func(id, when string) {
		r.event = event(record(impostorRole, func(m map[string]any) { m["eventID"], m["eventTime"] = id, when }))
		if err := r.handle(t); err != nil {
			t.Fatal(err)
		}
	}
	at("ev-1", "2026-03-01T11:58:00Z") // read at 12:00:00, fine
	at("ev-2", "2026-03-01T11:58:30Z") // queued behind it: dismissed
	at("ev-3", "2026-03-01T11:59:58Z") // within the margin of that read: read
	if n := len(r.ev.evaluated); n != 2 {
		t.Errorf("%d reads for three events, want 2 (ev-2's change was seen by ev-1's read)", n)
	}
	if !r.logged(t, "reason", ReasonJudgedSince) {
		t.Error("the dismissal is not logged with its reason")
	}
	if ok, _ := r.lg.Memory.Claim(context.Background(), "ev-2"); !ok {
		t.Error("a dismissed event was claimed: it cost a ledger write")
	}
}

// TestAFindingIsReadAgainOnTheNextEvent: a read that found something is not
// remembered, so the next event is read although its change came before.
func TestAFindingIsReadAgainOnTheNextEvent(t *testing.T) {
	r := newRig(finding.ModeMonitor)
	r.h.Evaluator = quickEvaluator{r.ev}
	r.h.Judged = NewJudged(0)
	for _, id := range []string{"ev-1", "ev-2"} {
		r.event = event(record(impostorRole, func(m map[string]any) { m["eventID"], m["eventTime"] = id, "2026-03-01T11:50:00Z" }))
		if err := r.handle(t); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.ev.evaluated); n != 2 {
		t.Errorf("%d reads, want 2: a bad function must be read on every event", n)
	}
}

// TestAnEventWithEdgeRulesIsAlwaysJudged: a subject that is not quick (its
// event says what was done, which no later read shows) is read on every
// event, however recently it was found fine.
func TestAnEventWithEdgeRulesIsAlwaysJudged(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.ev.decision = finding.Decision{}
	r.h.Judged = NewJudged(0)
	for _, id := range []string{"ev-1", "ev-2"} {
		r.event = event(record(impostorRole, func(m map[string]any) { m["eventID"], m["eventTime"] = id, "2026-03-01T11:50:00Z" }))
		if err := r.handle(t); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.ev.evaluated); n != 2 {
		t.Errorf("%d reads, want 2", n)
	}
}
