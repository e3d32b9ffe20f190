package repoguard

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"

	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// testdata is the real test data beside the checkout.
var testdata = filepath.Join("..", "..", "..", "shared", "testdata")

func realRecord(t *testing.T, name string) cloudtrail.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, "cloudtrail", name))
	if os.IsNotExist(err) && os.Getenv("CI") == "" {
		t.Skipf("%s not present outside CI", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	rec, err := cloudtrail.ParseRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func record(t *testing.T, source, name, request, response string) cloudtrail.Record {
	t.Helper()
	rec, err := cloudtrail.ParseRecord([]byte(`{"eventVersion":"1.08","eventSource":"` + source + `","eventName":"` + name +
		`","awsRegion":"eu-west-1","requestParameters":` + request + `,"responseElements":` + response +
		`,"readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

const assocID = "6eda8e7a-319a-4750-bca8-7f73a816fadc"

var assocARN = "arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:" + assocID

func subjectsWorld() repoemu.World {
	return repoemu.World{
		Repositories: []repoemu.Repository{{Name: "payments"}, {Name: "billing"}, {Name: "other"}, {Name: "sandbox-x"}, {Name: "MyDemoRepo"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{
			{Name: tmplName, Content: oneOnMain}, {Name: "team-rule", Content: oneOnDev},
		},
		TemplateAssociations: []repoemu.TemplateAssociation{
			{Template: tmplName, Repository: "payments"}, {Template: tmplName, Repository: "billing"},
			{Template: tmplName, Repository: "sandbox-x"}, {Template: "team-rule", Repository: "other"},
		},
		CodeGuruAssociations: []repoemu.CodeGuruAssociation{{Repository: "payments", ID: assocID}},
	}
}

func TestSubjects(t *testing.T) {
	tb := newTestbed(t, subjectsWorld())
	disassociated := `{"RepositoryAssociation":{"AssociationArn":"` + assocARN + `","AssociationId":"` + assocID +
		`","Name":"%s","Owner":"111122223333","ProviderType":"%s","State":"Disassociating","CreatedTimeStamp":1590712779.949,"LastUpdatedTimeStamp":1602119553.692}}`
	tests := []struct {
		name string
		rec  func(t *testing.T) cloudtrail.Record
		want []string
	}{
		{"a new repository (AWS's documented CreateRepository record)",
			func(t *testing.T) cloudtrail.Record {
				return realRecord(t, "codecommit-CreateRepository.aws-docs.record.json")
			},
			[]string{"MyDemoRepo"}},
		{"a new CodeGuru association is not ours to judge (AWS's documented AssociateRepository record)",
			func(t *testing.T) cloudtrail.Record {
				return realRecord(t, "codeguru-reviewer-AssociateRepository.aws-docs.record.json")
			}, nil},
		{"an exempt new repository is skipped",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeCommit, "CreateRepository", `{"repositoryName":"sandbox-x"}`, `null`)
			}, nil},
		{"a template disassociated from a repository names the repository",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeCommit, "DisassociateApprovalRuleTemplateFromRepository",
					`{"approvalRuleTemplateName":"`+tmplName+`","repositoryName":"payments"}`, `null`)
			}, []string{"payments"}},
		{"an updated template concerns every repository it is associated with, exempt ones aside",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeCommit, "UpdateApprovalRuleTemplateContent",
					`{"approvalRuleTemplateName":"`+tmplName+`","newRuleContent":"{}","existingRuleContentSha256":"abc"}`,
					`{"approvalRuleTemplate":{"approvalRuleTemplateName":"`+tmplName+`"}}`)
			}, []string{"billing", "payments"}},
		{"a deleted template concerns every repository",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeCommit, "DeleteApprovalRuleTemplate",
					`{"approvalRuleTemplateName":"team-rule"}`, `{"approvalRuleTemplateId":"41de4cfe-0000-4f8c-9d8b-5a3b8c6f1e2a"}`)
			}, []string{"MyDemoRepo", "billing", "other", "payments"}},
		{"a CodeGuru disassociation names the repository in its response",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeGuru, "DisassociateRepository",
					`{"AssociationArn":"`+assocARN+`"}`, strings.Replace(strings.Replace(disassociated, "%s", "billing", 1), "%s", "CodeCommit", 1))
			}, []string{"billing"}},
		{"a CodeGuru disassociation of a GitHub repository is not ours",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeGuru, "DisassociateRepository",
					`{"AssociationArn":"`+assocARN+`"}`, strings.Replace(strings.Replace(disassociated, "%s", "octo/app", 1), "%s", "GitHub", 1))
			}, nil},
		{"a CodeGuru disassociation without response elements is looked up",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceCodeGuru, "DisassociateRepository", `{"AssociationArn":"`+assocARN+`"}`, `null`)
			}, []string{"payments"}},
		{"a Lambda record is not ours",
			func(t *testing.T) cloudtrail.Record {
				return record(t, cloudtrail.SourceLambda, "DeleteFunction20150331", `{"functionName":"payments"}`, `null`)
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs, err := tb.g.Subjects(context.Background(), tt.rec(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range subs {
				if s.Type != "repository" {
					t.Errorf("subject type %q", s.Type)
				}
				got = append(got, s.Name)
			}
			slices.Sort(got)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Subjects = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSubjectsOfTheEmulatorsOwnRecords checks the hand-written shapes above
// against the records the emulator writes for the same calls.
func TestSubjectsOfTheEmulatorsOwnRecords(t *testing.T) {
	tb := newTestbed(t, subjectsWorld())
	ctx := context.Background()
	if _, err := tb.cc.DisassociateApprovalRuleTemplateFromRepository(ctx, &codecommit.DisassociateApprovalRuleTemplateFromRepositoryInput{
		ApprovalRuleTemplateName: aws.String(tmplName), RepositoryName: aws.String("billing")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{AssociationArn: aws.String(assocARN)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DisassociateApprovalRuleTemplateFromRepository": "billing", "DisassociateRepository": "payments"}
	seen := 0
	for _, ev := range tb.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[rec.EventName]
		if !ok {
			continue
		}
		seen++
		subs, err := tb.g.Subjects(context.Background(), rec)
		if err != nil || len(subs) != 1 || subs[0].Name != w {
			t.Errorf("%s: Subjects = %+v, %v; want %s", rec.EventName, subs, err, w)
		}
	}
	if seen != len(want) {
		t.Errorf("the trail held %d of the %d records", seen, len(want))
	}
}
