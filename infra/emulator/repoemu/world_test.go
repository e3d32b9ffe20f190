package repoemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

func TestLoadWorldRefusesInconsistentWorlds(t *testing.T) {
	okRepo := []repoemu.Repository{{Name: "api"}}
	tests := []struct {
		name  string
		world repoemu.World
		want  string
	}{
		{"an invalid repository name", repoemu.World{Repositories: []repoemu.Repository{{Name: "no good"}}}, "not valid"},
		{"a repository twice", repoemu.World{Repositories: []repoemu.Repository{{Name: "api"}, {Name: "api"}}}, "twice"},
		{"a repository id that is no UUID", repoemu.World{Repositories: []repoemu.Repository{{Name: "api", ID: "x"}}}, "not a UUID"},
		{"invalid template content", repoemu.World{ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "t", Content: "{}"}}}, "invalid approval rule template content"},
		{"a template twice", repoemu.World{ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{
			{Name: "t", Content: contentOneApproval}, {Name: "t", Content: contentOneApproval}}}, "twice"},
		{"an association to a missing template", repoemu.World{Repositories: okRepo,
			TemplateAssociations: []repoemu.TemplateAssociation{{Template: "t", Repository: "api"}}}, `no approval rule template "t"`},
		{"an association to a missing repository", repoemu.World{
			ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "t", Content: contentOneApproval}},
			TemplateAssociations:  []repoemu.TemplateAssociation{{Template: "t", Repository: "api"}}}, `no repository "api"`},
		{"a CodeGuru association of a missing repository", repoemu.World{
			CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "api"}}}, "no CodeCommit repository"},
		{"an unknown CodeGuru state", repoemu.World{Repositories: okRepo,
			CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "api", State: "Sleeping"}}}, "state"},
		{"an unknown provider", repoemu.World{
			CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "api", ProviderType: "GitLab"}}}, "providerType"},
		{"two active CodeGuru associations", repoemu.World{Repositories: okRepo,
			CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "api"}, {Repository: "api", State: "Associating"}}}, "two active"},
		{"a bad delay", repoemu.World{AssociationDelay: "soon"}, "associationDelay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t)
			err := b.srv.Repos.LoadWorld(tt.world)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestWorldFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	doc := `{"repos": {
		"repositories": [{"name": "api", "description": "the API", "defaultBranch": "main"}, {"name": "web"}],
		"approvalRuleTemplates": [{"name": "two", "content": ` + jsonString(contentTwoApprovals) + `}],
		"templateAssociations": [{"template": "two", "repository": "api"}],
		"codeGuruAssociations": [{"repository": "api"}],
		"codeGuruClosedToNew": false,
		"associationDelay": "0s"
	}, "lambda": {}}`
	resp, err := http.Post(b.url+emulator.AdminPrefix+"world", "application/json", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("load world: %s", resp.Status)
	}

	got := must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("api")}))(t)
	if aws.ToString(got.RepositoryMetadata.DefaultBranch) != "main" {
		t.Fatalf("defaultBranch = %v", got.RepositoryMetadata.DefaultBranch)
	}
	tpls := must(b.cc.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{RepositoryName: aws.String("api")}))(t)
	if len(tpls.ApprovalRuleTemplateNames) != 1 {
		t.Fatalf("templates of api = %v", tpls.ApprovalRuleTemplateNames)
	}
	// The world opened CodeGuru with no delay: a new association settles at once.
	a := must(b.cg.AssociateRepository(ctx, associateInput("web", "")))(t)
	d := must(b.cg.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: a.RepositoryAssociation.AssociationArn}))(t)
	if d.RepositoryAssociation.State != "Associated" {
		t.Fatalf("state = %s, want Associated with a zero delay", d.RepositoryAssociation.State)
	}

	dumped := b.srv.Repos.DumpWorld()
	raw, err := json.Marshal(dumped)
	if err != nil {
		t.Fatal(err)
	}
	other := newBed(t)
	var w repoemu.World
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("dumped world does not decode strictly: %v", err)
	}
	other.load(t, w)
	again, _ := json.Marshal(other.srv.Repos.DumpWorld())
	if string(again) != string(raw) {
		t.Fatalf("round trip changed the world:\n%s\n%s", raw, again)
	}
	if len(w.CodeGuruAssociations) != 2 || *w.CodeGuruClosedToNew {
		t.Fatalf("dumped CodeGuru part = %+v closed=%v", w.CodeGuruAssociations, *w.CodeGuruClosedToNew)
	}
}

func TestAdminRouteReportsAndValidates(t *testing.T) {
	b := newBed(t)
	resp, err := http.Get(b.url + emulator.AdminPrefix + "repos/codeguru")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got repoemu.CodeGuruAvailability
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.ClosedToNew == nil || !*got.ClosedToNew || got.AssociationDelay != repoemu.DefaultAssociationDelay.String() {
		t.Fatalf("default availability = %+v, want closed with the default delay", got)
	}
	for _, body := range []string{`{"associationDelay": "-1s"}`, `{"closed": true}`, `not json`} {
		if resp := b.adminPut(t, "repos/codeguru", body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT %s: %s, want 400", body, resp.Status)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
