package repoguard

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// lastRecord returns the trail's last record of an event name.
func (tb *testbed) lastRecord(t *testing.T, name string) cloudtrail.Record {
	t.Helper()
	var out cloudtrail.Record
	found := false
	for _, ev := range tb.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		if rec.EventName == name {
			out, found = rec, true
		}
	}
	if !found {
		t.Fatalf("no %s record in the trail", name)
	}
	return out
}

func names(subs []pipeline.Subject) string {
	var out []string
	for _, s := range subs {
		out = append(out, string(s.Type)+":"+s.Name)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// TestSubjectsOfBatchAndRenameRecords drives each call through the
// emulator and judges the record CloudTrail (the emulator) wrote for it.
func TestSubjectsOfBatchAndRenameRecords(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(t *testing.T, tb *testbed) string // returns the event name
		want string
	}{
		{"a batch disassociation names every repository of the batch, exempt ones aside", func(t *testing.T, tb *testbed) string {
			_, err := tb.cc.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
				ApprovalRuleTemplateName: aws.String(tmplName), RepositoryNames: []string{"payments", "billing", "sandbox-x"}})
			if err != nil {
				t.Fatal(err)
			}
			return "BatchDisassociateApprovalRuleTemplateFromRepositories"
		}, "repository:billing,repository:payments"},
		{"a renamed template names the repositories associated with it under its new name", func(t *testing.T, tb *testbed) string {
			_, err := tb.cc.UpdateApprovalRuleTemplateName(ctx, &codecommit.UpdateApprovalRuleTemplateNameInput{
				OldApprovalRuleTemplateName: aws.String(tmplName), NewApprovalRuleTemplateName: aws.String("renamed")})
			if err != nil {
				t.Fatal(err)
			}
			return "UpdateApprovalRuleTemplateName"
		}, "repository:billing,repository:payments"},
		{"a template renamed twice is found under neither old name and lists nothing", func(t *testing.T, tb *testbed) string {
			for _, n := range [][2]string{{tmplName, "renamed"}, {"renamed", "again"}} {
				if _, err := tb.cc.UpdateApprovalRuleTemplateName(ctx, &codecommit.UpdateApprovalRuleTemplateNameInput{
					OldApprovalRuleTemplateName: aws.String(n[0]), NewApprovalRuleTemplateName: aws.String(n[1])}); err != nil {
					t.Fatal(err)
				}
			}
			// The first record: neither tmplName nor "renamed" exists now.
			return "first UpdateApprovalRuleTemplateName"
		}, ""},
		{"a renamed repository is named by its new name", func(t *testing.T, tb *testbed) string {
			if _, err := tb.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("payments"), NewName: aws.String("payments-v2")}); err != nil {
				t.Fatal(err)
			}
			return "UpdateRepositoryName"
		}, "repository:payments-v2"},
		{"a repository renamed into an exemption is skipped", func(t *testing.T, tb *testbed) string {
			if _, err := tb.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("payments"), NewName: aws.String("sandbox-payments")}); err != nil {
				t.Fatal(err)
			}
			return "UpdateRepositoryName"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t, subjectsWorld())
			name := tt.call(t, tb)
			var rec cloudtrail.Record
			if first, ok := strings.CutPrefix(name, "first "); ok {
				for _, ev := range tb.srv.Env.Trail.Since(0) {
					_, r, _ := cloudtrail.ParseEnvelope(ev.Event)
					if r.EventName == first {
						rec = r
						break
					}
				}
			} else {
				rec = tb.lastRecord(t, name)
			}
			subs, err := tb.g.Subjects(ctx, rec)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(subs); got != tt.want {
				t.Errorf("subjects %q, want %q", got, tt.want)
			}
		})
	}
}

func TestApprovalOverrideIsAlertedWithWhoAndWhich(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, subjectsWorld())
	pr, err := tb.cc.CreatePullRequest(ctx, &codecommit.CreatePullRequestInput{Title: aws.String("skip review"),
		Targets: []cctypes.Target{{RepositoryName: aws.String("payments"), SourceReference: aws.String("feature")}}})
	if err != nil {
		t.Fatal(err)
	}
	override := func(status cctypes.OverrideStatus) cloudtrail.Record {
		t.Helper()
		if _, err := tb.cc.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{
			PullRequestId: pr.PullRequest.PullRequestId, RevisionId: pr.PullRequest.RevisionId, OverrideStatus: status}); err != nil {
			t.Fatal(err)
		}
		return tb.lastRecord(t, "OverridePullRequestApprovalRules")
	}
	rec := override(cctypes.OverrideStatusOverride)
	subs, err := tb.g.Subjects(ctx, rec)
	id := aws.ToString(pr.PullRequest.PullRequestId)
	if err != nil || len(subs) != 1 || subs[0].Type != finding.ResourcePullRequest || subs[0].Name != id {
		t.Fatalf("subjects %+v, %v; want pull request %s", subs, err, id)
	}
	subs[0].Event = &rec // as the pipeline hands it
	// The override is revoked before the guard looks: the record still counts.
	revoke := override(cctypes.OverrideStatusRevoke)
	d, err := tb.g.Evaluate(ctx, subs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 1 || len(d.Actions) != 0 {
		t.Fatalf("decision %+v, want one finding and no action", d)
	}
	f := d.Findings[0]
	if f.Rule != rules.ApprovalOverride || f.Resource != "payments/pull-requests/"+id || f.Severity != finding.SeverityHigh ||
		!strings.Contains(f.Summary, rec.UserIdentity.ARN) || !strings.Contains(f.Detail, `"skip review"`) {
		t.Errorf("finding %+v", f)
	}
	if subs, err := tb.g.Subjects(ctx, revoke); err != nil || len(subs) != 0 {
		t.Errorf("a revoked override gives subjects %+v, %v; want none", subs, err)
	}
}

func TestApprovalOverrideOfAnExemptRepositoryIsNotReported(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, subjectsWorld())
	pr, err := tb.cc.CreatePullRequest(ctx, &codecommit.CreatePullRequestInput{Title: aws.String("toy"),
		Targets: []cctypes.Target{{RepositoryName: aws.String("sandbox-x"), SourceReference: aws.String("feature")}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := tb.g.Evaluate(ctx, pipeline.Subject{Type: finding.ResourcePullRequest, Name: aws.ToString(pr.PullRequest.PullRequestId)})
	if err != nil || len(d.Findings) != 0 {
		t.Errorf("decision %+v, %v; want nothing for an exempt repository", d, err)
	}
	d, err = tb.g.Evaluate(ctx, pipeline.Subject{Type: finding.ResourcePullRequest, Name: "999"})
	if err != nil || len(d.Findings) != 1 || d.Findings[0].Resource != "pull-requests/999" {
		t.Errorf("decision %+v, %v; want the override of a pull request no longer readable reported", d, err)
	}
}
