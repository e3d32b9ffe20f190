package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
)

// run judges every subject of a job. It goes on after a failure so one bad
// subject does not hide the others, and returns the first error. Alerts
// about changes the guard made that could not be sent are kept for the
// retry.
//
// Reads and actions run on work; alerts and audit entries on a finishing
// context, so that what was done is told even when the work ran out of time.
func (h *Handler) run(ctx, work context.Context, j job) error {
	var firstErr error
	var owed []alert.Alert
	for _, s := range j.subjects {
		s.Event = &j.rec // for the edge rules: what the event says was done
		unsent, err := h.judge(ctx, work, j, s)
		owed = append(owed, unsent...)
		if firstErr == nil {
			firstErr = err
		}
	}
	if len(owed) > 0 {
		fctx, cancel := finishing(ctx)
		defer cancel()
		if err := h.owe(fctx, j.record, owed); err != nil {
			log := logging.From(ctx)
			log.Error().Err(err).Msg("could not keep the unsent alerts; they are in the audit record only")
		}
	}
	return firstErr
}

// judge evaluates one subject, acts on it in enforce mode and tells of each
// finding. It returns the first error and the alerts to keep: those about
// a change made that could not be sent.
func (h *Handler) judge(ctx, work context.Context, j job, s Subject) ([]alert.Alert, error) {
	// The subject's logger travels in the context, so the evaluator's and
	// the actions' lines say which event and subject they belong to.
	log := logging.From(ctx).With().Str(logging.FieldSubject, s.Name).Logger()
	ctx, work = logging.With(ctx, log), logging.With(work, log)
	readAt := h.now()
	d, err := safeEvaluate(work, h.Evaluator, s)
	if err != nil {
		log.Error().Err(err).Msg("evaluate failed")
		return nil, fmt.Errorf("evaluate %s %s: %w", s.Type, s.Name, err)
	}
	h.tellHub(work, log, j, s, d)
	if len(d.Findings) == 0 {
		h.Judged.Fine(s, readAt)
		log.Info().Str(logging.FieldDecision, "ok").Str(logging.FieldMode, string(j.mode)).Msg("decision")
		return nil, nil
	}
	h.Judged.Forget(s)
	outcomes, firstErr := h.act(work, j, s, d.Actions)
	var owed []alert.Alert
	for _, f := range d.Findings {
		reports := reportsFor(f, d.Actions, outcomes, j.mode)
		unsent, err := h.tell(ctx, log, j, f, reports)
		if unsent != nil {
			owed = append(owed, *unsent)
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return owed, firstErr
}

// act carries out the planned actions in enforce mode and returns their
// outcomes by index, and the first failure.
func (h *Handler) act(work context.Context, j job, s Subject, actions []finding.Action) (map[int]Outcome, error) {
	outcomes := map[int]Outcome{}
	if j.mode != finding.ModeEnforce {
		return outcomes, nil
	}
	var firstErr error
	for i, a := range actions {
		o := safeAct(work, h.Evaluator, s, a)
		outcomes[i] = o
		if o.Status == OutcomeFailed && firstErr == nil {
			err := o.Err
			if err == nil {
				err = errors.New(o.Message)
			}
			firstErr = fmt.Errorf("act %s on %s: %w", a.Kind, s.Name, err)
		}
	}
	return outcomes, firstErr
}

// tell logs, alerts and records one finding, all three from the same
// reports. It returns the alert when it could not be sent and reports a
// change the guard made (a retry would find nothing left to say).
func (h *Handler) tell(ctx context.Context, log zerolog.Logger, j job, f finding.Finding, reports []alert.ActionReport) (*alert.Alert, error) {
	h.logDecision(log, f, j.mode, reports, j.rec.EventTime)
	rec := j.rec
	a := alert.Alert{
		Guard: h.Name, Account: account(j.e, rec), Region: region(j.e, rec), Mode: j.mode,
		Event: alert.Event{
			ID: j.eventID, Name: rec.EventName, Time: rec.EventTime,
			Actor: rec.UserIdentity.Actor(), ActorARN: rec.UserIdentity.IssuerARN(),
			SourceIP: rec.SourceIPAddress, UserAgent: rec.UserAgent,
		},
		Finding: f, Actions: reports,
	}
	var unsent *alert.Alert
	var firstErr error
	if err := h.send(ctx, a); err != nil {
		log.Error().Err(err).Str(logging.FieldRule, string(f.Rule)).Msg("alert failed")
		firstErr = fmt.Errorf("alert %s on %s: %w", f.Rule, f.Resource, err)
		if changedState(reports) {
			unsent = &a
		}
	}
	entry := ledger.Entry{
		Time: h.now(), EventID: j.eventID, EventName: rec.EventName,
		Actor: rec.UserIdentity.Actor(), ActorARN: rec.UserIdentity.IssuerARN(), SourceIP: rec.SourceIPAddress,
		Mode: j.mode, Finding: f,
	}
	for _, r := range reports {
		entry.Actions = append(entry.Actions, recordOf(r))
	}
	if err := h.record(ctx, entry); err != nil {
		log.Error().Err(err).Str(logging.FieldRule, string(f.Rule)).Msg("record failed")
		if firstErr == nil {
			firstErr = fmt.Errorf("record %s on %s: %w", f.Rule, f.Resource, err)
		}
	}
	return unsent, firstErr
}

func (h *Handler) send(ctx context.Context, a alert.Alert) error {
	fctx, cancel := finishing(ctx)
	defer cancel()
	return h.Alerter.Send(fctx, a)
}

func (h *Handler) record(ctx context.Context, e ledger.Entry) error {
	fctx, cancel := finishing(ctx)
	defer cancel()
	return h.Ledger.Record(fctx, e)
}

// changedState reports whether the guard changed something for the
// finding: then a retry finds the state fixed and only the kept alert tells.
func changedState(reports []alert.ActionReport) bool {
	for _, r := range reports {
		if r.Status == alert.StatusDone {
			return true
		}
	}
	return false
}

// reportsFor returns the actions that answer f, with their outcomes (or as
// planned in monitor mode). Each report is the one account of its action:
// the decision line, the alert and the audit entry are all built from it.
func reportsFor(f finding.Finding, actions []finding.Action, outcomes map[int]Outcome, mode finding.Mode) []alert.ActionReport {
	var out []alert.ActionReport
	for i, a := range actions {
		if !a.Answers(f.Rule) {
			continue
		}
		r := alert.ActionReport{Action: a, Status: alert.StatusPlanned}
		if o, ok := outcomes[i]; ok && mode == finding.ModeEnforce {
			r.Status, r.Message = alert.Status(o.Status), o.Message
			if o.Status == OutcomeDone {
				// Only what was done was taken: a not-needed containment
				// ("already contained") took nothing.
				r.Taken = o.Taken
			}
			if r.Message == "" && o.Err != nil {
				r.Message = o.Err.Error()
			}
		}
		out = append(out, r)
	}
	return out
}

// recordOf is the audit's account of a report: the action planned, how it
// ended and, when done, the action carried out, as the alert names it.
func recordOf(r alert.ActionReport) ledger.ActionRecord {
	rec := ledger.ActionRecord{Action: r.Action, Status: string(r.Status), Message: r.Message}
	if r.Status == alert.StatusDone {
		taken := r.Effective()
		rec.Taken = &taken
	}
	return rec
}

// logDecision writes the decision line of a finding: the actions as the
// alert names them (the one carried out) and, where a fallback replaced
// one, the one planned.
func (h *Handler) logDecision(log zerolog.Logger, f finding.Finding, mode finding.Mode, reports []alert.ActionReport, eventTime time.Time) {
	ev := log.Warn()
	if len(reports) == 0 {
		ev = ev.Str(logging.FieldAction, "none").Str(logging.FieldOutcome, "none")
	}
	kinds, planned, statuses := []string{}, []string{}, []string{}
	fallback := false
	for _, r := range reports {
		kinds = append(kinds, string(r.Effective().Kind))
		planned = append(planned, string(r.Action.Kind))
		statuses = append(statuses, string(r.Status))
		fallback = fallback || r.Effective().Kind != r.Action.Kind
	}
	if len(reports) > 0 {
		ev = ev.Strs(logging.FieldAction, kinds).Strs(logging.FieldOutcome, statuses)
	}
	if fallback {
		ev = ev.Strs(logging.FieldPlanned, planned)
	}
	// The line is also the finding's metrics (EMF): findings, actions by
	// outcome, event-to-decision latency.
	ev = logging.FindingMetrics(ev, h.now(), eventTime, outcomeCounts(reports))
	ev.Str(logging.FieldDecision, "finding").
		Str(logging.FieldRule, string(f.Rule)).
		Str(logging.FieldSeverity, string(f.Severity)).
		Str(logging.FieldMode, string(mode)).
		Str(logging.FieldResource, f.Resource).
		Msg(f.Summary)
}

func outcomeCounts(reports []alert.ActionReport) logging.Outcomes {
	var o logging.Outcomes
	for _, r := range reports {
		switch r.Status {
		case alert.StatusDone:
			o.Done++
		case alert.StatusFailed:
			o.Failed++
		case alert.StatusRefused:
			o.Refused++
		case alert.StatusPlanned:
			o.Planned++
		default:
			o.Other++
		}
	}
	return o
}

// Hub is told what each judgement of a resource found (Security Hub:
// hubsync.Guard), so that it holds the open findings and archives the gone.
type Hub interface {
	Judged(ctx context.Context, account, region, resource string, findings []finding.Finding) error
}

// tellHub passes a judgement to the Hub, if there is one. Its failure is
// logged and costs nothing else: alerts and actions do not wait on it.
func (h *Handler) tellHub(ctx context.Context, log zerolog.Logger, j job, s Subject, d finding.Decision) {
	if h.Hub == nil {
		return
	}
	if err := h.Hub.Judged(ctx, account(j.e, j.rec), region(j.e, j.rec), s.Name, d.Findings); err != nil {
		log.Error().Err(err).Msg("security hub not updated")
	}
}
