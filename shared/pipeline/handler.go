package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/settings"
)

// Alerter sends one finding's alert; alert.Publisher is the real one.
type Alerter interface {
	Send(ctx context.Context, a alert.Alert) error
}

// Ledger is what the pipeline needs of the ledger: claims and the audit
// trail. ledger.Table and ledger.Memory provide it.
type Ledger interface {
	Claim(ctx context.Context, eventID string) (bool, error)
	Complete(ctx context.Context, eventID string) error
	Release(ctx context.Context, eventID string) error
	Record(ctx context.Context, e ledger.Entry) error
	// Owe, Owed and Paid keep the alerts about changes the guard made that
	// could not be sent, so the event's retry sends them: by then the state
	// is fixed and no evaluation would reproduce them.
	Owe(ctx context.Context, eventID string, alerts []byte) error
	Owed(ctx context.Context, eventID string) ([]byte, error)
	Paid(ctx context.Context, eventID string) error
}

// The real implementations satisfy the pipeline's interfaces.
var (
	_ Alerter = (*alert.Publisher)(nil)
	_ Alerter = alert.Discard{}
	_ Ledger  = (*ledger.Table)(nil)
	_ Ledger  = (*ledger.Memory)(nil)
)

// Permanent is an error retrying cannot fix: a malformed event, one that is
// not a CloudTrail API call, a subject that cannot be named. The handler
// logs it and returns nil so Lambda does not retry.
type Permanent struct {
	Reason string
	Err    error
}

func (p *Permanent) Error() string {
	if p.Err == nil {
		return p.Reason
	}
	return p.Reason + ": " + p.Err.Error()
}

func (p *Permanent) Unwrap() error { return p.Err }

// IsPermanent reports whether err cannot be fixed by a retry.
func IsPermanent(err error) bool {
	var p *Permanent
	return errors.As(err, &p) || errors.Is(err, cloudtrail.ErrNotCloudTrail)
}

// Handler runs EventBridge deliveries of CloudTrail events through one
// guard. It holds dependencies only; per-event state lives on the stack.
type Handler struct {
	// Name names the guard in logs and alerts.
	Name      string
	Evaluator Evaluator
	Settings  settings.Settings
	Alerter   Alerter
	Ledger    Ledger
	Logger    zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Reserve is the time kept back from the invocation's deadline (and
	// from the claim's lease) to alert, record and give the claim back
	// after the work ran out of time; DefaultReserve if zero.
	Reserve time.Duration
}

// DefaultReserve is the time kept back, by default, for alerting,
// recording and releasing once the work is cut short.
const DefaultReserve = 10 * time.Second

// finishTimeout bounds each step that must run after the work's context
// ended (an alert, an audit write, the claim's release).
const finishTimeout = 5 * time.Second

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) reserve() time.Duration {
	if h.Reserve > 0 {
		return h.Reserve
	}
	return DefaultReserve
}

// Ignored reasons, as logged.
const (
	ReasonOwnWrite    = "the guard's own write"
	ReasonFailedCall  = "failed call"
	ReasonReadOnly    = "read-only call"
	ReasonNoSubjects  = "no resource for this guard"
	ReasonDuplicate   = "duplicate"
	ReasonPermanent   = "permanent error"
	ReasonRetryLater  = "transient error, will retry"
	ReasonActionError = "action failed, will retry"
	ReasonNoTime      = "too little time left, will retry"
)

// Handle runs one event. It returns nil when the event is handled or can
// never be (logged), and an error when a retry may succeed; the claim is
// then released so the retry is not taken for a duplicate.
//
// The work (reads, actions) ends Reserve before the invocation's deadline
// and before the claim's lease runs out, so the run always has time to
// alert, record and release, and no duplicate delivery takes over a claim
// still being worked on. What follows the work runs on a context the
// deadline does not cancel.
func (h *Handler) Handle(ctx context.Context, e events.CloudWatchEvent) error {
	ctx, log := logging.Invocation(ctx, h.Logger.With().Str(logging.FieldGuard, h.Name).Logger())

	rec, err := parse(e)
	if err != nil {
		log.Error().Err(err).Str(logging.FieldEventID, e.ID).Str(logging.FieldReason, ReasonPermanent).Msg("event cannot be handled, not retrying")
		return nil
	}
	eventID := rec.EventID
	if eventID == "" {
		eventID = e.ID
	}
	log = log.With().
		Str(logging.FieldEventID, eventID).
		Str(logging.FieldEventName, rec.EventName).
		Str(logging.FieldOperation, string(rec.Operation())).
		Str(logging.FieldActor, rec.UserIdentity.Actor()).
		Str(logging.FieldActorARN, rec.UserIdentity.IssuerARN()).
		Str(logging.FieldSourceIP, rec.SourceIPAddress).
		Logger()
	ctx = logging.With(ctx, log)

	if reason := h.ignore(rec); reason != "" {
		log.Info().Str(logging.FieldReason, reason).Msg("ignored")
		return nil
	}
	work, cancel := h.within(ctx, time.Time{})
	defer cancel()
	if work.Err() != nil {
		log.Warn().Str(logging.FieldReason, ReasonNoTime).Msg("not started")
		return fmt.Errorf("event %s: %w", eventID, ErrNoTime)
	}
	subjects, err := safeSubjects(work, h.Evaluator, rec)
	if err != nil {
		if IsPermanent(err) {
			log.Error().Err(err).Str(logging.FieldReason, ReasonPermanent).Msg("event cannot be handled, not retrying")
			return nil
		}
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("subjects failed")
		return fmt.Errorf("subjects of event %s: %w", eventID, err)
	}
	if len(subjects) == 0 {
		log.Info().Str(logging.FieldReason, ReasonNoSubjects).Msg("ignored")
		return nil
	}

	claimedAt := time.Now()
	ok, err := h.Ledger.Claim(work, eventID)
	if err != nil {
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("claim failed")
		return fmt.Errorf("claim event %s: %w", eventID, err)
	}
	if !ok {
		log.Info().Str(logging.FieldReason, ReasonDuplicate).Msg("duplicate")
		return nil
	}
	work, cancelLease := h.within(work, claimedAt.Add(ledger.ClaimLease))
	defer cancelLease()
	return h.claimed(ctx, work, e, rec, eventID, subjects)
}

// ErrNoTime means the invocation had too little time left to start.
var ErrNoTime = errors.New("too little time left before the deadline")

// within returns ctx ending Reserve before the earlier of ctx's deadline
// and until (zero: none).
func (h *Handler) within(ctx context.Context, until time.Time) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && (until.IsZero() || d.Before(until)) {
		until = d
	}
	if until.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, until.Add(-h.reserve()))
}

// finishing returns a context for what must follow the work even when its
// time ran out: alerting, recording, releasing the claim. It keeps ctx's
// values (the logger) but not its cancellation.
func finishing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
}

// claimed handles a claimed event: alerts owed from an earlier attempt,
// then the subjects, and completes or releases the claim. ctx carries the
// logger; work bounds the reads and actions.
func (h *Handler) claimed(ctx, work context.Context, e events.CloudWatchEvent, rec cloudtrail.Record, eventID string, subjects []Subject) error {
	log := logging.From(ctx)
	if err := h.payOwed(work, eventID); err != nil {
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("owed alerts not sent, releasing claim")
		h.release(ctx, eventID)
		return err
	}
	if err := h.run(ctx, work, e, rec, eventID, subjects); err != nil {
		if IsPermanent(err) {
			log.Error().Err(err).Str(logging.FieldReason, ReasonPermanent).Msg("event cannot be handled, not retrying")
			h.complete(ctx, eventID)
			return nil
		}
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("event not fully handled, releasing claim")
		h.release(ctx, eventID)
		return err
	}
	// Were this to fail, a retry re-reads the state and finds it good.
	h.complete(ctx, eventID)
	return nil
}

// release gives the claim back for the retry, even after the deadline
// cancelled the work; if it fails, the lease runs out before the retry.
func (h *Handler) release(ctx context.Context, eventID string) {
	fctx, cancel := finishing(ctx)
	defer cancel()
	if err := h.Ledger.Release(fctx, eventID); err != nil {
		log := logging.From(ctx)
		log.Warn().Err(err).Msg("release claim failed")
	}
}

func (h *Handler) complete(ctx context.Context, eventID string) {
	fctx, cancel := finishing(ctx)
	defer cancel()
	if err := h.Ledger.Complete(fctx, eventID); err != nil {
		log := logging.From(ctx)
		log.Warn().Err(err).Msg("complete claim failed")
	}
}

func (h *Handler) ignore(rec cloudtrail.Record) string { return IgnoreReason(h.Settings, rec) }

// IgnoreReason says why a guard does not judge a record (its own write, a
// failed or a read-only call), or "" when it does.
func IgnoreReason(cfg settings.Settings, rec cloudtrail.Record) string {
	switch {
	case cfg.IsGuard(rec.UserIdentity.IssuerARN()):
		return ReasonOwnWrite
	case rec.Failed():
		return ReasonFailedCall
	case rec.IsReadOnly():
		return ReasonReadOnly
	}
	return ""
}

// run evaluates, acts, alerts and records every subject. It goes on after
// a failure so one bad subject does not hide the others, and returns the
// first error.
//
// Reads and actions run on work; alerts and audit entries on a finishing
// context, so that what was done is told even when the work ran out of time.
func (h *Handler) run(ctx, work context.Context, e events.CloudWatchEvent, rec cloudtrail.Record, eventID string, subjects []Subject) error {
	log := logging.From(ctx)
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	mode := h.Settings.Mode
	if mode == "" {
		mode = finding.ModeMonitor
	}
	var owed []alert.Alert
	defer func() {
		if len(owed) == 0 {
			return
		}
		fctx, cancel := finishing(ctx)
		defer cancel()
		if err := h.owe(fctx, eventID, owed); err != nil {
			log.Error().Err(err).Msg("could not keep the unsent alerts; they are in the audit record only")
		}
	}()
	for _, s := range subjects {
		// The subject's logger travels in ctx, so the evaluator's and the
		// actions' lines say which event and subject they belong to.
		slog := log.With().Str(logging.FieldSubject, s.Name).Logger()
		sctx := logging.With(work, slog)
		d, err := safeEvaluate(sctx, h.Evaluator, s)
		if err != nil {
			slog.Error().Err(err).Msg("evaluate failed")
			keep(fmt.Errorf("evaluate %s %s: %w", s.Type, s.Name, err))
			continue
		}
		if len(d.Findings) == 0 {
			slog.Info().Str(logging.FieldDecision, "ok").Str(logging.FieldMode, string(mode)).Msg("decision")
			continue
		}
		outcomes := map[int]Outcome{}
		if mode == finding.ModeEnforce {
			for i, a := range d.Actions {
				o := safeAct(sctx, h.Evaluator, s, a)
				outcomes[i] = o
				if o.Status == OutcomeFailed {
					err := o.Err
					if err == nil {
						err = errors.New(o.Message)
					}
					keep(fmt.Errorf("act %s on %s: %w", a.Kind, s.Name, err))
				}
			}
		}
		for _, f := range d.Findings {
			reports := reportsFor(f, d.Actions, outcomes, mode)
			h.logDecision(slog, f, mode, reports)
			a := alert.Alert{
				Guard: h.Name, Account: account(e, rec), Region: region(e, rec), Mode: mode,
				Event: alert.Event{
					ID: eventID, Name: rec.EventName, Time: rec.EventTime,
					Actor: rec.UserIdentity.Actor(), ActorARN: rec.UserIdentity.IssuerARN(),
					SourceIP: rec.SourceIPAddress, UserAgent: rec.UserAgent,
				},
				Finding: f, Actions: reports,
			}
			if err := h.send(ctx, a); err != nil {
				slog.Error().Err(err).Str(logging.FieldRule, string(f.Rule)).Msg("alert failed")
				keep(fmt.Errorf("alert %s on %s: %w", f.Rule, f.Resource, err))
				if changedState(reports) {
					owed = append(owed, a)
				}
			}
			entry := ledger.Entry{
				Time: h.now(), EventID: eventID, EventName: rec.EventName,
				Actor: rec.UserIdentity.Actor(), ActorARN: rec.UserIdentity.IssuerARN(), SourceIP: rec.SourceIPAddress,
				Mode: mode, Finding: f,
			}
			for _, r := range reports {
				entry.Actions = append(entry.Actions, recordOf(r))
			}
			if err := h.record(ctx, entry); err != nil {
				slog.Error().Err(err).Str(logging.FieldRule, string(f.Rule)).Msg("record failed")
				keep(fmt.Errorf("record %s on %s: %w", f.Rule, f.Resource, err))
			}
		}
	}
	return firstErr
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

// owe keeps alerts for the event's retry, adding to any already owed.
func (h *Handler) owe(ctx context.Context, eventID string, alerts []alert.Alert) error {
	prev, err := h.Ledger.Owed(ctx, eventID)
	if err != nil {
		return err
	}
	var all []alert.Alert
	if len(prev) > 0 {
		if err := json.Unmarshal(prev, &all); err != nil {
			return fmt.Errorf("decode owed alerts: %w", err)
		}
	}
	all = append(all, alerts...)
	payload, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encode owed alerts: %w", err)
	}
	return h.Ledger.Owe(ctx, eventID, payload)
}

// payOwed sends the alerts an earlier attempt at this event could not send.
// What still fails stays owed, and the error makes Lambda retry.
func (h *Handler) payOwed(ctx context.Context, eventID string) error {
	payload, err := h.Ledger.Owed(ctx, eventID)
	if err != nil || len(payload) == 0 {
		return err
	}
	var owed []alert.Alert
	if err := json.Unmarshal(payload, &owed); err != nil {
		// Unreadable: retrying cannot help; the audit record keeps the facts.
		log := logging.From(ctx)
		log.Error().Err(err).Msg("owed alerts unreadable, dropped")
		return h.Ledger.Paid(ctx, eventID)
	}
	var unsent []alert.Alert
	for _, a := range owed {
		if err := h.Alerter.Send(ctx, a); err != nil {
			unsent = append(unsent, a)
		}
	}
	if len(unsent) == 0 {
		return h.Ledger.Paid(ctx, eventID)
	}
	b, err := json.Marshal(unsent)
	if err == nil {
		err = h.Ledger.Owe(ctx, eventID, b)
	}
	if err != nil {
		return fmt.Errorf("keep %d owed alerts: %w", len(unsent), err)
	}
	return fmt.Errorf("%d owed alerts of event %s still unsent", len(unsent), eventID)
}

// reportsFor returns the actions that answer f, with their outcomes (or as
// planned in monitor mode). Each report is the one account of its action:
// the decision line, the alert and the audit entry are all built from it.
func reportsFor(f finding.Finding, actions []finding.Action, outcomes map[int]Outcome, mode finding.Mode) []alert.ActionReport {
	var out []alert.ActionReport
	for i, a := range actions {
		if !answers(a, f.Rule) {
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

func answers(a finding.Action, rule finding.RuleID) bool {
	for _, r := range a.For {
		if r == rule {
			return true
		}
	}
	return false
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
func (h *Handler) logDecision(log zerolog.Logger, f finding.Finding, mode finding.Mode, reports []alert.ActionReport) {
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
	ev.Str(logging.FieldDecision, "finding").
		Str(logging.FieldRule, string(f.Rule)).
		Str(logging.FieldSeverity, string(f.Severity)).
		Str(logging.FieldMode, string(mode)).
		Str(logging.FieldResource, f.Resource).
		Msg(f.Summary)
}

// parse turns the delivered event back into a CloudTrail record; anything
// that fails here can never succeed, so every error is Permanent.
func parse(e events.CloudWatchEvent) (cloudtrail.Record, error) {
	if e.DetailType != cloudtrail.DetailType {
		return cloudtrail.Record{}, &Permanent{Reason: fmt.Sprintf("detail-type %q", e.DetailType), Err: cloudtrail.ErrNotCloudTrail}
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return cloudtrail.Record{}, &Permanent{Reason: "re-encode event", Err: err}
	}
	_, rec, err := cloudtrail.ParseEnvelope(raw)
	if err != nil {
		return cloudtrail.Record{}, &Permanent{Reason: "malformed event", Err: err}
	}
	return rec, nil
}

func account(e events.CloudWatchEvent, rec cloudtrail.Record) string {
	if rec.RecipientAccountID != "" {
		return rec.RecipientAccountID
	}
	return e.AccountID
}

func region(e events.CloudWatchEvent, rec cloudtrail.Record) string {
	if rec.AWSRegion != "" {
		return rec.AWSRegion
	}
	return e.Region
}

// PanicError is a panic in guard code, turned into an error so that the
// invocation fails and is retried instead of crashing the runtime.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("guard panicked: %v", p.Value) }

func recovered(r any) error { return &PanicError{Value: r, Stack: debug.Stack()} }

func safeSubjects(ctx context.Context, ev Evaluator, rec cloudtrail.Record) (s []Subject, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return ev.Subjects(ctx, rec)
}

func safeEvaluate(ctx context.Context, ev Evaluator, s Subject) (d finding.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return ev.Evaluate(ctx, s)
}

func safeAct(ctx context.Context, ev Evaluator, s Subject, a finding.Action) (o Outcome) {
	defer func() {
		if r := recover(); r != nil {
			err := recovered(r)
			o = Outcome{Action: a, Status: OutcomeFailed, Message: err.Error(), Err: err}
		}
	}()
	o = ev.Act(ctx, s, a)
	if o.Status == "" {
		o.Status = OutcomeFailed
		if o.Err != nil {
			o.Message = o.Err.Error()
		}
	}
	return o
}

// SubjectDecision is one subject and what the guard decided about it.
type SubjectDecision struct {
	Subject  Subject          `json:"subject"`
	Decision finding.Decision `json:"decision"`
}

// Evaluate decides on every subject of a record and changes nothing: no
// action, no alert, no ledger. selfguard evaluate and the sweep use it.
func Evaluate(ctx context.Context, ev Evaluator, rec cloudtrail.Record) ([]SubjectDecision, error) {
	subjects, err := safeSubjects(ctx, ev, rec)
	if err != nil {
		return nil, fmt.Errorf("subjects of %s: %w", rec.EventName, err)
	}
	out := make([]SubjectDecision, 0, len(subjects))
	for _, s := range subjects {
		d, err := safeEvaluate(ctx, ev, s)
		if err != nil {
			return out, fmt.Errorf("evaluate %s %s: %w", s.Type, s.Name, err)
		}
		out = append(out, SubjectDecision{Subject: s, Decision: d})
	}
	return out, nil
}
