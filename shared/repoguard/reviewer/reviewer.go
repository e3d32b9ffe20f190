package reviewer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"
)

// Reviewer is one automated code reviewer.
type Reviewer interface {
	// Name is a stable short name ("codeguru-reviewer").
	Name() string
	// snapshot.ReviewStatus reads the reviewer's current standing on a repository.
	Status(ctx context.Context, repo string) (snapshot.ReviewStatus, error)
	// Enable starts review of the repository, unless cur (its status as the
	// caller just read it, in its re-read before acting) is already active
	// or pending, and returns the resulting status. It does not read the
	// status again: a set-up made meanwhile shows as the provider's
	// conflict, which Enable answers with the status then. An error
	// matching ErrRefused means the provider will not allow it; retrying
	// is useless.
	Enable(ctx context.Context, repo string, cur snapshot.ReviewStatus) (snapshot.ReviewStatus, error)
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
