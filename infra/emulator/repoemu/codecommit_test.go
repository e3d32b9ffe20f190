package repoemu_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

func TestRepositoryLifecycle(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	before := b.srv.Env.Clock.Now().Truncate(time.Second)

	created := must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{
		RepositoryName: aws.String("payments"), RepositoryDescription: aws.String("the payments service"),
	}))(t)
	md := created.RepositoryMetadata
	if aws.ToString(md.RepositoryName) != "payments" || aws.ToString(md.AccountId) != testAccount ||
		aws.ToString(md.Arn) != "arn:aws:codecommit:eu-west-1:111122223333:payments" ||
		aws.ToString(md.CloneUrlHttp) != "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/payments" ||
		aws.ToString(md.RepositoryDescription) != "the payments service" || aws.ToString(md.RepositoryId) == "" {
		t.Fatalf("metadata = %+v", md)
	}
	if md.CreationDate == nil || md.CreationDate.Before(before) || md.CreationDate.After(time.Now().Add(time.Minute)) {
		t.Fatalf("creationDate = %v, want about now", md.CreationDate)
	}

	got := must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("payments")}))(t)
	if aws.ToString(got.RepositoryMetadata.RepositoryId) != aws.ToString(md.RepositoryId) {
		t.Fatalf("GetRepository id = %s, want %s", aws.ToString(got.RepositoryMetadata.RepositoryId), aws.ToString(md.RepositoryId))
	}

	del := must(b.cc.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("payments")}))(t)
	if aws.ToString(del.RepositoryId) != aws.ToString(md.RepositoryId) {
		t.Fatalf("DeleteRepository id = %v, want %s", del.RepositoryId, aws.ToString(md.RepositoryId))
	}
	again := must(b.cc.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("payments")}))(t)
	if again.RepositoryId != nil {
		t.Fatalf("second DeleteRepository id = %q, want null as AWS answers", *again.RepositoryId)
	}
	_, err := b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("payments")})
	var missing *types.RepositoryDoesNotExistException
	if !errors.As(err, &missing) {
		t.Fatalf("GetRepository after delete: err = %v, want RepositoryDoesNotExistException", err)
	}
}

func TestCreateRepositoryErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("taken")}))(t)
	tests := []struct {
		name, repo, description, code string
	}{
		{"an existing name is refused", "taken", "", "RepositoryNameExistsException"},
		{"an empty name is required", "", "", "RepositoryNameRequiredException"},
		{"a space is not a valid character", "has space", "", "InvalidRepositoryNameException"},
		{"a name may not end in .git", "thing.git", "", "InvalidRepositoryNameException"},
		{"a name is at most 100 characters", strings.Repeat("a", 101), "", "InvalidRepositoryNameException"},
		{"a description is at most 1000 characters", "fine", strings.Repeat("d", 1001), "InvalidRepositoryDescriptionException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{
				RepositoryName: aws.String(tt.repo), RepositoryDescription: aws.String(tt.description),
			})
			wantCode(t, err, tt.code)
		})
	}
	_, err := b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("fine")})
	wantCode(t, err, "RepositoryDoesNotExistException")
}

func TestListRepositoriesPagesByThousand(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	var w repoemu.World
	for i := range 2345 {
		w.Repositories = append(w.Repositories, repoemu.Repository{Name: fmt.Sprintf("repo-%04d", i)})
	}
	b.load(t, w)

	var names []string
	pages := 0
	p := codecommit.NewListRepositoriesPaginator(b.cc, &codecommit.ListRepositoriesInput{})
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		if pages == 1 && len(out.Repositories) != 1000 {
			t.Fatalf("first page has %d repositories, want 1000", len(out.Repositories))
		}
		for _, r := range out.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
			if aws.ToString(r.RepositoryId) == "" {
				t.Fatalf("repository %s without id", aws.ToString(r.RepositoryName))
			}
		}
	}
	if pages != 3 || len(names) != 2345 || !slices.IsSorted(names) {
		t.Fatalf("pages = %d, names = %d (sorted %v), want 3 pages of 2345 sorted names", pages, len(names), slices.IsSorted(names))
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatal("a repository was listed twice")
	}

	desc := must(b.cc.ListRepositories(ctx, &codecommit.ListRepositoriesInput{
		SortBy: types.SortByEnumRepositoryName, Order: types.OrderEnumDescending,
	}))(t)
	if got := aws.ToString(desc.Repositories[0].RepositoryName); got != "repo-2344" {
		t.Fatalf("first descending = %s, want repo-2344", got)
	}

	_, err := b.cc.ListRepositories(ctx, &codecommit.ListRepositoriesInput{NextToken: aws.String("forged")})
	wantCode(t, err, "InvalidContinuationTokenException")
	_, err = b.cc.ListRepositories(ctx, &codecommit.ListRepositoriesInput{SortBy: "size"})
	wantCode(t, err, "InvalidSortByException")
	_, err = b.cc.ListRepositories(ctx, &codecommit.ListRepositoriesInput{Order: "sideways"})
	wantCode(t, err, "InvalidOrderException")
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestApprovalRuleTemplateLifecycle(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	for _, name := range []string{"api", "web"} {
		must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String(name)}))(t)
	}

	created := must(b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"), ApprovalRuleTemplateContent: aws.String(contentTwoApprovals),
		ApprovalRuleTemplateDescription: aws.String("two approvals into main"),
	}))(t)
	tpl := created.ApprovalRuleTemplate
	if aws.ToString(tpl.RuleContentSha256) != sha(contentTwoApprovals) || aws.ToString(tpl.ApprovalRuleTemplateId) == "" ||
		aws.ToString(tpl.LastModifiedUser) != "arn:aws:iam::111122223333:user/alice" || tpl.CreationDate == nil {
		t.Fatalf("template = %+v", tpl)
	}
	_, err := b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"), ApprovalRuleTemplateContent: aws.String(contentOneApproval),
	})
	wantCode(t, err, "ApprovalRuleTemplateNameAlreadyExistsException")

	got := must(b.cc.GetApprovalRuleTemplate(ctx, &codecommit.GetApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two-reviewers")}))(t)
	if aws.ToString(got.ApprovalRuleTemplate.ApprovalRuleTemplateContent) != contentTwoApprovals {
		t.Fatalf("content = %s", aws.ToString(got.ApprovalRuleTemplate.ApprovalRuleTemplateContent))
	}

	// The content hash guards against lost updates.
	_, err = b.cc.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"), NewRuleContent: aws.String(contentOneApproval),
		ExistingRuleContentSha256: aws.String(sha("something else")),
	})
	wantCode(t, err, "InvalidRuleContentSha256Exception")
	_, err = b.cc.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"), NewRuleContent: aws.String(`{"Version":"2018-11-08"}`),
	})
	wantCode(t, err, "InvalidApprovalRuleTemplateContentException")
	upd := must(b.cc.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"), NewRuleContent: aws.String(contentOneApproval),
		ExistingRuleContentSha256: tpl.RuleContentSha256,
	}))(t)
	if aws.ToString(upd.ApprovalRuleTemplate.RuleContentSha256) != sha(contentOneApproval) {
		t.Fatalf("sha after update = %s", aws.ToString(upd.ApprovalRuleTemplate.RuleContentSha256))
	}

	for _, repo := range []string{"api", "web"} {
		must(b.cc.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
			ApprovalRuleTemplateName: aws.String("two-reviewers"), RepositoryName: aws.String(repo),
		}))(t)
	}
	repos := must(b.cc.ListRepositoriesForApprovalRuleTemplate(ctx, &codecommit.ListRepositoriesForApprovalRuleTemplateInput{
		ApprovalRuleTemplateName: aws.String("two-reviewers"),
	}))(t)
	if !slices.Equal(repos.RepositoryNames, []string{"api", "web"}) {
		t.Fatalf("repositories for template = %v", repos.RepositoryNames)
	}
	forRepo := must(b.cc.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{
		RepositoryName: aws.String("api"),
	}))(t)
	if !slices.Equal(forRepo.ApprovalRuleTemplateNames, []string{"two-reviewers"}) {
		t.Fatalf("templates for api = %v", forRepo.ApprovalRuleTemplateNames)
	}

	_, err = b.cc.DeleteApprovalRuleTemplate(ctx, &codecommit.DeleteApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two-reviewers")})
	wantCode(t, err, "ApprovalRuleTemplateInUseException")

	for _, repo := range []string{"api", "web"} {
		must(b.cc.DisassociateApprovalRuleTemplateFromRepository(ctx, &codecommit.DisassociateApprovalRuleTemplateFromRepositoryInput{
			ApprovalRuleTemplateName: aws.String("two-reviewers"), RepositoryName: aws.String(repo),
		}))(t)
	}
	forRepo = must(b.cc.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{
		RepositoryName: aws.String("api"),
	}))(t)
	if len(forRepo.ApprovalRuleTemplateNames) != 0 {
		t.Fatalf("templates for api after disassociation = %v", forRepo.ApprovalRuleTemplateNames)
	}
	del := must(b.cc.DeleteApprovalRuleTemplate(ctx, &codecommit.DeleteApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two-reviewers")}))(t)
	if aws.ToString(del.ApprovalRuleTemplateId) != aws.ToString(tpl.ApprovalRuleTemplateId) {
		t.Fatalf("deleted id = %s, want %s", aws.ToString(del.ApprovalRuleTemplateId), aws.ToString(tpl.ApprovalRuleTemplateId))
	}
	_, err = b.cc.GetApprovalRuleTemplate(ctx, &codecommit.GetApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("two-reviewers")})
	var missing *types.ApprovalRuleTemplateDoesNotExistException
	if !errors.As(err, &missing) {
		t.Fatalf("get after delete: err = %v, want ApprovalRuleTemplateDoesNotExistException", err)
	}
}

func TestApprovalRuleTemplateErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{
		Repositories:          []repoemu.Repository{{Name: "api"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "one", Content: contentOneApproval}},
	})
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"creating with invalid content is refused", func() error {
			_, err := b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
				ApprovalRuleTemplateName: aws.String("bad"), ApprovalRuleTemplateContent: aws.String(`{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":0}]}`)})
			return err
		}, "InvalidApprovalRuleTemplateContentException"},
		{"creating without content is refused", func() error {
			_, err := b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
				ApprovalRuleTemplateName: aws.String("bad"), ApprovalRuleTemplateContent: aws.String("")})
			return err
		}, "ApprovalRuleTemplateContentRequiredException"},
		{"creating without a name is refused", func() error {
			_, err := b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
				ApprovalRuleTemplateName: aws.String(""), ApprovalRuleTemplateContent: aws.String(contentOneApproval)})
			return err
		}, "ApprovalRuleTemplateNameRequiredException"},
		{"a long description is refused", func() error {
			_, err := b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
				ApprovalRuleTemplateName: aws.String("long"), ApprovalRuleTemplateContent: aws.String(contentOneApproval),
				ApprovalRuleTemplateDescription: aws.String(strings.Repeat("x", 1001))})
			return err
		}, "InvalidApprovalRuleTemplateDescriptionException"},
		{"associating a missing template fails", func() error {
			_, err := b.cc.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
				ApprovalRuleTemplateName: aws.String("nope"), RepositoryName: aws.String("api")})
			return err
		}, "ApprovalRuleTemplateDoesNotExistException"},
		{"associating with a missing repository fails", func() error {
			_, err := b.cc.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
				ApprovalRuleTemplateName: aws.String("one"), RepositoryName: aws.String("nope")})
			return err
		}, "RepositoryDoesNotExistException"},
		{"updating a missing template fails", func() error {
			_, err := b.cc.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
				ApprovalRuleTemplateName: aws.String("nope"), NewRuleContent: aws.String(contentOneApproval)})
			return err
		}, "ApprovalRuleTemplateDoesNotExistException"},
		{"listing templates of a missing repository fails", func() error {
			_, err := b.cc.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{
				RepositoryName: aws.String("nope")})
			return err
		}, "RepositoryDoesNotExistException"},
		{"listing repositories of a missing template fails", func() error {
			_, err := b.cc.ListRepositoriesForApprovalRuleTemplate(ctx, &codecommit.ListRepositoriesForApprovalRuleTemplateInput{
				ApprovalRuleTemplateName: aws.String("nope")})
			return err
		}, "ApprovalRuleTemplateDoesNotExistException"},
		{"a zero page size is refused", func() error {
			_, err := b.cc.ListApprovalRuleTemplates(ctx, &codecommit.ListApprovalRuleTemplatesInput{MaxResults: aws.Int32(0)})
			return err
		}, "InvalidMaxResultsException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}

	// DeleteApprovalRuleTemplate has no does-not-exist error in AWS.
	del := must(b.cc.DeleteApprovalRuleTemplate(ctx, &codecommit.DeleteApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("nope")}))(t)
	if aws.ToString(del.ApprovalRuleTemplateId) != "" {
		t.Fatalf("deleting a missing template returned id %q", aws.ToString(del.ApprovalRuleTemplateId))
	}
}

func TestListApprovalRuleTemplatesPages(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	var w repoemu.World
	for i := range 5 {
		w.ApprovalRuleTemplates = append(w.ApprovalRuleTemplates, repoemu.ApprovalRuleTemplate{Name: fmt.Sprintf("t%d", i), Content: contentOneApproval})
	}
	b.load(t, w)
	var names []string
	p := codecommit.NewListApprovalRuleTemplatesPaginator(b.cc, &codecommit.ListApprovalRuleTemplatesInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		if len(out.ApprovalRuleTemplateNames) > 2 {
			t.Fatalf("page of %d names, want at most 2", len(out.ApprovalRuleTemplateNames))
		}
		names = append(names, out.ApprovalRuleTemplateNames...)
	}
	if pages != 3 || !slices.Equal(names, []string{"t0", "t1", "t2", "t3", "t4"}) {
		t.Fatalf("pages = %d, names = %v", pages, names)
	}
}

func TestCodeCommitFaultsAndCallCounts(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "codecommit", Operation: "CreateRepository", ErrorRate: 1, Count: 1,
		Status: 400, Code: "ThrottlingException"}})
	_, err := b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("api")})
	wantCode(t, err, "ThrottlingException")
	must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("api")}))(t)

	var stat awsproto.CallStat
	for _, s := range b.srv.Env.Calls.Stats() {
		if s.Service == "codecommit" && s.Operation == "CreateRepository" {
			stat = s
		}
	}
	if stat.Calls != 2 || stat.Errors != 1 {
		t.Fatalf("CreateRepository stats = %+v, want 2 calls, 1 error", stat)
	}
}
