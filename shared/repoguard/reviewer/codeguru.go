package reviewer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"
	"github.com/selfguard/selfguard/shared/shellcmd"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"
	"github.com/aws/smithy-go"
)

// CodeGuruName is the CodeGuru Reviewer's Name.
const CodeGuruName = "codeguru-reviewer"

// CodeGuruReplacements are the services AWS recommends since CodeGuru
// Reviewer stopped accepting new repository associations.
var CodeGuruReplacements = []string{
	"Amazon Inspector code security (https://docs.aws.amazon.com/inspector/latest/user/scanning-code.html)",
	"Amazon Q Developer code review (https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/code-reviews.html)",
}

// codeGuruCutoff explains why a removed association matters more than a
// missing one: it may never come back.
const codeGuruCutoff = "AWS has accepted no new CodeGuru Reviewer repository associations since 2025-11-07, so a removed association may not be re-created"

// CodeGuruAPI is the part of the CodeGuru Reviewer client CodeGuru uses.
type CodeGuruAPI interface {
	ListRepositoryAssociations(ctx context.Context, params *codegurureviewer.ListRepositoryAssociationsInput, optFns ...func(*codegurureviewer.Options)) (*codegurureviewer.ListRepositoryAssociationsOutput, error)
	DescribeRepositoryAssociation(ctx context.Context, params *codegurureviewer.DescribeRepositoryAssociationInput, optFns ...func(*codegurureviewer.Options)) (*codegurureviewer.DescribeRepositoryAssociationOutput, error)
	AssociateRepository(ctx context.Context, params *codegurureviewer.AssociateRepositoryInput, optFns ...func(*codegurureviewer.Options)) (*codegurureviewer.AssociateRepositoryOutput, error)
}

// CodeGuru is the Amazon CodeGuru Reviewer, for CodeCommit repositories.
type CodeGuru struct {
	API CodeGuruAPI
	// Settle bounds how long Enable waits for a new association to leave
	// Associating; 3 seconds if zero. AWS can take minutes, so after it
	// Enable reports the association as pending.
	Settle time.Duration
	// Sleep waits between polls; a context-aware timer if nil.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewCodeGuru returns the CodeGuru Reviewer reviewer on a client.
func NewCodeGuru(api CodeGuruAPI) *CodeGuru { return &CodeGuru{API: api} }

// Name implements Reviewer.
func (c *CodeGuru) Name() string { return CodeGuruName }

// allStates asks for every association, removed ones included: a removed
// association is worse news than none.
var allStates = []cgtypes.RepositoryAssociationState{
	cgtypes.RepositoryAssociationStateAssociated,
	cgtypes.RepositoryAssociationStateAssociating,
	cgtypes.RepositoryAssociationStateFailed,
	cgtypes.RepositoryAssociationStateDisassociating,
	cgtypes.RepositoryAssociationStateDisassociated,
}

// snapshot.ReviewStatus implements Reviewer: the best of the repository's CodeCommit
// associations, Associated first, then Associating, then removed ones, then
// Failed.
func (c *CodeGuru) Status(ctx context.Context, repo string) (snapshot.ReviewStatus, error) {
	best := snapshot.ReviewStatus{Reviewer: CodeGuruName, State: snapshot.StateNone, Detail: "no CodeGuru Reviewer association", Undo: undoLookup(c.region(), repo)}
	in := &codegurureviewer.ListRepositoryAssociationsInput{
		Names:         []string{repo},
		ProviderTypes: []cgtypes.ProviderType{cgtypes.ProviderTypeCodeCommit},
		States:        allStates,
		MaxResults:    aws.Int32(100),
	}
	p := codegurureviewer.NewListRepositoryAssociationsPaginator(c.API, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return snapshot.ReviewStatus{}, fmt.Errorf("list codeguru reviewer associations of %s: %w", repo, err)
		}
		for _, a := range page.RepositoryAssociationSummaries {
			if aws.ToString(a.Name) != repo || a.ProviderType != cgtypes.ProviderTypeCodeCommit {
				continue
			}
			s := statusOf(aws.ToString(a.AssociationArn), a.State, "")
			if rank(s.State) > rank(best.State) {
				best = s
				if best.Undo == "" {
					best.Undo = undoLookup(c.region(), repo)
				}
			}
		}
	}
	return best, nil
}

func rank(s snapshot.ReviewState) int {
	switch s {
	case snapshot.StateActive:
		return 5
	case snapshot.StatePending:
		return 4
	case snapshot.StateRemoved:
		return 3
	case snapshot.StateFailed:
		return 2
	}
	return 1
}

// statusOf maps a CodeGuru association state to a snapshot.ReviewStatus.
func statusOf(arn string, st cgtypes.RepositoryAssociationState, reason string) snapshot.ReviewStatus {
	s := snapshot.ReviewStatus{Reviewer: CodeGuruName, ID: arn}
	detail := fmt.Sprintf("CodeGuru Reviewer association %s is %s", arn, st)
	if reason != "" {
		detail += " (" + reason + ")"
	}
	switch st {
	case cgtypes.RepositoryAssociationStateAssociated:
		s.State = snapshot.StateActive
		s.Undo = shellcmd.AWS(shellcmd.RegionOf(arn), "codeguru-reviewer", "disassociate-repository", "--association-arn", arn)
	case cgtypes.RepositoryAssociationStateAssociating:
		s.State = snapshot.StatePending
		s.Undo = shellcmd.AWS(shellcmd.RegionOf(arn), "codeguru-reviewer", "disassociate-repository", "--association-arn", arn)
	case cgtypes.RepositoryAssociationStateDisassociating, cgtypes.RepositoryAssociationStateDisassociated:
		s.State = snapshot.StateRemoved
		detail += "; " + codeGuruCutoff
	default:
		s.State = snapshot.StateFailed
	}
	s.Detail = detail
	return s
}

// undoLookup disassociates whatever live association the repository has,
// for when the association ARN is not known yet.
// region is the region the client calls, which undo commands name.
func (c *CodeGuru) region() string {
	if o, ok := c.API.(interface {
		Options() codegurureviewer.Options
	}); ok {
		return o.Options().Region
	}
	return ""
}

// undoLookup finds the association at undo time: it did not exist yet when
// the command was written.
func undoLookup(region, repo string) string {
	lookup := shellcmd.AWS(region, "codeguru-reviewer", "list-repository-associations", "--names", repo, "--provider-types", "CodeCommit",
		"--states", "Associated", "Associating", "--query", "RepositoryAssociationSummaries[0].AssociationArn", "--output", "text")
	undo := `aws codeguru-reviewer disassociate-repository --association-arn "$(` + lookup + `)"`
	if region != "" {
		undo += " --region " + shellcmd.Quote(region)
	}
	return undo
}

// Enable implements Reviewer. A repository already associated (or
// associating) in cur costs no write; one associated since cur was read
// answers ConflictException, and Enable then reports its status. A refusal
// is returned as a RefusedError naming AWS's recommended replacements, and
// never retried.
func (c *CodeGuru) Enable(ctx context.Context, repo string, cur snapshot.ReviewStatus) (snapshot.ReviewStatus, error) {
	if cur.State == snapshot.StateActive || cur.State == snapshot.StatePending {
		return cur, nil
	}
	out, err := c.API.AssociateRepository(ctx, &codegurureviewer.AssociateRepositoryInput{
		Repository: &cgtypes.Repository{CodeCommit: &cgtypes.CodeCommitRepository{Name: aws.String(repo)}},
	})
	if err != nil {
		if reason, ok := refusal(err); ok {
			return cur, &RefusedError{Reviewer: CodeGuruName, Reason: reason, Replacements: CodeGuruReplacements}
		}
		var conflict *cgtypes.ConflictException
		if errors.As(err, &conflict) {
			// Someone associated it meanwhile: report what is there now.
			return c.Status(ctx, repo)
		}
		return cur, fmt.Errorf("associate %s with codeguru reviewer: %w", repo, err)
	}
	if out.RepositoryAssociation == nil {
		return cur, fmt.Errorf("associate %s with codeguru reviewer: no association in the response", repo)
	}
	a := out.RepositoryAssociation
	arn := aws.ToString(a.AssociationArn)
	s := statusOf(arn, a.State, aws.ToString(a.StateReason))
	return c.settle(ctx, s)
}

// settle polls a new association while it is Associating, with a doubling
// delay, for at most Settle.
func (c *CodeGuru) settle(ctx context.Context, s snapshot.ReviewStatus) (snapshot.ReviewStatus, error) {
	budget := c.Settle
	if budget <= 0 {
		budget = 3 * time.Second
	}
	sleep := c.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	delay, waited := 200*time.Millisecond, time.Duration(0)
	for s.State == snapshot.StatePending && waited+delay <= budget {
		if err := sleep(ctx, delay); err != nil {
			return s, fmt.Errorf("wait for codeguru reviewer association: %w", err)
		}
		waited += delay
		delay *= 2
		out, err := c.API.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: aws.String(s.ID)})
		if err != nil {
			return s, fmt.Errorf("describe codeguru reviewer association %s: %w", s.ID, err)
		}
		if a := out.RepositoryAssociation; a != nil {
			s = statusOf(s.ID, a.State, aws.ToString(a.StateReason))
		}
	}
	return s, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// refusal says whether AssociateRepository's error is AWS declining the
// association (retrying cannot help) and why. Since 2025-11-07 that is the
// expected answer; access denied is included because retrying cannot fix it
// either, and the message keeps AWS's own words so a person can tell which.
func refusal(err error) (string, bool) {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return "", false
	}
	switch api.ErrorCode() {
	case "ValidationException", "AccessDeniedException":
		return api.ErrorCode() + ": " + api.ErrorMessage(), true
	}
	return "", false
}
