package observe

import (
	"context"
	"errors"
	"fmt"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/shared/repoguard/reviewer"
)

// CodeCommitAPI is the part of the CodeCommit client Reader uses.
type CodeCommitAPI interface {
	GetRepository(ctx context.Context, params *codecommit.GetRepositoryInput, optFns ...func(*codecommit.Options)) (*codecommit.GetRepositoryOutput, error)
	ListAssociatedApprovalRuleTemplatesForRepository(ctx context.Context, params *codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput, optFns ...func(*codecommit.Options)) (*codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryOutput, error)
	GetApprovalRuleTemplate(ctx context.Context, params *codecommit.GetApprovalRuleTemplateInput, optFns ...func(*codecommit.Options)) (*codecommit.GetApprovalRuleTemplateOutput, error)
}

// Reader reads snapshots.
type Reader struct {
	CodeCommit CodeCommitAPI
	Reviewers  []reviewer.Reviewer
	// RequiredTemplate is the configured template's name
	// (settings.ApprovalTemplate); empty skips reading it.
	RequiredTemplate string
}

// Parts says which parts of a repository's state a read covers. snapshot.Snapshot
// reads them all; a re-read before one action reads only what that action
// depends on, so one event does not read everything once per action.
type Parts struct {
	// Repository reads the metadata (GetRepository): ARN, account, default
	// branch, and whether the repository exists.
	Repository bool
	// Approval reads the associated approval rule templates and the
	// required one (ListAssociatedApprovalRuleTemplatesForRepository, which
	// also notices a repository that no longer exists, and
	// GetApprovalRuleTemplate).
	Approval bool
	// Review reads each reviewer's status.
	Review bool
}

// AllParts is a whole snapshot.
var AllParts = Parts{Repository: true, Approval: true, Review: true}

// Snapshot reads a repository's current state. A repository that does not
// exist gives snapshot.ErrNotFound.
func (r *Reader) Snapshot(ctx context.Context, name string) (snapshot.Snapshot, error) {
	return r.Read(ctx, name, AllParts)
}

// Read reads the parts of a repository's state that p asks for; the others
// stay empty, so only a decision on those parts may be drawn from it. A
// repository that does not exist gives snapshot.ErrNotFound where a part read
// notices it (Repository or Approval).
func (r *Reader) Read(ctx context.Context, name string, p Parts) (snapshot.Snapshot, error) {
	s := snapshot.Snapshot{Name: name, Templates: []snapshot.Template{}, Reviews: []snapshot.ReviewStatus{}}
	if p.Repository {
		out, err := r.CodeCommit.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String(name)})
		var missing *cctypes.RepositoryDoesNotExistException
		if errors.As(err, &missing) {
			return snapshot.Snapshot{}, fmt.Errorf("get repository %s: %w", name, snapshot.ErrNotFound)
		}
		if err != nil {
			return snapshot.Snapshot{}, fmt.Errorf("get repository %s: %w", name, err)
		}
		if m := out.RepositoryMetadata; m != nil {
			s.Name = aws.ToString(m.RepositoryName)
			s.ARN = aws.ToString(m.Arn)
			s.AccountID = aws.ToString(m.AccountId)
			s.DefaultBranch = aws.ToString(m.DefaultBranch)
		}
	}
	if p.Approval {
		if err := r.readApproval(ctx, name, &s); err != nil {
			return snapshot.Snapshot{}, err
		}
	}
	if p.Review {
		for _, rv := range r.Reviewers {
			st, err := rv.Status(ctx, name)
			if err != nil {
				return snapshot.Snapshot{}, fmt.Errorf("review status of %s from %s: %w", name, rv.Name(), err)
			}
			s.Reviews = append(s.Reviews, st)
		}
	}
	return s, nil
}

func (r *Reader) readApproval(ctx context.Context, name string, s *snapshot.Snapshot) error {
	names, err := r.associated(ctx, name)
	if err != nil {
		return err
	}
	for _, n := range names {
		t, err := r.template(ctx, n)
		if errors.Is(err, snapshot.ErrTemplateNotFound) {
			continue // deleted between the list and the read
		}
		if err != nil {
			return err
		}
		s.Templates = append(s.Templates, t)
		if n == r.RequiredTemplate {
			req := t
			s.Required = &req
		}
	}
	if r.RequiredTemplate != "" && s.Required == nil {
		t, err := r.template(ctx, r.RequiredTemplate)
		switch {
		case err == nil:
			s.Required = &t
		case !errors.Is(err, snapshot.ErrTemplateNotFound):
			return err
		}
	}
	return nil
}

func (r *Reader) associated(ctx context.Context, repo string) ([]string, error) {
	var names []string
	p := codecommit.NewListAssociatedApprovalRuleTemplatesForRepositoryPaginator(r.CodeCommit,
		&codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{RepositoryName: aws.String(repo)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var missing *cctypes.RepositoryDoesNotExistException
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("list approval rule templates of %s: %w", repo, snapshot.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("list approval rule templates of %s: %w", repo, err)
		}
		names = append(names, page.ApprovalRuleTemplateNames...)
	}
	return names, nil
}

// ReadTemplate reads one approval rule template; one that does not exist
// gives an error matching snapshot.ErrTemplateNotFound.
func ReadTemplate(ctx context.Context, api CodeCommitAPI, name string) (snapshot.Template, error) {
	return (&Reader{CodeCommit: api}).template(ctx, name)
}

func (r *Reader) template(ctx context.Context, name string) (snapshot.Template, error) {
	out, err := r.CodeCommit.GetApprovalRuleTemplate(ctx, &codecommit.GetApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String(name)})
	var missing *cctypes.ApprovalRuleTemplateDoesNotExistException
	if errors.As(err, &missing) {
		return snapshot.Template{}, fmt.Errorf("get approval rule template %s: %w", name, snapshot.ErrTemplateNotFound)
	}
	if err != nil {
		return snapshot.Template{}, fmt.Errorf("get approval rule template %s: %w", name, err)
	}
	t := snapshot.Template{Name: name}
	if a := out.ApprovalRuleTemplate; a != nil {
		t.RawContent = aws.ToString(a.ApprovalRuleTemplateContent)
		t.ContentSHA256 = aws.ToString(a.RuleContentSha256)
		c, err := snapshot.ParseContent(t.RawContent)
		if err != nil {
			t.ParseError = err.Error()
		}
		t.Content = c
	}
	return t, nil
}
