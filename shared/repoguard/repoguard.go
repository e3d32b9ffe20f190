package repoguard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/selfguard/selfguard/shared/repoguard/observe"
	"github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard/act"
	"github.com/selfguard/selfguard/shared/repoguard/decide"
	"github.com/selfguard/selfguard/shared/repoguard/reviewer"
	"github.com/selfguard/selfguard/shared/settings"
)

// CodeCommitAPI is the part of the CodeCommit client the guard uses.
type CodeCommitAPI interface {
	observe.CodeCommitAPI
	ListRepositories(ctx context.Context, params *codecommit.ListRepositoriesInput, optFns ...func(*codecommit.Options)) (*codecommit.ListRepositoriesOutput, error)
	ListRepositoriesForApprovalRuleTemplate(ctx context.Context, params *codecommit.ListRepositoriesForApprovalRuleTemplateInput, optFns ...func(*codecommit.Options)) (*codecommit.ListRepositoriesForApprovalRuleTemplateOutput, error)
	CreateApprovalRuleTemplate(ctx context.Context, params *codecommit.CreateApprovalRuleTemplateInput, optFns ...func(*codecommit.Options)) (*codecommit.CreateApprovalRuleTemplateOutput, error)
	AssociateApprovalRuleTemplateWithRepository(ctx context.Context, params *codecommit.AssociateApprovalRuleTemplateWithRepositoryInput, optFns ...func(*codecommit.Options)) (*codecommit.AssociateApprovalRuleTemplateWithRepositoryOutput, error)
	UpdateApprovalRuleTemplateContent(ctx context.Context, params *codecommit.UpdateApprovalRuleTemplateContentInput, optFns ...func(*codecommit.Options)) (*codecommit.UpdateApprovalRuleTemplateContentOutput, error)
}

// AssociationAPI is what Subjects needs of CodeGuru Reviewer: finding the
// repository of an association when the record does not name it.
type AssociationAPI interface {
	DescribeRepositoryAssociation(ctx context.Context, params *codegurureviewer.DescribeRepositoryAssociationInput, optFns ...func(*codegurureviewer.Options)) (*codegurureviewer.DescribeRepositoryAssociationOutput, error)
}

// Guard is the repository guard.
type Guard struct {
	CodeCommit CodeCommitAPI
	CodeGuru   AssociationAPI
	Reviewers  []reviewer.Reviewer
	Settings   settings.Settings
	// SubjectTimeout bounds the reads Subjects may make; 10 s if zero.
	SubjectTimeout time.Duration
}

var _ pipeline.Evaluator = (*Guard)(nil)

// New returns a guard with CodeGuru Reviewer as its one reviewer.
func New(cc CodeCommitAPI, cg reviewer.CodeGuruAPI, cfg settings.Settings) *Guard {
	return &Guard{CodeCommit: cc, CodeGuru: cg, Reviewers: []reviewer.Reviewer{reviewer.NewCodeGuru(cg)}, Settings: cfg}
}

func (g *Guard) reader() *observe.Reader {
	return &observe.Reader{CodeCommit: g.CodeCommit, Reviewers: g.Reviewers, RequiredTemplate: g.templateName()}
}

func (g *Guard) actor() *act.Actor {
	return &act.Actor{CodeCommit: g.CodeCommit, Reviewers: g.Reviewers, Settings: g.Settings}
}

func (g *Guard) templateName() string {
	if g.Settings.ApprovalTemplate == "" {
		return settings.DefaultApprovalTemplate
	}
	return g.Settings.ApprovalTemplate
}

func subject(name string) pipeline.Subject {
	return pipeline.Subject{Type: finding.ResourceRepository, Name: name}
}

// Evaluate implements pipeline.Evaluator.
func (g *Guard) Evaluate(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	if s.Type == finding.ResourcePullRequest {
		return g.evaluateOverride(ctx, s)
	}
	if g.Settings.RepositoryExempt(s.Name) {
		return finding.Decision{}, nil
	}
	snap, err := g.reader().Snapshot(ctx, s.Name)
	if errors.Is(err, snapshot.ErrNotFound) {
		log := logging.From(ctx)
		log.Info().Str(logging.FieldResource, s.Name).Msg("repository no longer exists; nothing to do")
		return finding.Decision{}, nil
	}
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe repository %s: %w", s.Name, err)
	}
	return decide.Decide(snap, g.Settings), nil
}

// Act implements pipeline.Evaluator. It re-reads the repository and decides
// again; only if the fresh decision still plans this kind of action is it
// taken, in the fresh decision's form.
func (g *Guard) Act(ctx context.Context, s pipeline.Subject, a finding.Action) pipeline.Outcome {
	out := pipeline.Outcome{Action: a}
	fail := func(err error) pipeline.Outcome {
		out.Status, out.Err, out.Message = pipeline.OutcomeFailed, err, err.Error()
		return out
	}
	if g.Settings.Mode != finding.ModeEnforce {
		return fail(pipeline.ErrMonitorMode)
	}
	// The re-read before acting covers what this action depends on, not the
	// whole repository: an event planning two actions then reads each part
	// once to decide and once before its own action, not three times.
	snap, err := g.reader().Read(ctx, s.Name, partsFor(a.Kind))
	if errors.Is(err, snapshot.ErrNotFound) {
		out.Status, out.Message = pipeline.OutcomeNotNeeded, fmt.Sprintf("repository %s no longer exists", s.Name)
		return out
	}
	if err != nil {
		return fail(fmt.Errorf("re-read repository %s: %w", s.Name, err))
	}
	// Only the fresh decision's action of this kind is used, and it depends
	// only on the parts read; what it says of the others means nothing.
	fresh, ok := decide.Decide(snap, g.Settings).Same(a, decide.ParamTemplate, decide.ParamReviewer)
	if !ok {
		out.Status, out.Message = pipeline.OutcomeNotNeeded, fmt.Sprintf("repository %s no longer needs %s", s.Name, a.Kind)
		return out
	}
	out = g.actor().Do(ctx, snap, fresh)
	out.Action = a
	log := logging.From(ctx)
	ev := log.Info()
	if out.Err != nil {
		ev = log.Warn().Err(out.Err)
	}
	ev.Str(logging.FieldResource, s.Name).Str(logging.FieldAction, string(a.Kind)).
		Str(logging.FieldOutcome, string(out.Status)).Str(logging.FieldDetail, out.Message).Msg("repository action")
	return out
}

// partsFor says what an action kind's re-read covers: approval template
// actions depend on the associated and required templates (whose listing
// also notices a deleted repository); enabling review depends on the
// reviewers' status, and on the repository existing, which the reviewers'
// listing cannot tell.
func partsFor(k finding.ActionKind) observe.Parts {
	switch k {
	case rules.ActionAssociateTemplate, rules.ActionRestoreTemplate:
		return observe.Parts{Approval: true}
	case rules.ActionEnableReview:
		return observe.Parts{Repository: true, Review: true}
	}
	return observe.AllParts
}

// Permissions returns every IAM action the repository guard needs: the
// checks and actions of the repository rules, as the registry declares them.
func Permissions() []string { return rules.Permissions(rules.Repositories) }
