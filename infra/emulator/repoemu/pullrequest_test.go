package repoemu_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

func (b *bed) openPullRequest(t *testing.T, repo, source, dest string) *types.PullRequest {
	t.Helper()
	target := types.Target{RepositoryName: aws.String(repo), SourceReference: aws.String(source)}
	if dest != "" {
		target.DestinationReference = aws.String(dest)
	}
	out := must(b.cc.CreatePullRequest(context.Background(), &codecommit.CreatePullRequestInput{
		Title: aws.String("Add payments retry"), Description: aws.String("retries on 5xx"), Targets: []types.Target{target}}))(t)
	return out.PullRequest
}

func TestCreatePullRequestTakesTheRulesOfItsRepositorysTemplates(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	w := templatedWorld()
	w.ApprovalRuleTemplates = append(w.ApprovalRuleTemplates, repoemu.ApprovalRuleTemplate{Name: "release-only",
		Content: `{"Version":"2018-11-08","DestinationReferences":["refs/heads/release"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":3}]}`})
	w.TemplateAssociations = append(w.TemplateAssociations, repoemu.TemplateAssociation{Template: "release-only", Repository: "api"})
	b.load(t, w)
	tpl := must(b.cc.GetApprovalRuleTemplate(ctx, &codecommit.GetApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two")}))(t)

	pr := b.openPullRequest(t, "api", "feature/retry", "")
	if aws.ToString(pr.PullRequestId) != "1" || pr.PullRequestStatus != types.PullRequestStatusEnumOpen ||
		aws.ToString(pr.AuthorArn) != "arn:aws:iam::111122223333:user/alice" || len(aws.ToString(pr.RevisionId)) != 64 ||
		pr.CreationDate == nil || aws.ToString(pr.ClientRequestToken) == "" {
		t.Fatalf("pull request = %+v", pr)
	}
	tg := pr.PullRequestTargets[0]
	if aws.ToString(tg.SourceReference) != "refs/heads/feature/retry" || aws.ToString(tg.DestinationReference) != "refs/heads/main" ||
		len(aws.ToString(tg.SourceCommit)) != 40 || aws.ToString(tg.SourceCommit) == aws.ToString(tg.DestinationCommit) {
		t.Fatalf("target = %+v, want feature/retry into the default branch main", tg)
	}
	if len(pr.ApprovalRules) != 1 {
		t.Fatalf("%d approval rules, want the one template whose destination is main", len(pr.ApprovalRules))
	}
	rule := pr.ApprovalRules[0]
	if aws.ToString(rule.ApprovalRuleName) != "two" || aws.ToString(rule.ApprovalRuleContent) != contentTwoApprovals ||
		aws.ToString(rule.RuleContentSha256) != aws.ToString(tpl.ApprovalRuleTemplate.RuleContentSha256) ||
		aws.ToString(rule.OriginApprovalRuleTemplate.ApprovalRuleTemplateId) != aws.ToString(tpl.ApprovalRuleTemplate.ApprovalRuleTemplateId) {
		t.Fatalf("approval rule = %+v", rule)
	}

	got := must(b.cc.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: pr.PullRequestId}))(t)
	if aws.ToString(got.PullRequest.RevisionId) != aws.ToString(pr.RevisionId) || aws.ToString(got.PullRequest.Title) != "Add payments retry" {
		t.Fatalf("GetPullRequest = %+v", got.PullRequest)
	}
	if next := b.openPullRequest(t, "web", "fix", "develop"); aws.ToString(next.PullRequestId) != "2" || len(next.ApprovalRules) != 0 {
		t.Fatalf("second pull request = id %s, %d rules; want 2 and none (template two is for main)", aws.ToString(next.PullRequestId), len(next.ApprovalRules))
	}
}

func TestOverridePullRequestApprovalRulesSetsAsideAndRestores(t *testing.T) {
	ctx := context.Background()
	b := newBedAs(t, emulator.ActorAttacker)
	b.load(t, templatedWorld())
	pr := b.openPullRequest(t, "api", "backdoor", "main")
	state := func() *codecommit.GetPullRequestOverrideStateOutput {
		return must(b.cc.GetPullRequestOverrideState(ctx, &codecommit.GetPullRequestOverrideStateInput{
			PullRequestId: pr.PullRequestId, RevisionId: pr.RevisionId}))(t)
	}
	if s := state(); s.Overridden || s.Overrider != nil {
		t.Fatalf("a new pull request is overridden: %+v", s)
	}
	override := func(status types.OverrideStatus) error {
		_, err := b.cc.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{
			PullRequestId: pr.PullRequestId, RevisionId: pr.RevisionId, OverrideStatus: status})
		return err
	}
	if err := override(types.OverrideStatusOverride); err != nil {
		t.Fatal(err)
	}
	if s := state(); !s.Overridden || aws.ToString(s.Overrider) != "arn:aws:iam::111122223333:user/mallory" {
		t.Fatalf("after OVERRIDE: %+v, want overridden by mallory", s)
	}
	wantCode(t, override(types.OverrideStatusOverride), "OverrideAlreadySetException")
	if err := override(types.OverrideStatusRevoke); err != nil {
		t.Fatal(err)
	}
	if s := state(); s.Overridden || s.Overrider != nil {
		t.Fatalf("after REVOKE: %+v, want not overridden (REVOKE is not stored)", s)
	}
}

func TestPullRequestErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	pr := b.openPullRequest(t, "api", "feature", "")
	create := func(title string, targets ...types.Target) error {
		if targets == nil {
			targets = []types.Target{} // sent as [], past the SDK's own check for a missing list
		}
		_, err := b.cc.CreatePullRequest(ctx, &codecommit.CreatePullRequestInput{Title: aws.String(title), Targets: targets})
		return err
	}
	target := func(repo, src, dst string) types.Target {
		t := types.Target{RepositoryName: aws.String(repo), SourceReference: aws.String(src)}
		if dst != "" {
			t.DestinationReference = aws.String(dst)
		}
		return t
	}
	override := func(id, rev string, status types.OverrideStatus) error {
		_, err := b.cc.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{
			PullRequestId: aws.String(id), RevisionId: aws.String(rev), OverrideStatus: status})
		return err
	}
	rev := aws.ToString(pr.RevisionId)
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"a title is required", create("", target("api", "x", "")), "TitleRequiredException"},
		{"a target is required", create("t"), "TargetsRequiredException"},
		{"one repository per pull request", create("t", target("api", "x", ""), target("web", "x", "")), "MultipleRepositoriesInPullRequestException"},
		{"the repository must exist", create("t", target("gone", "x", "")), "RepositoryDoesNotExistException"},
		{"source and destination must differ", create("t", target("api", "main", "refs/heads/main")), "SourceAndDestinationAreSameException"},
		{"a malformed reference is refused", create("t", target("api", "bad:ref", "")), "InvalidReferenceNameException"},
		{"an unknown pull request", override("99", rev, types.OverrideStatusOverride), "PullRequestDoesNotExistException"},
		{"a pull request id is a number", override("abc", rev, types.OverrideStatusOverride), "InvalidPullRequestIdException"},
		{"a revision is required", override("1", "", types.OverrideStatusOverride), "RevisionIdRequiredException"},
		{"the revision must be the pull request's", override("1", "0123", types.OverrideStatusOverride), "InvalidRevisionIdException"},
		{"OVERRIDE or REVOKE only", override("1", rev, "APPROVE"), "InvalidOverrideStatusException"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err, tc.code) })
	}
	_, err := b.cc.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: aws.String("")})
	wantCode(t, err, "PullRequestIdRequiredException")
	// The SDK refuses to send an empty override status; other clients can.
	if code := b.rawCodeCommit(t, "OverridePullRequestApprovalRules", `{"pullRequestId":"1","revisionId":"`+rev+`"}`); code != "OverrideStatusRequiredException" {
		t.Errorf("override without a status: %s, want OverrideStatusRequiredException", code)
	}
}

func TestPullRequestsFollowTheirRepository(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	pr := b.openPullRequest(t, "api", "feature", "")
	must(b.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("api"), NewName: aws.String("core")}))(t)
	got := must(b.cc.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: pr.PullRequestId}))(t)
	if aws.ToString(got.PullRequest.PullRequestTargets[0].RepositoryName) != "core" {
		t.Fatalf("pull request target after rename = %s, want core", aws.ToString(got.PullRequest.PullRequestTargets[0].RepositoryName))
	}
	must(b.cc.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("core")}))(t)
	_, err := b.cc.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: pr.PullRequestId})
	wantCode(t, err, "PullRequestDoesNotExistException")
}

func TestCreatePullRequestIsIdempotentPerClientToken(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	in := &codecommit.CreatePullRequestInput{Title: aws.String("t"), ClientRequestToken: aws.String("tok-1"),
		Targets: []types.Target{{RepositoryName: aws.String("api"), SourceReference: aws.String("x")}}}
	first := must(b.cc.CreatePullRequest(ctx, in))(t)
	again := must(b.cc.CreatePullRequest(ctx, in))(t)
	if aws.ToString(first.PullRequest.PullRequestId) != aws.ToString(again.PullRequest.PullRequestId) {
		t.Fatalf("the same token opened two pull requests")
	}
	in.Title = aws.String("other")
	_, err := b.cc.CreatePullRequest(ctx, in)
	wantCode(t, err, "IdempotencyParameterMismatchException")
}
