package sweep

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// Sender is what the alert publisher (alert.Publisher) offers.
type Sender interface {
	Send(ctx context.Context, a alert.Alert) error
	SendSummary(ctx context.Context, s alert.Summary) error
}

// EventName is how sweep alerts name their cause, where the event-driven
// guards name a CloudTrail event.
const EventName = "ScheduledSweep"

// Alerts turns the sweep's notices into the guards' alerts.
type Alerts struct {
	Sender  Sender
	Account string
	Region  string
	Mode    finding.Mode
}

// Notice sends one finding's alert.
func (a *Alerts) Notice(ctx context.Context, n Notice) error {
	al := alert.Alert{
		Guard: "sweep", Account: a.Account, Region: a.Region, Mode: n.Mode, Finding: n.Finding,
		Event: alert.Event{ID: n.Run, Name: EventName, Actor: "unknown (found by the scheduled sweep; see CloudTrail)"},
	}
	if c := n.Cause; c != nil {
		// A fan-out batch: the guard's own event, judged by the workers.
		al.Guard = "lambda-guard (through the sweep workers)"
		al.Event = alert.Event{ID: c.EventID, Name: c.EventName, Actor: c.Actor}
	}
	for _, act := range n.Actions {
		rep := alert.ActionReport{Action: act, Status: alert.StatusPlanned}
		for _, o := range n.Outcomes {
			if o.Action.Kind == act.Kind && o.Action.Resource == act.Resource {
				rep.Status, rep.Taken, rep.Message = statusOf(o.Status), o.Taken, o.Message
				if o.Err != nil && rep.Message == "" {
					rep.Message = o.Err.Error()
				}
			}
		}
		al.Actions = append(al.Actions, rep)
	}
	if err := a.Sender.Send(ctx, al); err != nil {
		return fmt.Errorf("send alert for %s: %w", n.Finding.Key(), err)
	}
	return nil
}

// Summary sends the sweep's summary of what is still open.
func (a *Alerts) Summary(ctx context.Context, s Summary) error {
	sum := alert.Summary{Account: a.Account, Region: a.Region, Mode: a.Mode, Time: s.Finished, Label: "open after sweep"}
	sum.Findings = make([]finding.Finding, 0, len(s.Open))
	for _, o := range s.Open {
		sum.Findings = append(sum.Findings, o.Finding)
	}
	if err := a.Sender.SendSummary(ctx, sum); err != nil {
		return fmt.Errorf("send sweep summary: %w", err)
	}
	return nil
}

func statusOf(s pipeline.OutcomeStatus) alert.Status {
	switch s {
	case pipeline.OutcomeDone:
		return alert.StatusDone
	case pipeline.OutcomeNotNeeded:
		return alert.StatusNotNeeded
	case pipeline.OutcomeRefused:
		return alert.StatusRefused
	}
	return alert.StatusFailed
}
