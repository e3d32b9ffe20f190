package ledger

import (
	"context"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// Retention and lease defaults.
const (
	// ClaimTTL is how long a claimed event id is remembered. EventBridge
	// and Lambda retries come within hours, so a week is ample.
	ClaimTTL = 7 * 24 * time.Hour
	// ClaimLease is how long an in-progress claim holds before another
	// run may take it over. It is shorter than the wait before Lambda's
	// first retry of a failed asynchronous invocation (one minute), so a
	// run killed before it could release its claim (timeout, crash, out of
	// memory) never makes that retry a "duplicate": the event would then
	// wait for the next sweep. The pipeline ends its work before the lease
	// does, so a duplicate delivery never takes over a claim still in use.
	ClaimLease = 50 * time.Second
	// AuditTTL keeps audit entries a little over a year.
	AuditTTL = 400 * 24 * time.Hour
)

// Entry is one finding as it was handled: who caused it, what the guard
// decided and what came of each action.
type Entry struct {
	Time      time.Time       `json:"time"`
	EventID   string          `json:"eventId,omitempty"`
	EventName string          `json:"eventName,omitempty"`
	Actor     string          `json:"actor,omitempty"`
	ActorARN  string          `json:"actorArn,omitempty"`
	SourceIP  string          `json:"sourceIp,omitempty"`
	Mode      finding.Mode    `json:"mode"`
	Finding   finding.Finding `json:"finding"`
	Actions   []ActionRecord  `json:"actions,omitempty"`
}

// ActionRecord is one action and how it ended. Status is "planned" in
// monitor mode, otherwise the guard's outcome status (done, not-needed,
// refused, failed).
type ActionRecord struct {
	Action  finding.Action  `json:"action"`
	Status  string          `json:"status"`
	Taken   *finding.Action `json:"taken,omitempty"`
	Message string          `json:"message,omitempty"`
}

// Change says how an upserted finding compares with what the ledger held.
type Change string

// The changes Upsert reports.
const (
	ChangeNew       Change = "new"
	ChangeChanged   Change = "changed"
	ChangeUnchanged Change = "unchanged"
	ChangeReopened  Change = "reopened"
)

// Open is a finding the ledger holds, with when it was first and last seen.
type Open struct {
	Finding   finding.Finding `json:"finding"`
	FirstSeen time.Time       `json:"firstSeen"`
	LastSeen  time.Time       `json:"lastSeen"`
	ClosedAt  *time.Time      `json:"closedAt,omitempty"`
}

// Ledger is what the guards and the sweep need from a ledger.
type Ledger interface {
	Claim(ctx context.Context, eventID string) (bool, error)
	Complete(ctx context.Context, eventID string) error
	Release(ctx context.Context, eventID string) error
	Record(ctx context.Context, e Entry) error
	Upsert(ctx context.Context, f finding.Finding, now time.Time) (Change, error)
	Close(ctx context.Context, key string, now time.Time) error
	OpenFindings(ctx context.Context) ([]Open, error)
	History(ctx context.Context, rt finding.ResourceType, resource string) ([]Entry, error)
}
