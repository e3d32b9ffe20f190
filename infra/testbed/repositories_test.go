package testbed

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/settings"
)

// reviewedWorld: three repositories, each with the required approval rule
// template and a CodeGuru Reviewer association.
func reviewedWorld() *emulator.World {
	w := &emulator.World{}
	w.Repos = repoemu.World{ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: settings.DefaultApprovalTemplate,
		Content: `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`}}}
	for _, r := range []string{"payments", "orders", "ledger"} {
		w.Repos.Repositories = append(w.Repos.Repositories, repoemu.Repository{Name: r, DefaultBranch: "main"})
		w.Repos.TemplateAssociations = append(w.Repos.TemplateAssociations, repoemu.TemplateAssociation{Template: settings.DefaultApprovalTemplate, Repository: r})
		w.Repos.CodeGuruAssociations = append(w.Repos.CodeGuruAssociations, repoemu.CodeGuruAssociation{Repository: r, State: "Associated"})
	}
	return w
}

// TestRepositoryWritesThatWereNotRoutedReachTheGuardEndToEnd: a batch
// disassociation strips the required template from two repositories in
// one call, a rename leaves a repository's automated review behind, and
// an override merges around the approval rules. Each CloudTrail event
// travels through template.yaml's rule to the real repo-guard bootstrap:
// the template is associated again, and the other two are alerted.
func TestRepositoryWritesThatWereNotRoutedReachTheGuardEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bed, err := Start(ctx, Options{
		World: reviewedWorld(), Parameters: GuardParameters("enforce"), Functions: []string{"RepoGuardFunction"},
		LogWriter: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	mallory := bed.CodeCommit(emulator.ActorAttacker)

	if _, err := mallory.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
		ApprovalRuleTemplateName: aws.String(settings.DefaultApprovalTemplate), RepositoryNames: []string{"payments", "orders"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, repo := range []string{"payments", "orders"} {
		out, err := mallory.ListAssociatedApprovalRuleTemplatesForRepository(ctx, &codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{RepositoryName: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(out.ApprovalRuleTemplateNames, settings.DefaultApprovalTemplate) {
			t.Errorf("%s has templates %v, want %s associated again", repo, out.ApprovalRuleTemplateNames, settings.DefaultApprovalTemplate)
		}
	}

	if _, err := mallory.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("ledger"), NewName: aws.String("ledger-v2")}); err != nil {
		t.Fatal(err)
	}
	pr, err := bed.CodeCommit(emulator.ActorDeveloper).CreatePullRequest(ctx, &codecommit.CreatePullRequestInput{
		Title: aws.String("skip the queue"), Targets: []cctypes.Target{{RepositoryName: aws.String("orders"), SourceReference: aws.String("hotfix")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{
		PullRequestId: pr.PullRequest.PullRequestId, RevisionId: pr.PullRequest.RevisionId, OverrideStatus: cctypes.OverrideStatusOverride,
	}); err != nil {
		t.Fatal(err)
	}
	if err := bed.Settle(ctx); err != nil {
		t.Fatal(err)
	}

	alerts, err := bed.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, a := range alerts {
		t.Logf("alert: %s", a.Subject)
		seen[a.Attributes["rule"]+" "+a.Attributes["resource"]] = a.Message
	}
	for _, want := range []string{"repo.no-approval-rule payments", "repo.no-approval-rule orders", "repo.no-automated-review ledger-v2"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("no alert %q", want)
		}
	}
	override, ok := seen["repo.approval-override orders/pull-requests/"+aws.ToString(pr.PullRequest.PullRequestId)]
	if !ok {
		t.Fatalf("no approval-override alert for the pull request; alerts %v", keys(seen))
	}
	for _, want := range []string{"user/mallory", "skip the queue"} {
		if !strings.Contains(override, want) {
			t.Errorf("override alert lacks %q:\n%s", want, override)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
