package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
)

// named is a guard that names one subject per record of its operation and
// records what it was asked to judge and do.
type named struct {
	op        cloudtrail.Operation
	failWith  error
	evaluated []Subject
	acted     []finding.ActionKind
}

func (n *named) Subjects(_ context.Context, rec cloudtrail.Record) ([]Subject, error) {
	if n.failWith != nil {
		return nil, n.failWith
	}
	if rec.Operation() != n.op {
		return nil, nil
	}
	return []Subject{{Type: finding.ResourceFunction, Name: "pay"}}, nil
}

func (n *named) Evaluate(_ context.Context, s Subject) (finding.Decision, error) {
	n.evaluated = append(n.evaluated, s)
	return finding.Decision{}, nil
}

func (n *named) Act(_ context.Context, _ Subject, a finding.Action) Outcome {
	n.acted = append(n.acted, a.Kind)
	return Outcome{Action: a, Status: OutcomeDone}
}

func TestCompositeSendsEachSubjectToTheGuardThatNamedIt(t *testing.T) {
	code, exposure := &named{op: "UpdateFunctionCode"}, &named{op: "AddPermission"}
	c := Composite{{Name: "lambda", Evaluator: code}, {Name: "exposure", Evaluator: exposure}}
	ctx := context.Background()
	subs, err := c.Subjects(ctx, cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "AddPermission20150331v2"})
	if err != nil || len(subs) != 1 || subs[0].Guard != "exposure" {
		t.Fatalf("subjects %+v, %v", subs, err)
	}
	if _, err := c.Evaluate(ctx, subs[0]); err != nil {
		t.Fatal(err)
	}
	c.Act(ctx, subs[0], finding.Action{Kind: "k"})
	if len(exposure.evaluated) != 1 || len(exposure.acted) != 1 || len(code.evaluated) != 0 || len(code.acted) != 0 {
		t.Errorf("exposure judged %d, did %d; code judged %d, did %d", len(exposure.evaluated), len(exposure.acted), len(code.evaluated), len(code.acted))
	}
}

func TestCompositeOfOneIsItsGuardAndAnUnknownGuardIsPermanent(t *testing.T) {
	g := &named{op: "AddPermission"}
	c := Composite{{Name: "exposure", Evaluator: g}}
	if _, err := c.Evaluate(context.Background(), Subject{Name: "pay"}); err != nil || len(g.evaluated) != 1 {
		t.Errorf("a subject without a guard: %v, %d evaluations", err, len(g.evaluated))
	}
	_, err := c.Evaluate(context.Background(), Subject{Name: "pay", Guard: "forged"})
	if !IsPermanent(err) {
		t.Errorf("a subject naming no guard of the composite: %v, want a permanent error", err)
	}
	if o := c.Act(context.Background(), Subject{Guard: "forged"}, finding.Action{}); o.Status != OutcomeFailed {
		t.Errorf("acting for no guard: %+v", o)
	}
}

func TestCompositeKeepsTheOtherGuardsSubjectsWhenOneFails(t *testing.T) {
	boom := errors.New("throttled")
	c := Composite{{Name: "a", Evaluator: &named{failWith: boom}}, {Name: "b", Evaluator: &named{op: "AddPermission"}}}
	subs, err := c.Subjects(context.Background(), cloudtrail.Record{EventSource: cloudtrail.SourceLambda, EventName: "AddPermission20150331v2"})
	if !errors.Is(err, boom) || len(subs) != 1 || subs[0].Guard != "b" {
		t.Errorf("subjects %+v, %v", subs, err)
	}
}
