package repoemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

func associateInput(repo, token string) *codegurureviewer.AssociateRepositoryInput {
	in := &codegurureviewer.AssociateRepositoryInput{
		Repository: &types.Repository{CodeCommit: &types.CodeCommitRepository{Name: aws.String(repo)}},
	}
	if token != "" {
		in.ClientRequestToken = aws.String(token)
	}
	return in
}

func open(t *testing.T, b *bed) {
	t.Helper()
	if resp := b.adminPut(t, "repos/codeguru", `{"closedToNew": false}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin PUT codeguru: %s", resp.Status)
	}
}

func TestCodeGuruRefusesNewAssociationsByDefault(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{
		Repositories:         []repoemu.Repository{{Name: "legacy"}, {Name: "fresh"}},
		CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "legacy"}},
	})

	_, err := b.cg.AssociateRepository(ctx, associateInput("fresh", ""))
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Fatalf("AssociateRepository of a new repository: err = %v, want AccessDeniedException", err)
	}

	// Existing associations keep working: list, describe, disassociate.
	list := must(b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{}))(t)
	if len(list.RepositoryAssociationSummaries) != 1 || aws.ToString(list.RepositoryAssociationSummaries[0].Name) != "legacy" ||
		list.RepositoryAssociationSummaries[0].State != types.RepositoryAssociationStateAssociated {
		t.Fatalf("summaries = %+v", list.RepositoryAssociationSummaries)
	}
	arn := list.RepositoryAssociationSummaries[0].AssociationArn
	desc := must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: arn}))(t)
	if aws.ToString(desc.RepositoryAssociation.Owner) != testAccount || desc.RepositoryAssociation.ProviderType != types.ProviderTypeCodeCommit {
		t.Fatalf("association = %+v", desc.RepositoryAssociation)
	}
	dis := must(b.cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{AssociationArn: arn}))(t)
	if dis.RepositoryAssociation.State != types.RepositoryAssociationStateDisassociating {
		t.Fatalf("state after DisassociateRepository = %s, want Disassociating", dis.RepositoryAssociation.State)
	}
	b.srv.Env.Clock.Advance(repoemu.DefaultAssociationDelay)
	desc = must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: arn}))(t)
	if desc.RepositoryAssociation.State != types.RepositoryAssociationStateDisassociated {
		t.Fatalf("state after the delay = %s, want Disassociated", desc.RepositoryAssociation.State)
	}
	// Once gone, it cannot come back while the service is closed.
	_, err = b.cg.AssociateRepository(ctx, associateInput("legacy", ""))
	if !errors.As(err, &denied) {
		t.Fatalf("re-associating a disassociated repository: err = %v, want AccessDeniedException", err)
	}
}

func TestCodeGuruAssociationWhenOpen(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "api"}}, AssociationDelay: "30s"})
	open(t, b)

	out := must(b.cg.AssociateRepository(ctx, associateInput("api", "token-1")))(t)
	a := out.RepositoryAssociation
	if a.State != types.RepositoryAssociationStateAssociating || aws.ToString(a.StateReason) == "" ||
		aws.ToString(a.Name) != "api" || aws.ToString(a.Owner) != testAccount ||
		aws.ToString(a.AssociationArn) != "arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:"+aws.ToString(a.AssociationId) {
		t.Fatalf("association = %+v", a)
	}

	again := must(b.cg.AssociateRepository(ctx, associateInput("api", "token-1")))(t)
	if aws.ToString(again.RepositoryAssociation.AssociationId) != aws.ToString(a.AssociationId) {
		t.Fatal("the same ClientRequestToken made a second association")
	}
	_, err := b.cg.AssociateRepository(ctx, associateInput("api", "token-2"))
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("second association of api: err = %v, want ConflictException", err)
	}
	_, err = b.cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{AssociationArn: a.AssociationArn})
	if !errors.As(err, &conflict) {
		t.Fatalf("disassociating while Associating: err = %v, want ConflictException", err)
	}

	b.srv.Env.Clock.Advance(29 * time.Second)
	desc := must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: a.AssociationArn}))(t)
	if desc.RepositoryAssociation.State != types.RepositoryAssociationStateAssociating {
		t.Fatalf("state before the delay = %s, want Associating", desc.RepositoryAssociation.State)
	}
	b.srv.Env.Clock.Advance(time.Second)
	desc = must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: a.AssociationArn}))(t)
	if desc.RepositoryAssociation.State != types.RepositoryAssociationStateAssociated || desc.RepositoryAssociation.StateReason != nil {
		t.Fatalf("after the delay: state = %s, reason = %v, want Associated", desc.RepositoryAssociation.State, desc.RepositoryAssociation.StateReason)
	}

	// Closing the service again leaves the existing association alone.
	if resp := b.adminPut(t, "repos/codeguru", `{"closedToNew": true}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin PUT: %s", resp.Status)
	}
	desc = must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: a.AssociationArn}))(t)
	if desc.RepositoryAssociation.State != types.RepositoryAssociationStateAssociated {
		t.Fatalf("state after closing = %s", desc.RepositoryAssociation.State)
	}
}

func TestCodeGuruErrors(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "api"}}})
	open(t, b)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"a repository missing from CodeCommit cannot be associated", func() error {
			_, err := b.cg.AssociateRepository(ctx, associateInput("ghost", ""))
			return err
		}, "ValidationException"},
		{"a name with a space is invalid", func() error {
			_, err := b.cg.AssociateRepository(ctx, associateInput("has space", ""))
			return err
		}, "ValidationException"},
		{"an unknown association is not found", func() error {
			_, err := b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{
				AssociationArn: aws.String("arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:00000000-0000-4000-8000-000000000000")})
			return err
		}, "NotFoundException"},
		{"disassociating an unknown association is not found", func() error {
			_, err := b.cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{
				AssociationArn: aws.String("arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:00000000-0000-4000-8000-000000000000")})
			return err
		}, "NotFoundException"},
		{"a malformed ARN is invalid", func() error {
			_, err := b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: aws.String("not-an-arn")})
			return err
		}, "ValidationException"},
		{"a page size over 100 is invalid", func() error {
			_, err := b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{MaxResults: aws.Int32(101)})
			return err
		}, "ValidationException"},
		{"an unknown state filter is invalid", func() error {
			_, err := b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{States: []types.RepositoryAssociationState{"Sleeping"}})
			return err
		}, "ValidationException"},
		{"a forged NextToken is invalid", func() error {
			_, err := b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{NextToken: aws.String("forged")})
			return err
		}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
}

func TestListRepositoryAssociationsFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	w := repoemu.World{}
	states := []string{repoemu.StateAssociated, repoemu.StateFailed, repoemu.StateDisassociated}
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		w.Repositories = append(w.Repositories, repoemu.Repository{Name: name})
		w.CodeGuruAssociations = append(w.CodeGuruAssociations, repoemu.CodeGuruAssociation{Repository: name, State: states[i%3]})
	}
	w.CodeGuruAssociations = append(w.CodeGuruAssociations, repoemu.CodeGuruAssociation{Repository: "gh-app", ProviderType: "GitHub", Owner: "octo"})
	b.load(t, w)

	names := func(in *codegurureviewer.ListRepositoryAssociationsInput) []string {
		t.Helper()
		var got []string
		p := codegurureviewer.NewListRepositoryAssociationsPaginator(b.cg, in)
		for p.HasMorePages() {
			out := must(p.NextPage(ctx))(t)
			if in.MaxResults != nil && len(out.RepositoryAssociationSummaries) > int(*in.MaxResults) {
				t.Fatalf("page of %d, want at most %d", len(out.RepositoryAssociationSummaries), *in.MaxResults)
			}
			for _, s := range out.RepositoryAssociationSummaries {
				got = append(got, aws.ToString(s.Name))
			}
		}
		return got
	}
	tests := []struct {
		name string
		in   codegurureviewer.ListRepositoryAssociationsInput
		want []string
	}{
		{"no filter lists all in creation order, in pages", codegurureviewer.ListRepositoryAssociationsInput{MaxResults: aws.Int32(3)},
			[]string{"a", "b", "c", "d", "e", "f", "g", "gh-app"}},
		{"a state filter", codegurureviewer.ListRepositoryAssociationsInput{States: []types.RepositoryAssociationState{"Failed"}},
			[]string{"b", "e"}},
		{"several states match any", codegurureviewer.ListRepositoryAssociationsInput{States: []types.RepositoryAssociationState{"Failed", "Disassociated"}},
			[]string{"b", "c", "e", "f"}},
		{"a name filter", codegurureviewer.ListRepositoryAssociationsInput{Names: []string{"d", "zzz"}}, []string{"d"}},
		{"a provider filter", codegurureviewer.ListRepositoryAssociationsInput{ProviderTypes: []types.ProviderType{"GitHub"}}, []string{"gh-app"}},
		{"an owner filter", codegurureviewer.ListRepositoryAssociationsInput{Owners: []string{testAccount}, States: []types.RepositoryAssociationState{"Associated"}},
			[]string{"a", "d", "g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(&tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("names = %v, want %v", got, tt.want)
			}
		})
	}
}

// setFields returns the names of the non-zero exported fields of an SDK
// output struct: what the SDK decoded.
func setFields(v any) []string {
	rv := reflect.Indirect(reflect.ValueOf(v))
	var out []string
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if f.IsExported() && !rv.Field(i).IsZero() {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out
}

func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestResponsesMatchAWSExamples compares what the SDK decodes from the
// emulator with the CLI output examples of the CodeGuru Reviewer user guide:
// the same fields, no more, no fewer.
func TestResponsesMatchAWSExamples(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{
		Repositories: []repoemu.Repository{{Name: "CodeDeploy-CodePipeline-ECS-Tutorial"}},
		CodeGuruAssociations: []repoemu.CodeGuruAssociation{
			{Repository: "test", ProviderType: "Bitbucket", Owner: "bitbucket-owner"},
			{Repository: "CodeDeploy-CodePipeline-ECS-Tutorial"},
		},
	})

	var listExample struct{ RepositoryAssociationSummaries []json.RawMessage }
	readJSON(t, testdata(t, "awsapi/codeguru-reviewer-ListRepositoryAssociations.aws-docs.json"), &listExample)
	list := must(b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{}))(t)
	if len(list.RepositoryAssociationSummaries) != 2 {
		t.Fatalf("%d summaries, want 2", len(list.RepositoryAssociationSummaries))
	}
	for i, s := range list.RepositoryAssociationSummaries {
		want := keysOf(t, listExample.RepositoryAssociationSummaries[i])
		if got := setFields(s); !slices.Equal(got, want) {
			t.Errorf("summary %d fields = %v, AWS example has %v", i, got, want)
		}
	}

	var disExample struct{ RepositoryAssociation json.RawMessage }
	readJSON(t, testdata(t, "awsapi/codeguru-reviewer-DisassociateRepository.aws-docs.json"), &disExample)
	dis := must(b.cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{
		AssociationArn: list.RepositoryAssociationSummaries[1].AssociationArn}))(t)
	if got, want := setFields(dis.RepositoryAssociation), keysOf(t, disExample.RepositoryAssociation); !slices.Equal(got, want) {
		t.Errorf("DisassociateRepository fields = %v, AWS example has %v", got, want)
	}
	if dis.RepositoryAssociation.State != types.RepositoryAssociationStateDisassociating {
		t.Errorf("state = %s, want Disassociating as in the example", dis.RepositoryAssociation.State)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestCodeGuruFaultsAreInjectedAndCounted(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "api"}}, CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "api"}}})
	b.srv.Env.Faults.Set([]awsproto.Fault{{Service: "codeguru-reviewer", Operation: "ListRepositoryAssociations", ErrorRate: 1, Count: 1,
		Status: http.StatusTooManyRequests, Code: "ThrottlingException"}})
	_, err := b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{})
	var throttled *types.ThrottlingException
	if !errors.As(err, &throttled) {
		t.Fatalf("err = %v, want ThrottlingException", err)
	}
	must(b.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{}))(t)
	for _, s := range b.srv.Env.Calls.Stats() {
		if s.Service == "codeguru-reviewer" && s.Operation == "ListRepositoryAssociations" {
			if s.Calls != 2 || s.Throttled != 1 {
				t.Fatalf("stats = %+v, want 2 calls, 1 throttled", s)
			}
			return
		}
	}
	t.Fatal("no call stats for ListRepositoryAssociations")
}
