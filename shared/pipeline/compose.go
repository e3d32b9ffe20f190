package pipeline

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
)

// Composite is several guards behind one handler: one Lambda function, one
// EventBridge target, one claim per event. Each record is offered to every
// guard; each subject is marked with the guard that named it, and that guard
// alone evaluates it and acts on it.
type Composite []Named

// Named is one guard of a Composite.
type Named struct {
	Name      string
	Evaluator Evaluator
}

var _ Evaluator = Composite(nil)

// Subjects implements Evaluator: every guard's subjects, each marked with
// its guard. A guard that fails does not hide the others' subjects, but the
// error is returned so the event is retried (evaluation is level-triggered,
// so repeating the others is harmless).
func (c Composite) Subjects(ctx context.Context, rec cloudtrail.Record) ([]Subject, error) {
	var out []Subject
	var firstErr error
	for _, g := range c {
		subs, err := g.Evaluator.Subjects(ctx, rec)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", g.Name, err)
		}
		for _, s := range subs {
			s.Guard = g.Name
			out = append(out, s)
		}
	}
	return out, firstErr
}

// Evaluate implements Evaluator with the subject's guard.
func (c Composite) Evaluate(ctx context.Context, s Subject) (finding.Decision, error) {
	g, err := c.guard(s)
	if err != nil {
		return finding.Decision{}, err
	}
	return g.Evaluate(ctx, s)
}

// Act implements Evaluator with the subject's guard.
func (c Composite) Act(ctx context.Context, s Subject, a finding.Action) Outcome {
	g, err := c.guard(s)
	if err != nil {
		return Outcome{Action: a, Status: OutcomeFailed, Err: err, Message: err.Error()}
	}
	return g.Act(ctx, s, a)
}

// guard finds the subject's guard; a subject with none goes to the first,
// so a Composite of one behaves as its guard.
func (c Composite) guard(s Subject) (Evaluator, error) {
	for _, g := range c {
		if g.Name == s.Guard {
			return g.Evaluator, nil
		}
	}
	if s.Guard == "" && len(c) > 0 {
		return c[0].Evaluator, nil
	}
	return nil, &Permanent{Reason: fmt.Sprintf("no guard %q for %s %s", s.Guard, s.Type, s.Name)}
}
