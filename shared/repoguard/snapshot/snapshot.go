package snapshot

import "errors"

// ErrNotFound means the repository does not exist (any more): nothing to do.
var ErrNotFound = errors.New("repository not found")

// Template is an approval rule template as read from CodeCommit.
type Template struct {
	Name    string  `json:"name"`
	Content Content `json:"content"`
	// RawContent is the content exactly as stored, and ContentSHA256 its
	// hash, which CodeCommit wants back to update it.
	RawContent    string `json:"rawContent"`
	ContentSHA256 string `json:"contentSha256,omitempty"`
	// ParseError is set when the content could not be read; such a
	// template counts as requiring nothing.
	ParseError string `json:"parseError,omitempty"`
}

// ApprovalsOn returns the approvals the template requires on a branch.
func (t Template) ApprovalsOn(branch string) int {
	if t.ParseError != "" {
		return 0
	}
	return t.Content.ApprovalsOn(branch)
}

// Snapshot is one repository's current state.
type Snapshot struct {
	Name          string `json:"name"`
	ARN           string `json:"arn"`
	AccountID     string `json:"accountId,omitempty"`
	DefaultBranch string `json:"defaultBranch,omitempty"`
	// Templates are the approval rule templates associated with it.
	Templates []Template `json:"templates"`
	// Required is the configured required template as it exists in the
	// account, associated or not; nil if it does not exist.
	Required *Template `json:"required,omitempty"`
	// Reviews holds each configured reviewer's status, in configuration order.
	Reviews []ReviewStatus `json:"reviews"`
}

// Associated reports whether a template of that name is associated.
func (s Snapshot) Associated(name string) bool {
	for _, t := range s.Templates {
		if t.Name == name {
			return true
		}
	}
	return false
}

// ErrTemplateNotFound means an approval rule template does not exist.
var ErrTemplateNotFound = errors.New("approval rule template does not exist")

// ReviewState is a reviewer's standing on one repository, in the reviewer-neutral
// terms the rules use.
type ReviewState string

// The states. Only StateActive counts as reviewed; StatePending is set-up in
// progress and is not a finding yet.
const (
	StateActive  ReviewState = "active"
	StatePending ReviewState = "pending"
	StateNone    ReviewState = "none"
	StateFailed  ReviewState = "failed"
	// StateRemoved means review was set up and later removed.
	StateRemoved ReviewState = "removed"
)

// ReviewStatus is what one reviewer says about one repository.
type ReviewStatus struct {
	// Reviewer is the reviewer's Name.
	Reviewer string      `json:"reviewer"`
	State    ReviewState `json:"state"`
	// Detail is the reviewer's own account of the state, for the finding.
	Detail string `json:"detail,omitempty"`
	// ID identifies the reviewer's set-up for the repository (for CodeGuru
	// the association ARN), where there is one.
	ID string `json:"id,omitempty"`
	// Undo is the command that reverses Enable for this repository.
	Undo string `json:"undo,omitempty"`
}

// Reviewed reports whether the status counts as automated review.
func (s ReviewStatus) Reviewed() bool { return s.State == StateActive }
