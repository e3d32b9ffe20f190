package reviewer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// State is a reviewer's standing on one repository, in the reviewer-neutral
// terms the rules use.
type State string

// The states. Only StateActive counts as reviewed; StatePending is set-up in
// progress and is not a finding yet.
const (
	StateActive  State = "active"
	StatePending State = "pending"
	StateNone    State = "none"
	StateFailed  State = "failed"
	// StateRemoved means review was set up and later removed.
	StateRemoved State = "removed"
)

// Status is what one reviewer says about one repository.
type Status struct {
	// Reviewer is the reviewer's Name.
	Reviewer string `json:"reviewer"`
	State    State  `json:"state"`
	// Detail is the reviewer's own account of the state, for the finding.
	Detail string `json:"detail,omitempty"`
	// ID identifies the reviewer's set-up for the repository (for CodeGuru
	// the association ARN), where there is one.
	ID string `json:"id,omitempty"`
	// Undo is the command that reverses Enable for this repository.
	Undo string `json:"undo,omitempty"`
}

// Reviewed reports whether the status counts as automated review.
func (s Status) Reviewed() bool { return s.State == StateActive }

// Reviewer is one automated code reviewer.
type Reviewer interface {
	// Name is a stable short name ("codeguru-reviewer").
	Name() string
	// Status reads the reviewer's current standing on a repository.
	Status(ctx context.Context, repo string) (Status, error)
	// Enable starts review of the repository, unless cur (its status as the
	// caller just read it, in its re-read before acting) is already active
	// or pending, and returns the resulting status. It does not read the
	// status again: a set-up made meanwhile shows as the provider's
	// conflict, which Enable answers with the status then. An error
	// matching ErrRefused means the provider will not allow it; retrying
	// is useless.
	Enable(ctx context.Context, repo string, cur Status) (Status, error)
	// Permissions lists the IAM actions Status and Enable need.
	Permissions() (status, enable []string)
}

// ErrRefused is matched (errors.Is) by every RefusedError.
var ErrRefused = errors.New("refused by the provider")

// RefusedError says the provider refused to start review and what a person
// can use instead.
type RefusedError struct {
	Reviewer     string
	Reason       string
	Replacements []string
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("%s refused to start review: %s", e.Reviewer, e.Reason)
	if len(e.Replacements) > 0 {
		msg += "; use instead: " + strings.Join(e.Replacements, " or ")
	}
	return msg
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }
