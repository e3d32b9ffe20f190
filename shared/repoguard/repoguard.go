package repoguard

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/guard"
	"github.com/selfguard/selfguard/shared/repopolicy"
	"github.com/selfguard/selfguard/shared/repostate"
	"github.com/selfguard/selfguard/shared/reviewer"
	"github.com/selfguard/selfguard/shared/settings"
)

// CodeCommitAPI is the part of the CodeCommit client the guard uses.
type CodeCommitAPI interface {
	repostate.CodeCommitAPI
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

// ErrMonitorMode is returned (in a failed Outcome) when Act is called while
// the guard is in monitor mode: the pipeline should never do that.
var ErrMonitorMode = errors.New("monitor mode: actions are not taken")

// Guard is the repository guard.
type Guard struct {
	CodeCommit CodeCommitAPI
	CodeGuru   AssociationAPI
	Reviewers  []reviewer.Reviewer
	Settings   settings.Settings
	// SubjectTimeout bounds the reads Subjects may make; 10 s if zero.
	SubjectTimeout time.Duration
}

var _ guard.Evaluator = (*Guard)(nil)

// New returns a guard with CodeGuru Reviewer as its one reviewer.
func New(cc CodeCommitAPI, cg reviewer.CodeGuruAPI, cfg settings.Settings) *Guard {
	return &Guard{CodeCommit: cc, CodeGuru: cg, Reviewers: []reviewer.Reviewer{reviewer.NewCodeGuru(cg)}, Settings: cfg}
}

func (g *Guard) reader() *repostate.Reader {
	return &repostate.Reader{CodeCommit: g.CodeCommit, Reviewers: g.Reviewers, RequiredTemplate: g.templateName()}
}

func (g *Guard) templateName() string {
	if g.Settings.ApprovalTemplate == "" {
		return settings.DefaultApprovalTemplate
	}
	return g.Settings.ApprovalTemplate
}

func subject(name string) guard.Subject {
	return guard.Subject{Type: finding.ResourceRepository, Name: name}
}

// Evaluate implements guard.Evaluator.
func (g *Guard) Evaluate(ctx context.Context, s guard.Subject) (finding.Decision, error) {
	if g.Settings.RepositoryExempt(s.Name) {
		return finding.Decision{}, nil
	}
	snap, err := g.reader().Snapshot(ctx, s.Name)
	if errors.Is(err, repostate.ErrNotFound) {
		zerolog.Ctx(ctx).Info().Str("resource", s.Name).Msg("repository no longer exists; nothing to do")
		return finding.Decision{}, nil
	}
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe repository %s: %w", s.Name, err)
	}
	return repopolicy.Decide(snap, g.Settings), nil
}

// Act implements guard.Evaluator. It re-reads the repository and decides
// again; only if the fresh decision still plans this kind of action is it
// taken, in the fresh decision's form.
func (g *Guard) Act(ctx context.Context, s guard.Subject, a finding.Action) guard.Outcome {
	out := guard.Outcome{Action: a}
	fail := func(err error) guard.Outcome {
		out.Status, out.Err, out.Message = guard.OutcomeFailed, err, err.Error()
		return out
	}
	if g.Settings.Mode != finding.ModeEnforce {
		return fail(ErrMonitorMode)
	}
	// The re-read before acting covers what this action depends on, not the
	// whole repository: an event planning two actions then reads each part
	// once to decide and once before its own action, not three times.
	snap, err := g.reader().Read(ctx, s.Name, partsFor(a.Kind))
	if errors.Is(err, repostate.ErrNotFound) {
		out.Status, out.Message = guard.OutcomeNotNeeded, fmt.Sprintf("repository %s no longer exists", s.Name)
		return out
	}
	if err != nil {
		return fail(fmt.Errorf("re-read repository %s: %w", s.Name, err))
	}
	// Only the fresh decision's action of this kind is used, and it depends
	// only on the parts read; what it says of the others means nothing.
	fresh, ok := still(repopolicy.Decide(snap, g.Settings), a)
	if !ok {
		out.Status, out.Message = guard.OutcomeNotNeeded, fmt.Sprintf("repository %s no longer needs %s", s.Name, a.Kind)
		return out
	}
	log := zerolog.Ctx(ctx).With().Str("resource", s.Name).Str("action", string(a.Kind)).Logger()
	switch a.Kind {
	case repopolicy.ActionAssociateTemplate:
		out = g.associate(ctx, snap, fresh)
	case repopolicy.ActionRestoreTemplate:
		out = g.restore(ctx, snap, fresh)
	case repopolicy.ActionEnableReview:
		out = g.enableReview(ctx, snap, fresh)
	default:
		return fail(fmt.Errorf("unknown action kind %q", a.Kind))
	}
	out.Action = a
	log.Info().Str("outcome", string(out.Status)).Str("message", out.Message).Msg("repository action")
	return out
}

// partsFor says what an action kind's re-read covers: approval template
// actions depend on the associated and required templates (whose listing
// also notices a deleted repository); enabling review depends on the
// reviewers' status, and on the repository existing, which the reviewers'
// listing cannot tell.
func partsFor(k finding.ActionKind) repostate.Parts {
	switch k {
	case repopolicy.ActionAssociateTemplate, repopolicy.ActionRestoreTemplate:
		return repostate.Parts{Approval: true}
	case repopolicy.ActionEnableReview:
		return repostate.Parts{Repository: true, Review: true}
	}
	return repostate.AllParts
}

// still finds the fresh decision's action of the same kind and target.
func still(d finding.Decision, a finding.Action) (finding.Action, bool) {
	for _, f := range d.Actions {
		if f.Kind == a.Kind && f.Resource == a.Resource &&
			f.Params[repopolicy.ParamTemplate] == a.Params[repopolicy.ParamTemplate] &&
			f.Params[repopolicy.ParamReviewer] == a.Params[repopolicy.ParamReviewer] {
			return f, true
		}
	}
	return finding.Action{}, false
}

func (g *Guard) associate(ctx context.Context, snap repostate.Snapshot, a finding.Action) guard.Outcome {
	name := a.Params[repopolicy.ParamTemplate]
	out := guard.Outcome{Taken: &a}
	created := false
	if a.Params[repopolicy.ParamCreate] == "true" {
		_, err := g.CodeCommit.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
			ApprovalRuleTemplateName:        aws.String(name),
			ApprovalRuleTemplateContent:     aws.String(repopolicy.RequiredContent(g.Settings).JSON()),
			ApprovalRuleTemplateDescription: aws.String("Required pull request approvals, kept by selfguard"),
		})
		var exists *cctypes.ApprovalRuleTemplateNameAlreadyExistsException
		switch {
		case errors.As(err, &exists):
			// Created meanwhile (by a concurrent run): associate it.
		case err != nil:
			out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("create approval rule template %s: %w", name, err)
			out.Message = out.Err.Error()
			return out
		default:
			created = true
		}
	}
	_, err := g.CodeCommit.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
		ApprovalRuleTemplateName: aws.String(name), RepositoryName: aws.String(snap.Name),
	})
	if err != nil {
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("associate approval rule template %s with %s: %w", name, snap.Name, err)
		out.Message = out.Err.Error()
		return out
	}
	out.Status = guard.OutcomeDone
	out.Message = fmt.Sprintf("associated approval rule template %s with repository %s", name, snap.Name)
	if created {
		out.Message = fmt.Sprintf("created approval rule template %s and associated it with repository %s", name, snap.Name)
	}
	return out
}

func (g *Guard) restore(ctx context.Context, snap repostate.Snapshot, a finding.Action) guard.Outcome {
	name := a.Params[repopolicy.ParamTemplate]
	out := guard.Outcome{Taken: &a}
	if snap.Required == nil {
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("restore approval rule template %s: %w", name, repostate.ErrTemplateNotFound)
		out.Message = out.Err.Error()
		return out
	}
	// The hash makes CodeCommit refuse the update if the content changed
	// since the re-read, instead of overwriting a newer change blindly.
	_, err := g.CodeCommit.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName:  aws.String(name),
		NewRuleContent:            aws.String(repopolicy.RequiredContent(g.Settings).JSON()),
		ExistingRuleContentSha256: aws.String(snap.Required.ContentSHA256),
	})
	if err != nil {
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("restore approval rule template %s: %w", name, err)
		out.Message = out.Err.Error()
		return out
	}
	out.Status = guard.OutcomeDone
	out.Message = fmt.Sprintf("restored approval rule template %s; it required too few approvals", name)
	return out
}

func (g *Guard) enableReview(ctx context.Context, snap repostate.Snapshot, a finding.Action) guard.Outcome {
	name := a.Params[repopolicy.ParamReviewer]
	out := guard.Outcome{Taken: &a}
	var rv reviewer.Reviewer
	var cur reviewer.Status
	for i, r := range g.Reviewers {
		if r.Name() == name {
			rv = r
			if i < len(snap.Reviews) {
				cur = snap.Reviews[i]
			}
		}
	}
	if rv == nil {
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("reviewer %q is not configured", name)
		out.Message = out.Err.Error()
		return out
	}
	// cur is the status Act's re-read just found, so Enable reads it not again.
	st, err := rv.Enable(ctx, snap.Name, cur)
	if errors.Is(err, reviewer.ErrRefused) {
		out.Status, out.Err = guard.OutcomeRefused, err
		out.Message = fmt.Sprintf("repository %s still has no automated review: %v. Approval rules still apply.", snap.Name, err)
		return out
	}
	if err != nil {
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("enable %s on %s: %w", name, snap.Name, err)
		out.Message = out.Err.Error()
		return out
	}
	if st.Undo != "" {
		taken := a
		taken.Undo = st.Undo
		out.Taken = &taken
	}
	switch st.State {
	case reviewer.StateActive:
		out.Status, out.Message = guard.OutcomeDone, fmt.Sprintf("%s now reviews repository %s (%s)", name, snap.Name, st.ID)
	case reviewer.StatePending:
		out.Status, out.Message = guard.OutcomeDone, fmt.Sprintf("%s is associating with repository %s (%s); it has not finished yet", name, snap.Name, st.ID)
	default:
		out.Status, out.Err = guard.OutcomeFailed, fmt.Errorf("%s on %s ended %s: %s", name, snap.Name, st.State, st.Detail)
		out.Message = out.Err.Error()
	}
	return out
}

// Permissions are the IAM actions each action kind needs, with the default
// reviewer (CodeGuru Reviewer).
var Permissions = permissions([]reviewer.Reviewer{reviewer.NewCodeGuru(nil)})

// Permissions returns the IAM actions each action kind needs with this
// guard's reviewers. Every action re-reads first, so the reads are included.
func (g *Guard) Permissions() map[finding.ActionKind][]string { return permissions(g.Reviewers) }

func permissions(rs []reviewer.Reviewer) map[finding.ActionKind][]string {
	reads := reads(rs)
	with := func(extra ...string) []string { return union(reads, extra) }
	var enable []string
	for _, r := range rs {
		_, e := r.Permissions()
		enable = append(enable, e...)
	}
	return map[finding.ActionKind][]string{
		repopolicy.ActionAssociateTemplate: with("codecommit:CreateApprovalRuleTemplate", "codecommit:AssociateApprovalRuleTemplateWithRepository"),
		repopolicy.ActionRestoreTemplate:   with("codecommit:UpdateApprovalRuleTemplateContent"),
		repopolicy.ActionEnableReview:      with(enable...),
	}
}

// Reads returns the IAM actions Subjects and Evaluate need.
func (g *Guard) Reads() []string { return reads(g.Reviewers) }

func reads(rs []reviewer.Reviewer) []string {
	out := append([]string{}, repostate.Reads...)
	out = append(out, subjectReads...)
	for _, r := range rs {
		s, _ := r.Permissions()
		out = append(out, s...)
	}
	return union(out, nil)
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range append(append([]string{}, a...), b...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
