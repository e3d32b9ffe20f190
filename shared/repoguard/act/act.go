package act

import (
	"context"
	"errors"
	"fmt"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard/decide"
	"github.com/selfguard/selfguard/shared/repoguard/reviewer"
	"github.com/selfguard/selfguard/shared/repoguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

// CodeCommitAPI is the part of the CodeCommit client the actions write with.
type CodeCommitAPI interface {
	CreateApprovalRuleTemplate(ctx context.Context, params *codecommit.CreateApprovalRuleTemplateInput, optFns ...func(*codecommit.Options)) (*codecommit.CreateApprovalRuleTemplateOutput, error)
	AssociateApprovalRuleTemplateWithRepository(ctx context.Context, params *codecommit.AssociateApprovalRuleTemplateWithRepositoryInput, optFns ...func(*codecommit.Options)) (*codecommit.AssociateApprovalRuleTemplateWithRepositoryOutput, error)
	UpdateApprovalRuleTemplateContent(ctx context.Context, params *codecommit.UpdateApprovalRuleTemplateContentInput, optFns ...func(*codecommit.Options)) (*codecommit.UpdateApprovalRuleTemplateContentOutput, error)
}

// Actor carries out one planned repository action on the snapshot its
// caller just re-read.
type Actor struct {
	CodeCommit CodeCommitAPI
	Reviewers  []reviewer.Reviewer
	Settings   settings.Settings
}

// Do carries out a, planned on snap.
func (x *Actor) Do(ctx context.Context, snap snapshot.Snapshot, a finding.Action) pipeline.Outcome {
	switch a.Kind {
	case rules.ActionAssociateTemplate:
		return x.associate(ctx, snap, a)
	case rules.ActionRestoreTemplate:
		return x.restore(ctx, snap, a)
	case rules.ActionEnableReview:
		return x.enableReview(ctx, snap, a)
	}
	return pipeline.Failed(a, fmt.Errorf("unknown action kind %q", a.Kind))
}

func (x *Actor) associate(ctx context.Context, snap snapshot.Snapshot, a finding.Action) pipeline.Outcome {
	name := a.Params[decide.ParamTemplate]
	out := pipeline.Outcome{Taken: &a}
	created := false
	if a.Params[decide.ParamCreate] == "true" {
		_, err := x.CodeCommit.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
			ApprovalRuleTemplateName:        aws.String(name),
			ApprovalRuleTemplateContent:     aws.String(decide.RequiredContent(x.Settings).JSON()),
			ApprovalRuleTemplateDescription: aws.String("Required pull request approvals, kept by selfguard"),
		})
		var exists *cctypes.ApprovalRuleTemplateNameAlreadyExistsException
		switch {
		case errors.As(err, &exists):
			// Created meanwhile (by a concurrent run): associate it.
		case err != nil:
			out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("create approval rule template %s: %w", name, err)
			out.Message = out.Err.Error()
			return out
		default:
			created = true
		}
	}
	_, err := x.CodeCommit.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
		ApprovalRuleTemplateName: aws.String(name), RepositoryName: aws.String(snap.Name),
	})
	if err != nil {
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("associate approval rule template %s with %s: %w", name, snap.Name, err)
		out.Message = out.Err.Error()
		return out
	}
	out.Status = pipeline.OutcomeDone
	out.Message = fmt.Sprintf("associated approval rule template %s with repository %s", name, snap.Name)
	if created {
		out.Message = fmt.Sprintf("created approval rule template %s and associated it with repository %s", name, snap.Name)
	}
	return out
}

func (x *Actor) restore(ctx context.Context, snap snapshot.Snapshot, a finding.Action) pipeline.Outcome {
	name := a.Params[decide.ParamTemplate]
	out := pipeline.Outcome{Taken: &a}
	if snap.Required == nil {
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("restore approval rule template %s: %w", name, snapshot.ErrTemplateNotFound)
		out.Message = out.Err.Error()
		return out
	}
	// The hash makes CodeCommit refuse the update if the content changed
	// since the re-read, instead of overwriting a newer change blindly.
	_, err := x.CodeCommit.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName:  aws.String(name),
		NewRuleContent:            aws.String(decide.RequiredContent(x.Settings).JSON()),
		ExistingRuleContentSha256: aws.String(snap.Required.ContentSHA256),
	})
	if err != nil {
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("restore approval rule template %s: %w", name, err)
		out.Message = out.Err.Error()
		return out
	}
	out.Status = pipeline.OutcomeDone
	out.Message = fmt.Sprintf("restored approval rule template %s; it required too few approvals", name)
	return out
}

func (x *Actor) enableReview(ctx context.Context, snap snapshot.Snapshot, a finding.Action) pipeline.Outcome {
	name := a.Params[decide.ParamReviewer]
	out := pipeline.Outcome{Taken: &a}
	var rv reviewer.Reviewer
	var cur snapshot.ReviewStatus
	for i, r := range x.Reviewers {
		if r.Name() == name {
			rv = r
			if i < len(snap.Reviews) {
				cur = snap.Reviews[i]
			}
		}
	}
	if rv == nil {
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("reviewer %q is not configured", name)
		out.Message = out.Err.Error()
		return out
	}
	// cur is the status Act's re-read just found, so Enable reads it not again.
	st, err := rv.Enable(ctx, snap.Name, cur)
	if errors.Is(err, reviewer.ErrRefused) {
		out.Status, out.Err = pipeline.OutcomeRefused, err
		out.Message = fmt.Sprintf("repository %s still has no automated review: %v. Approval rules still apply.", snap.Name, err)
		return out
	}
	if err != nil {
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("enable %s on %s: %w", name, snap.Name, err)
		out.Message = out.Err.Error()
		return out
	}
	if st.Undo != "" {
		taken := a
		taken.Undo = st.Undo
		out.Taken = &taken
	}
	switch st.State {
	case snapshot.StateActive:
		out.Status, out.Message = pipeline.OutcomeDone, fmt.Sprintf("%s now reviews repository %s (%s)", name, snap.Name, st.ID)
	case snapshot.StatePending:
		out.Status, out.Message = pipeline.OutcomeDone, fmt.Sprintf("%s is associating with repository %s (%s); it has not finished yet", name, snap.Name, st.ID)
	default:
		out.Status, out.Err = pipeline.OutcomeFailed, fmt.Errorf("%s on %s ended %s: %s", name, snap.Name, st.State, st.Detail)
		out.Message = out.Err.Error()
	}
	return out
}
