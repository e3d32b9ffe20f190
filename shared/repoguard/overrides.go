package repoguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// An override of a pull request's approval rules is judged on the record:
// the override is the event, and by the time the guard looks the pull
// request may be merged and the override gone. The guard reads the pull
// request only to say which it is; it takes no action.

// PullRequestAPI reads a pull request; the CodeCommit client is one.
type PullRequestAPI interface {
	GetPullRequest(ctx context.Context, in *codecommit.GetPullRequestInput, optFns ...func(*codecommit.Options)) (*codecommit.GetPullRequestOutput, error)
}

// ErrNoPullRequests means the guard's CodeCommit API cannot read pull requests.
var ErrNoPullRequests = errors.New("the CodeCommit API given cannot read pull requests")

// overrideStatusOverride is the status that sets the rules aside; REVOKE
// puts them back and is no finding.
const overrideStatusOverride = "OVERRIDE"

// overrideSubjects returns the overridden pull request; who did it is the
// record's, which the pipeline hands the evaluation (Subject.Event).
func overrideSubjects(rec cloudtrail.Record) ([]pipeline.Subject, error) {
	var req struct {
		PullRequestID  string `json:"pullRequestId"`
		OverrideStatus string `json:"overrideStatus"`
	}
	if err := rec.Request(&req); err != nil {
		return nil, err
	}
	if req.OverrideStatus != overrideStatusOverride {
		return nil, nil
	}
	if req.PullRequestID == "" {
		return nil, &pipeline.Permanent{Reason: string(rec.Operation()) + ": no pullRequestId in the request"}
	}
	return []pipeline.Subject{{Type: finding.ResourcePullRequest, Name: req.PullRequestID}}, nil
}

// evaluateOverride reports the override, with the pull request's
// repository, title and branches; an exempt repository's is not reported.
func (g *Guard) evaluateOverride(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	api, ok := g.CodeCommit.(PullRequestAPI)
	if !ok {
		return finding.Decision{}, ErrNoPullRequests
	}
	out, err := api.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: aws.String(s.Name)})
	var gone *types.PullRequestDoesNotExistException
	switch {
	case errors.As(err, &gone):
		// Gone with its repository: the override still happened.
		return overrideDecision(s, "", nil), nil
	case err != nil:
		return finding.Decision{}, fmt.Errorf("get pull request %s: %w", s.Name, err)
	}
	pr := out.PullRequest
	repo := ""
	if pr != nil && len(pr.PullRequestTargets) > 0 {
		repo = aws.ToString(pr.PullRequestTargets[0].RepositoryName)
	}
	if repo != "" && g.Settings.RepositoryExempt(repo) {
		return finding.Decision{}, nil
	}
	return overrideDecision(s, repo, pr), nil
}

func overrideDecision(s pipeline.Subject, repo string, pr *types.PullRequest) finding.Decision {
	who := "an unknown principal"
	if e := s.Event; e != nil {
		who = e.UserIdentity.ARN
		if who == "" {
			who = e.UserIdentity.Actor()
		}
	}
	resource, where := "pull-requests/"+s.Name, ""
	if repo != "" {
		resource, where = repo+"/pull-requests/"+s.Name, " in "+repo
	}
	detail := "the pull request is no longer readable"
	if pr != nil {
		detail = fmt.Sprintf("title %q, author %s, status %s, revision %s", aws.ToString(pr.Title), aws.ToString(pr.AuthorArn),
			pr.PullRequestStatus, aws.ToString(pr.RevisionId))
		if len(pr.PullRequestTargets) > 0 {
			t := pr.PullRequestTargets[0]
			detail += fmt.Sprintf(", %s into %s", aws.ToString(t.SourceReference), aws.ToString(t.DestinationReference))
		}
	}
	f := rules.Finding(rules.ApprovalOverride, resource, "",
		fmt.Sprintf("the approval rules of pull request %s%s were overridden by %s: it can merge without the required approvals", s.Name, where, who),
		detail)
	return finding.Decision{Findings: []finding.Finding{f}, Actions: []finding.Action{}}
}
