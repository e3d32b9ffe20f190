package repoemu_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

// templatedWorld has three repositories and the template "two" associated
// with api and web.
func templatedWorld() repoemu.World {
	return repoemu.World{
		Repositories:          []repoemu.Repository{{Name: "api", DefaultBranch: "main"}, {Name: "web"}, {Name: "docs"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "two", Content: contentTwoApprovals}},
		TemplateAssociations:  []repoemu.TemplateAssociation{{Template: "two", Repository: "api"}, {Template: "two", Repository: "web"}},
	}
}

func (b *bed) reposOf(t *testing.T, template string) []string {
	t.Helper()
	out := must(b.cc.ListRepositoriesForApprovalRuleTemplate(context.Background(),
		&codecommit.ListRepositoriesForApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String(template)}))(t)
	return out.RepositoryNames
}

func TestBatchDisassociateStripsATemplateFromManyRepositoriesAtOnce(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	out := must(b.cc.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
		ApprovalRuleTemplateName: aws.String("two"), RepositoryNames: []string{"api", "web", "gone"}}))(t)
	if !slices.Equal(out.DisassociatedRepositoryNames, []string{"api", "web"}) {
		t.Fatalf("disassociatedRepositoryNames = %v, want api web", out.DisassociatedRepositoryNames)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].RepositoryName) != "gone" ||
		aws.ToString(out.Errors[0].ErrorCode) != "RepositoryDoesNotExistException" || aws.ToString(out.Errors[0].ErrorMessage) == "" {
		t.Fatalf("errors = %+v, want one RepositoryDoesNotExistException for gone", out.Errors)
	}
	if left := b.reposOf(t, "two"); len(left) != 0 {
		t.Fatalf("template still associated with %v", left)
	}
}

func TestBatchAssociateAddsATemplateToManyRepositories(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	out := must(b.cc.BatchAssociateApprovalRuleTemplateWithRepositories(ctx, &codecommit.BatchAssociateApprovalRuleTemplateWithRepositoriesInput{
		ApprovalRuleTemplateName: aws.String("two"), RepositoryNames: []string{"docs", "api", "bad name"}}))(t)
	if !slices.Equal(out.AssociatedRepositoryNames, []string{"docs", "api"}) {
		t.Fatalf("associatedRepositoryNames = %v", out.AssociatedRepositoryNames)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "InvalidRepositoryNameException" {
		t.Fatalf("errors = %+v, want one InvalidRepositoryNameException", out.Errors)
	}
	if got := b.reposOf(t, "two"); !slices.Equal(got, []string{"api", "docs", "web"}) {
		t.Fatalf("associated repositories = %v", got)
	}
}

func TestBatchTemplateCallErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	many := make([]string, 26)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	for _, tc := range []struct {
		name, template string
		repos          []string
		code           string
	}{
		{"an unknown template fails the call", "nope", []string{"api"}, "ApprovalRuleTemplateDoesNotExistException"},
		{"at most 25 repositories", "two", many, "MaximumRepositoryNamesExceededException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.cc.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
				ApprovalRuleTemplateName: aws.String(tc.template), RepositoryNames: tc.repos})
			wantCode(t, err, tc.code)
			_, err = b.cc.BatchAssociateApprovalRuleTemplateWithRepositories(ctx, &codecommit.BatchAssociateApprovalRuleTemplateWithRepositoriesInput{
				ApprovalRuleTemplateName: aws.String(tc.template), RepositoryNames: tc.repos})
			wantCode(t, err, tc.code)
		})
	}
}

func TestUpdateApprovalRuleTemplateNameKeepsItsAssociations(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	out := must(b.cc.UpdateApprovalRuleTemplateName(ctx, &codecommit.UpdateApprovalRuleTemplateNameInput{
		OldApprovalRuleTemplateName: aws.String("two"), NewApprovalRuleTemplateName: aws.String("two-approvals")}))(t)
	if aws.ToString(out.ApprovalRuleTemplate.ApprovalRuleTemplateName) != "two-approvals" ||
		aws.ToString(out.ApprovalRuleTemplate.LastModifiedUser) != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("renamed template = %+v", out.ApprovalRuleTemplate)
	}
	if got := b.reposOf(t, "two-approvals"); !slices.Equal(got, []string{"api", "web"}) {
		t.Fatalf("associations after rename = %v, want api web", got)
	}
	_, err := b.cc.GetApprovalRuleTemplate(ctx, &codecommit.GetApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two")})
	wantCode(t, err, "ApprovalRuleTemplateDoesNotExistException")

	must(b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
		ApprovalRuleTemplateName: aws.String("one"), ApprovalRuleTemplateContent: aws.String(contentOneApproval)}))(t)
	for _, tc := range []struct{ name, from, to, code string }{
		{"the new name is taken", "one", "two-approvals", "ApprovalRuleTemplateNameAlreadyExistsException"},
		{"the old name does not exist", "two", "three", "ApprovalRuleTemplateDoesNotExistException"},
		{"the new name is empty", "one", "", "ApprovalRuleTemplateNameRequiredException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.cc.UpdateApprovalRuleTemplateName(ctx, &codecommit.UpdateApprovalRuleTemplateNameInput{
				OldApprovalRuleTemplateName: aws.String(tc.from), NewApprovalRuleTemplateName: aws.String(tc.to)})
			wantCode(t, err, tc.code)
		})
	}
}

func TestUpdateRepositoryNameTakesItsAssociationsAlong(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	before := must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("api")}))(t)
	must(b.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("api"), NewName: aws.String("api-v2")}))(t)

	after := must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("api-v2")}))(t)
	if aws.ToString(after.RepositoryMetadata.RepositoryId) != aws.ToString(before.RepositoryMetadata.RepositoryId) ||
		aws.ToString(after.RepositoryMetadata.Arn) != "arn:aws:codecommit:eu-west-1:111122223333:api-v2" {
		t.Fatalf("renamed repository = %+v", after.RepositoryMetadata)
	}
	if got := b.reposOf(t, "two"); !slices.Equal(got, []string{"api-v2", "web"}) {
		t.Fatalf("template associations after rename = %v, want api-v2 web", got)
	}
	tpls := must(b.cc.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{
		RepositoryName: aws.String("api-v2")}))(t)
	if !slices.Equal(tpls.ApprovalRuleTemplateNames, []string{"two"}) {
		t.Fatalf("templates of the renamed repository = %v", tpls.ApprovalRuleTemplateNames)
	}
	_, err := b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("api")})
	wantCode(t, err, "RepositoryDoesNotExistException")

	for _, tc := range []struct{ name, from, to, code string }{
		{"the new name is taken", "web", "docs", "RepositoryNameExistsException"},
		{"the old name does not exist", "api", "api-v3", "RepositoryDoesNotExistException"},
		{"the new name is not valid", "web", "web.git", "InvalidRepositoryNameException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String(tc.from), NewName: aws.String(tc.to)})
			wantCode(t, err, tc.code)
		})
	}
}
