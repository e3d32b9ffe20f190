package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/logging"
)

// job is one claimed event on its way through the pipeline.
type job struct {
	e   events.CloudWatchEvent
	rec cloudtrail.Record
	// eventID is CloudTrail's id, as alerts and the audit name the event.
	eventID string
	// record names the record's content (recordKey): alerts owed from an
	// earlier attempt are kept under it. claim names what is judged (the
	// record and its subjects): the ledger's claim.
	record, claim string
	subjects      []Subject
	mode          finding.Mode
}

func newJob(e events.CloudWatchEvent, rec cloudtrail.Record, eventID string, subjects []Subject, mode finding.Mode) job {
	record := recordKey(eventID, rec)
	return job{e: e, rec: rec, eventID: eventID, record: record, claim: claimKey(record, subjects), subjects: subjects, mode: mode}
}

// recordKey names a record by the content that matters (who did what, with
// which parameters and result), under the CloudTrail event id. Whoever may
// invoke the guard chooses the payload, the event id included: keyed on the
// id alone, a forged copy delivered first would turn the real delivery into
// a "duplicate". Keyed on the content, a forged or replayed payload either
// differs (and is one more check of the real state) or is the real event.
func recordKey(eventID string, rec cloudtrail.Record) string {
	content := struct {
		EventID           string                  `json:"eventID"`
		EventSource       string                  `json:"eventSource"`
		EventName         string                  `json:"eventName"`
		RequestParameters json.RawMessage         `json:"requestParameters"`
		ResponseElements  json.RawMessage         `json:"responseElements"`
		UserIdentity      cloudtrail.UserIdentity `json:"userIdentity"`
	}{rec.EventID, rec.EventSource, rec.EventName, raw(rec.RequestParameters), raw(rec.ResponseElements), rec.UserIdentity}
	return eventID + "#" + digest(content)
}

// claimKey names what a run judges: the record and the subjects it points
// at (found through the API for some records, so the same record may point
// elsewhere later).
func claimKey(record string, subjects []Subject) string {
	named := make([]Subject, len(subjects))
	copy(named, subjects)
	sort.Slice(named, func(i, j int) bool { return subjectKey(named[i]) < subjectKey(named[j]) })
	return record + "#" + digest(named)
}

func digest(v any) string {
	b, _ := json.Marshal(v) // strings and valid raw JSON always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func subjectKey(s Subject) string { return string(s.Type) + "/" + s.Name + "/" + s.Qualifier }

// raw keeps a raw JSON value fit to marshal: absent is null.
func raw(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || !json.Valid(m) {
		return json.RawMessage("null")
	}
	return m
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

// claimed handles a claimed event: the subjects, then alerts owed from an
// earlier attempt, and completes or releases the claim. The owed alerts
// tell of changes made already, so they come after this attempt's actions
// (the attacker's window ends with the action); what still fails stays
// owed and the claim goes back for the retry. ctx carries the logger; work
// bounds the reads and actions.
func (h *Handler) claimed(ctx, work context.Context, j job) error {
	log := logging.From(ctx)
	err := h.run(ctx, work, j)
	fctx, cancel := finishing(ctx)
	defer cancel()
	if owedErr := h.payOwed(fctx, j.record); owedErr != nil {
		log.Error().Err(owedErr).Str(logging.FieldReason, ReasonRetryLater).Msg("owed alerts not sent, releasing claim")
		if err == nil || IsPermanent(err) {
			err = owedErr // a retry can send them
		}
	}
	if err != nil {
		if IsPermanent(err) {
			log.Error().Err(err).Str(logging.FieldReason, ReasonPermanent).Msg("event cannot be handled, not retrying")
			h.complete(ctx, j.claim)
			return nil
		}
		log.Error().Err(err).Str(logging.FieldReason, ReasonRetryLater).Msg("event not fully handled, releasing claim")
		h.release(ctx, j.claim)
		return err
	}
	// Were this to fail, a retry re-reads the state and finds it good.
	h.complete(ctx, j.claim)
	return nil
}

// release gives the claim back for the retry, even after the deadline
// cancelled the work; if it fails, the lease runs out before the retry.
func (h *Handler) release(ctx context.Context, claim string) {
	fctx, cancel := finishing(ctx)
	defer cancel()
	if err := h.Ledger.Release(fctx, claim); err != nil {
		log := logging.From(ctx)
		log.Warn().Err(err).Msg("release claim failed")
	}
}

func (h *Handler) complete(ctx context.Context, claim string) {
	fctx, cancel := finishing(ctx)
	defer cancel()
	if err := h.Ledger.Complete(fctx, claim); err != nil {
		log := logging.From(ctx)
		log.Warn().Err(err).Msg("complete claim failed")
	}
}

// owe keeps alerts for the event's retry, adding to any already owed.
func (h *Handler) owe(ctx context.Context, record string, alerts []alert.Alert) error {
	prev, err := h.Ledger.Owed(ctx, record)
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
	return h.Ledger.Owe(ctx, record, payload)
}

// payOwed sends the alerts an earlier attempt at this event could not send.
// What still fails stays owed, and the error makes Lambda retry.
func (h *Handler) payOwed(ctx context.Context, record string) error {
	payload, err := h.Ledger.Owed(ctx, record)
	if err != nil || len(payload) == 0 {
		return err
	}
	var owed []alert.Alert
	if err := json.Unmarshal(payload, &owed); err != nil {
		// Unreadable: retrying cannot help; the audit record keeps the facts.
		log := logging.From(ctx)
		log.Error().Err(err).Msg("owed alerts unreadable, dropped")
		return h.Ledger.Paid(ctx, record)
	}
	var unsent []alert.Alert
	for _, a := range owed {
		if err := h.Alerter.Send(ctx, a); err != nil {
			unsent = append(unsent, a)
		}
	}
	if len(unsent) == 0 {
		return h.Ledger.Paid(ctx, record)
	}
	b, err := json.Marshal(unsent)
	if err == nil {
		err = h.Ledger.Owe(ctx, record, b)
	}
	if err != nil {
		return fmt.Errorf("keep %d owed alerts: %w", len(unsent), err)
	}
	return fmt.Errorf("%d owed alerts of record %s still unsent", len(unsent), record)
}
