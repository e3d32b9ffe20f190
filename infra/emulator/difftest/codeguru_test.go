package difftest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"

	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

// TestCodeGuruDecodesLikeTheAWSExamples replays the CodeGuru Reviewer user
// guide's CLI output as the API body (the CLI prints the response as it
// came) through the SDK, and compares the fields with the emulator's.
// repoemu compares raw key sets; this goes through the SDK's decoder.
func TestCodeGuruDecodesLikeTheAWSExamples(t *testing.T) {
	ctx := context.Background()
	r := newReplay(t)
	e := newEmu(t, lambdaWorldNone)
	if err := e.srv.Repos.LoadWorld(repoemu.World{
		Repositories: []repoemu.Repository{{Name: "repository-name"}},
		CodeGuruAssociations: []repoemu.CodeGuruAssociation{
			{Repository: "test", ProviderType: "Bitbucket", Owner: "bitbucket-owner"},
			{Repository: "repository-name"},
		},
	}); err != nil {
		t.Fatal(err)
	}

	var list map[string]any
	readJSON(t, "awsapi/codeguru-reviewer-ListRepositoryAssociations.aws-docs.json", &list)
	r.set(cannedOf(t, list, 200))
	refList, err := r.codeguru().ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{})
	if err != nil {
		t.Fatalf("the SDK could not decode the example: %v", err)
	}
	gotList, err := e.cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, "ListRepositoryAssociations", refList, gotList, allowance{})

	var dis map[string]any
	readJSON(t, "awsapi/codeguru-reviewer-DisassociateRepository.aws-docs.json", &dis)
	r.set(cannedOf(t, dis, 200))
	in := &codegurureviewer.DisassociateRepositoryInput{}
	for _, s := range gotList.RepositoryAssociationSummaries {
		if *s.Name == "repository-name" {
			in.AssociationArn = s.AssociationArn
		}
	}
	refDis, err := r.codeguru().DisassociateRepository(ctx, in)
	if err != nil {
		t.Fatalf("the SDK could not decode the example: %v", err)
	}
	gotDis, err := e.cg.DisassociateRepository(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, "DisassociateRepository", refDis, gotDis, allowance{})
	if gotDis.RepositoryAssociation.State != refDis.RepositoryAssociation.State {
		t.Errorf("state after DisassociateRepository %q, AWS example %q", gotDis.RepositoryAssociation.State, refDis.RepositoryAssociation.State)
	}
}
