package sweep

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// Findings is the part of the ledger the tracker uses.
type Findings interface {
	Sight(ctx context.Context, f finding.Finding, now time.Time) (ledger.Sighting, error)
	Told(ctx context.Context, s ledger.Sighting) error
	Untold(ctx context.Context, s ledger.Sighting) error
	Close(ctx context.Context, key string, now time.Time) error
	OpenFindings(ctx context.Context) ([]ledger.Open, error)
	Record(ctx context.Context, e ledger.Entry) error
}

// RunStore is the part of Runs the tracker uses.
type RunStore interface {
	BatchDone(ctx context.Context, run string, index int) (Progress, error)
	ClaimFinish(ctx context.Context, run string, now time.Time) (bool, error)
	MarkFinished(ctx context.Context, run string, now time.Time) error
	ReleaseFinish(ctx context.Context, run string) error
}

// Notice is one finding worth telling a person about: new, changed or
// reopened since the last sweep, or acted on.
type Notice struct {
	Run      string             `json:"run"`
	Mode     finding.Mode       `json:"mode"`
	Change   ledger.Change      `json:"change"`
	Subject  pipeline.Subject   `json:"subject"`
	Finding  finding.Finding    `json:"finding"`
	Actions  []finding.Action   `json:"actions,omitempty"`
	Outcomes []pipeline.Outcome `json:"outcomes,omitempty"`
	// Repaired says the state read after acting no longer has the
	// finding, so the ledger closed it at once.
	Repaired bool `json:"repaired,omitempty"`
	// Cause is the event behind a fan-out batch; nil for the sweep.
	Cause *Cause `json:"cause,omitempty"`
}

// Summary is the one alert per sweep that still finds something open.
type Summary struct {
	Run      string                   `json:"run"`
	Started  time.Time                `json:"started"`
	Finished time.Time                `json:"finished"`
	Closed   int                      `json:"closed"`
	Counts   map[finding.Severity]int `json:"counts"`
	// Open are the findings still open, most severe first, oldest first
	// within a severity.
	Open []ledger.Open `json:"open"`
}

// Hub receives the findings open after each run.
type Hub interface {
	Sync(ctx context.Context, open []ledger.Open) error
}

// Notifier tells people: the SNS alert topic in the account.
type Notifier interface {
	Notice(ctx context.Context, n Notice) error
	Summary(ctx context.Context, s Summary) error
}

// Tracker is the sink of a sweep in the account: it keeps each finding in
// the ledger, alerts on what is new or changed, and, once every batch of a
// run is done, closes what was not seen again and sends the summary.
type Tracker struct {
	Run      string
	Mode     finding.Mode
	Findings Findings
	Runs     RunStore
	Notify   Notifier
	// Hub, when set, is told at the end of each run what is still open
	// (Security Hub: hubsync.Sweep), so that it archives what was fixed.
	Hub Hub
	Now func() time.Time
	// Cause is the event behind a fan-out batch; nil for the sweep.
	Cause *Cause
}

func (t *Tracker) now() time.Time {
	if t.Now != nil {
		return t.Now().UTC()
	}
	return time.Now().UTC()
}

// Result records one resource's findings and alerts on the new ones.
func (t *Tracker) Result(ctx context.Context, r Result) error {
	now := t.now()
	var errs []error
	for _, f := range r.Decision.Findings {
		if err := t.one(ctx, r, f, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *Tracker) one(ctx context.Context, r Result, f finding.Finding, now time.Time) error {
	seen, err := t.Findings.Sight(ctx, f, now)
	if err != nil {
		return fmt.Errorf("record finding: %w", err)
	}
	n := Notice{Run: t.Run, Mode: t.Mode, Change: seen.Change, Subject: r.Subject, Finding: f, Cause: t.Cause}
	for _, a := range r.Decision.Actions {
		if a.Answers(f.Rule) {
			n.Actions = append(n.Actions, a)
		}
	}
	for _, o := range r.Outcomes {
		if o.Action.Answers(f.Rule) {
			n.Outcomes = append(n.Outcomes, o)
		}
	}
	n.Repaired = r.After != nil && !holds(*r.After, f)
	if !seen.Tell && !anyDone(n.Outcomes) {
		return nil // already told (or being told by another delivery), nothing changed
	}
	entry := ledger.Entry{Time: now, EventName: "sweep", EventID: t.Run, Mode: t.Mode, Finding: f}
	if t.Cause != nil {
		entry.EventName, entry.EventID, entry.Actor = t.Cause.EventName, t.Cause.EventID, t.Cause.Actor
	}
	for _, a := range n.Actions {
		rec := ledger.ActionRecord{Action: a, Status: "planned"}
		for _, o := range n.Outcomes {
			if o.Action.Kind == a.Kind && o.Action.Resource == a.Resource {
				rec.Status, rec.Taken, rec.Message = string(o.Status), o.Taken, o.Message
			}
		}
		entry.Actions = append(entry.Actions, rec)
	}
	if err := t.Findings.Record(ctx, entry); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	if err := t.Notify.Notice(ctx, n); err != nil {
		// The alert stays owed: the retried batch's sighting sends it.
		if uerr := t.Findings.Untold(ctx, seen); uerr != nil {
			return errors.Join(fmt.Errorf("alert: %w", err), uerr)
		}
		return fmt.Errorf("alert: %w", err)
	}
	if err := t.Findings.Told(ctx, seen); err != nil {
		return fmt.Errorf("confirm alert: %w", err)
	}
	if n.Repaired {
		if err := t.Findings.Close(ctx, f.Key(), now); err != nil {
			return fmt.Errorf("close repaired finding: %w", err)
		}
	}
	return nil
}

// anyDone reports whether an action changed something: worth telling even
// about a finding already known.
func anyDone(os []pipeline.Outcome) bool {
	for _, o := range os {
		if o.Status == pipeline.OutcomeDone {
			return true
		}
	}
	return false
}

// holds reports whether a decision still has the finding.
func holds(d finding.Decision, f finding.Finding) bool {
	for _, g := range d.Findings {
		if g.Key() == f.Key() {
			return true
		}
	}
	return false
}

// BatchDone records a finished batch and, if it was the run's last,
// finishes the run.
func (t *Tracker) BatchDone(ctx context.Context, index int) error {
	p, err := t.Runs.BatchDone(ctx, t.Run, index)
	if err != nil {
		return err
	}
	return t.MaybeFinish(ctx, p)
}

// MaybeFinish finishes a complete run once: the lister calls it after
// recording the total (every batch may already be done), workers after
// each batch.
func (t *Tracker) MaybeFinish(ctx context.Context, p Progress) error {
	if !p.Complete() || p.Finished {
		return nil
	}
	now := t.now()
	ok, err := t.Runs.ClaimFinish(ctx, t.Run, now)
	if err != nil || !ok {
		return err
	}
	if err := t.finish(ctx, p, now); err != nil {
		if rerr := t.Runs.ReleaseFinish(ctx, t.Run); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return t.Runs.MarkFinished(ctx, t.Run, now)
}

// finish closes the findings this run did not see again and sends the
// summary if anything is still open.
func (t *Tracker) finish(ctx context.Context, p Progress, now time.Time) error {
	open, err := t.Findings.OpenFindings(ctx)
	if err != nil {
		return err
	}
	s := Summary{Run: t.Run, Started: p.Started, Finished: now, Counts: map[finding.Severity]int{}}
	var still []ledger.Open
	for _, o := range open {
		if o.ClosedAt != nil {
			continue
		}
		if !p.Started.IsZero() && o.LastSeen.Before(p.Started) {
			if err := t.Findings.Close(ctx, o.Finding.Key(), now); err != nil {
				return err
			}
			s.Closed++
			continue
		}
		still = append(still, o)
		s.Counts[o.Finding.Severity]++
	}
	var hubErr error
	if t.Hub != nil {
		// Security Hub hears every run, even one that leaves nothing open;
		// its failure does not hold back the summary.
		hubErr = t.Hub.Sync(ctx, still)
	}
	if len(still) == 0 {
		return hubErr
	}
	sort.SliceStable(still, func(i, j int) bool {
		a, b := still[i], still[j]
		if ra, rb := a.Finding.Severity.Rank(), b.Finding.Severity.Rank(); ra != rb {
			return ra > rb
		}
		return a.FirstSeen.Before(b.FirstSeen)
	})
	s.Open = still
	return errors.Join(t.Notify.Summary(ctx, s), hubErr)
}
