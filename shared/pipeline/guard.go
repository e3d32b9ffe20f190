package pipeline

import (
	"context"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/logging"
)

// Subject is a resource an event points at. Events are hints: the guard reads
// the subject's current state and decides on that, never on the event.
type Subject struct {
	Type finding.ResourceType `json:"type"`
	// Name is the function, repository or code signing config name or ARN.
	Name string `json:"name"`
	// Qualifier is an alias or version, where the event names one.
	Qualifier string `json:"qualifier,omitempty"`
	// Event is the record that named the subject, set by the pipeline for
	// the edge rules (what the event says was done); nil where there is
	// no event (the sweep).
	Event *cloudtrail.Record `json:"-"`
	// Guard names the guard of a Composite that judges the subject;
	// empty when a handler has one guard.
	Guard string `json:"guard,omitempty"`
	// Aspect is the part of the resource the event changed, for a guard
	// that reads only that part (the exposure guard: "policy", "url",
	// "recursion"); empty reads everything the guard judges.
	Aspect string `json:"aspect,omitempty"`
	// Quick says the event cannot have changed what only a shared-bucket
	// read shows (a code signing config, an alias's weights): a GetFunction
	// that shows the subject trusted settles it.
	Quick bool `json:"quick,omitempty"`
}

// Evaluator is one guard's own logic.
type Evaluator interface {
	// Subjects returns the resources a record points at; none means the
	// record is not this guard's business.
	// Finding them may take reads (a template names its repositories only
	// through the API), hence ctx.
	Subjects(ctx context.Context, rec cloudtrail.Record) ([]Subject, error)
	// Evaluate reads the subject's current state and decides. A subject
	// that no longer exists gives an empty decision, not an error.
	Evaluate(ctx context.Context, s Subject) (finding.Decision, error)
	// Act carries out one planned action, first checking again that the
	// finding it answers still holds.
	Act(ctx context.Context, s Subject, a finding.Action) Outcome
}

// OutcomeStatus says how an action ended.
type OutcomeStatus string

// The outcome statuses.
const (
	// OutcomeDone: the action was carried out.
	OutcomeDone OutcomeStatus = "done"
	// OutcomeNotNeeded: the state was already good when re-read.
	OutcomeNotNeeded OutcomeStatus = "not-needed"
	// OutcomeRefused: AWS will not allow it (for example CodeGuru Reviewer
	// refusing new associations); retrying will not help.
	OutcomeRefused OutcomeStatus = "refused"
	// OutcomeFailed: the action failed; Err says why.
	OutcomeFailed OutcomeStatus = "failed"
)

// Outcome is what came of one action. An action may end in another, safer
// one (a restore that cannot be trusted ends in containment); Taken says
// which action was finally carried out.
type Outcome struct {
	Action finding.Action  `json:"action"`
	Status OutcomeStatus   `json:"status"`
	Taken  *finding.Action `json:"taken,omitempty"`
	// Message explains the outcome for the alert and the log.
	Message string `json:"message,omitempty"`
	Err     error  `json:"-"`
}

// Done is a carried out, as planned.
func Done(a finding.Action, msg string) Outcome {
	t := a
	return Outcome{Action: a, Status: OutcomeDone, Taken: &t, Message: msg}
}

// NotNeeded is a left undone because the state no longer calls for it.
func NotNeeded(a finding.Action, msg string) Outcome {
	return Outcome{Action: a, Status: OutcomeNotNeeded, Message: msg}
}

// Failed is a failed with err.
func Failed(a finding.Action, err error) Outcome {
	return Outcome{Action: a, Status: OutcomeFailed, Err: err, Message: err.Error()}
}

// Log writes the remediation line every guardrail writes for an action:
// the action taken (and the planned one when they differ), the resource,
// the outcome and its message.
func (o Outcome) Log(ctx context.Context) {
	log := logging.From(ctx)
	ev := log.Info()
	if o.Err != nil {
		ev = log.Warn().Err(o.Err)
	}
	taken := o.Action
	if o.Taken != nil && o.Status == OutcomeDone {
		taken = *o.Taken
	}
	if taken.Kind != o.Action.Kind {
		ev = ev.Str(logging.FieldPlanned, string(o.Action.Kind))
	}
	ev.Str(logging.FieldAction, string(taken.Kind)).Str(logging.FieldResource, o.Action.Resource).
		Str(logging.FieldOutcome, string(o.Status)).Str(logging.FieldDetail, o.Message).Msg("remediation")
}
