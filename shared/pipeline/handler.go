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
// trail. ledger.Table and ledger.Memory provide it. The pipeline passes its
// claim and record keys (content digests after the CloudTrail event id) as
// the event ids.
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
	// Hub, when set, is told every judgement (Security Hub).
	Hub Hub
	// Judged remembers subjects read and found fine, so that events about
	// changes made before such a read are dismissed without a read; nil
	// reads for every event.
	Judged *Judged
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

// ErrMonitorMode is an Evaluator's failed Outcome when Act is called in
// monitor mode: the pipeline never does that, so it means a wiring bug.
var ErrMonitorMode = errors.New("monitor mode: actions are not taken")

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
	ReasonJudgedSince = "judged since the change"
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
	ctx, log = withRecord(ctx, log, rec, eventID)
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
	subjects, err := h.subjects(work, log, rec, eventID)
	if err != nil || len(subjects) == 0 {
		return err
	}
	if subjects = h.Judged.uncovered(subjects, rec.EventTime); len(subjects) == 0 {
		log.Info().Str(logging.FieldReason, ReasonJudgedSince).Msg("ignored")
		return nil
	}
	return h.claimAndRun(ctx, work, newJob(e, rec, eventID, subjects, h.mode()))
}

// withRecord puts the record's identifying fields on every later log line.
func withRecord(ctx context.Context, log zerolog.Logger, rec cloudtrail.Record, eventID string) (context.Context, zerolog.Logger) {
	log = log.With().
		Str(logging.FieldEventID, eventID).
		Str(logging.FieldEventName, rec.EventName).
		Str(logging.FieldOperation, string(rec.Operation())).
		Str(logging.FieldActor, rec.UserIdentity.Actor()).
		Str(logging.FieldActorARN, rec.UserIdentity.IssuerARN()).
		Str(logging.FieldSourceIP, rec.SourceIPAddress).
		Logger()
	return logging.With(ctx, log), log
}

// subjects names the resources the record concerns. A permanent failure or
// no subject is logged and ends the event (nil error, empty list); a
// transient failure is returned so Lambda retries.
func (h *Handler) subjects(ctx context.Context, log zerolog.Logger, rec cloudtrail.Record, eventID string) ([]Subject, error) {
	subjects, err := safeSubjects(ctx, h.Evaluator, rec)
	switch {
	case err != nil && IsPermanent(err):
		log.Error().Err(err).Str(logging.FieldReason, ReasonPermanent).Msg("event cannot be handled, not retrying")
		return nil, nil
	case err != nil:
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("subjects failed")
		return nil, fmt.Errorf("subjects of event %s: %w", eventID, err)
	case len(subjects) == 0:
		log.Info().Str(logging.FieldReason, ReasonNoSubjects).Msg("ignored")
	}
	return subjects, nil
}

// claimAndRun claims the job (a duplicate ends here) and runs it within the
// claim's lease.
func (h *Handler) claimAndRun(ctx, work context.Context, j job) error {
	log := logging.From(ctx)
	claimedAt := time.Now()
	ok, err := h.Ledger.Claim(work, j.claim)
	if err != nil {
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("claim failed")
		return fmt.Errorf("claim event %s: %w", j.eventID, err)
	}
	if !ok {
		log.Info().Str(logging.FieldReason, ReasonDuplicate).Msg("duplicate")
		return nil
	}
	work, cancelLease := h.within(ctx, claimedAt.Add(ledger.ClaimLease))
	defer cancelLease()
	return h.claimed(ctx, work, j)
}

func (h *Handler) mode() finding.Mode {
	if h.Settings.Mode == "" {
		return finding.ModeMonitor
	}
	return h.Settings.Mode
}

func (h *Handler) ignore(rec cloudtrail.Record) string { return IgnoreReason(h.Settings, rec) }

// IgnoreReason says why a guard does not judge a record (its own write: the
// guards' role in a session of one of the stack's functions; a failed or a
// read-only call), or "" when it does.
func IgnoreReason(cfg settings.Settings, rec cloudtrail.Record) string {
	switch {
	case cfg.IsGuard(rec.UserIdentity.IssuerARN(), rec.UserIdentity.ARN):
		return ReasonOwnWrite
	case rec.Failed():
		return ReasonFailedCall
	case rec.IsReadOnly():
		return ReasonReadOnly
	}
	return ""
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
		s.Event = &rec
		d, err := safeEvaluate(ctx, ev, s)
		if err != nil {
			return out, fmt.Errorf("evaluate %s %s: %w", s.Type, s.Name, err)
		}
		out = append(out, SubjectDecision{Subject: s, Decision: d})
	}
	return out, nil
}
