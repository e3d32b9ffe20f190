package repoemu_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// records parses every trail event after seq with shared/cloudtrail.
func (b *bed) records(t *testing.T, seq int64) []cloudtrail.Record {
	t.Helper()
	var out []cloudtrail.Record
	for _, ev := range b.trail(seq) {
		env, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatalf("event %d does not parse: %v\n%s", ev.Seq, err, ev.Event)
		}
		if env.DetailType != cloudtrail.DetailType {
			t.Fatalf("detail-type = %q", env.DetailType)
		}
		out = append(out, rec)
	}
	return out
}

func realRecord(t *testing.T, name string) cloudtrail.Record {
	t.Helper()
	data, err := os.ReadFile(testdata(t, "cloudtrail/"+name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := cloudtrail.ParseRecord(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rec
}

func TestCodeCommitTrailLooksLikeAWS(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	real := realRecord(t, "codecommit-CreateRepository.aws-docs.record.json")

	must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{
		RepositoryName: aws.String("MyDemoRepo"), RepositoryDescription: aws.String("Creating a demonstration repository."),
	}))(t)
	_, err := b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("MyDemoRepo")})
	wantCode(t, err, "RepositoryNameExistsException")
	must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("MyDemoRepo")}))(t)

	recs := b.records(t, 0)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the read is not recorded by default)", len(recs))
	}
	got, failed := recs[0], recs[1]
	if got.EventSource != real.EventSource || got.EventName != real.EventName || got.APIVersion != real.APIVersion ||
		got.EventType != real.EventType || got.Failed() || got.IsReadOnly() || got.Operation() != cloudtrail.CreateRepository {
		t.Fatalf("record = %+v", got)
	}
	if got.UserIdentity.ARN != "arn:aws:iam::111122223333:user/alice" || got.UserIdentity.Type != "IAMUser" {
		t.Fatalf("identity = %+v", got.UserIdentity)
	}
	if len(got.Resources) != 1 || got.Resources[0].Type != real.Resources[0].Type ||
		got.Resources[0].ARN != "arn:aws:codecommit:eu-west-1:111122223333:MyDemoRepo" || got.Resources[0].AccountID != testAccount {
		t.Fatalf("resources = %+v, real ones look like %+v", got.Resources, real.Resources)
	}
	if g, w := keysOf(t, got.RequestParameters), keysOf(t, real.RequestParameters); !slices.Equal(g, w) {
		t.Errorf("requestParameters keys = %v, real = %v", g, w)
	}
	type metadata struct{ RepositoryMetadata json.RawMessage }
	var gm, rm metadata
	if err := got.Response(&gm); err != nil {
		t.Fatal(err)
	}
	if err := real.Response(&rm); err != nil {
		t.Fatal(err)
	}
	if g, w := keysOf(t, gm.RepositoryMetadata), keysOf(t, rm.RepositoryMetadata); !slices.Equal(g, w) {
		t.Errorf("responseElements.repositoryMetadata keys = %v, real = %v", g, w)
	}
	var dates struct{ CreationDate, LastModifiedDate string }
	if err := json.Unmarshal(gm.RepositoryMetadata, &dates); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dates.CreationDate, dates.LastModifiedDate} {
		if _, err := time.Parse("Jan 2, 2006 3:04:05 PM", d); err != nil {
			t.Errorf("date %q is not printed as AWS prints it (Dec 14, 2016 6:19:14 PM): %v", d, err)
		}
	}

	if !failed.Failed() || failed.ErrorCode != "RepositoryNameExistsException" || failed.ErrorMessage == "" ||
		string(failed.ResponseElements) != "null" {
		t.Fatalf("failed record: errorCode %q, message %q, response %s", failed.ErrorCode, failed.ErrorMessage, failed.ResponseElements)
	}

	b.srv.Env.Trail.RecordReads = true
	seq := b.lastSeq()
	must(b.cc.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("MyDemoRepo")}))(t)
	reads := b.records(t, seq)
	if len(reads) != 1 || !reads[0].IsReadOnly() || reads[0].EventName != "GetRepository" {
		t.Fatalf("read records = %+v, want one read-only GetRepository", reads)
	}
}

func TestCodeCommitTrailNamesEveryWrite(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	must(b.cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("api")}))(t)
	tpl := must(b.cc.CreateApprovalRuleTemplate(ctx, &codecommit.CreateApprovalRuleTemplateInput{
		ApprovalRuleTemplateName: aws.String("t"), ApprovalRuleTemplateContent: aws.String(contentOneApproval)}))(t)
	must(b.cc.UpdateApprovalRuleTemplateContent(ctx, &codecommit.UpdateApprovalRuleTemplateContentInput{
		ApprovalRuleTemplateName: aws.String("t"), NewRuleContent: aws.String(contentTwoApprovals),
		ExistingRuleContentSha256: tpl.ApprovalRuleTemplate.RuleContentSha256}))(t)
	must(b.cc.AssociateApprovalRuleTemplateWithRepository(ctx, &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
		ApprovalRuleTemplateName: aws.String("t"), RepositoryName: aws.String("api")}))(t)
	must(b.cc.DisassociateApprovalRuleTemplateFromRepository(ctx, &codecommit.DisassociateApprovalRuleTemplateFromRepositoryInput{
		ApprovalRuleTemplateName: aws.String("t"), RepositoryName: aws.String("api")}))(t)
	must(b.cc.DeleteApprovalRuleTemplate(ctx, &codecommit.DeleteApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String("t")}))(t)
	must(b.cc.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("api")}))(t)

	want := []cloudtrail.Operation{cloudtrail.CreateRepository, cloudtrail.CreateApprovalRuleTemplate, cloudtrail.UpdateApprovalRuleTemplateContent,
		cloudtrail.AssociateApprovalRuleTemplateWithRepository, cloudtrail.DisassociateApprovalRuleTemplateFromRepository,
		cloudtrail.DeleteApprovalRuleTemplate, cloudtrail.DeleteRepository}
	var got []cloudtrail.Operation
	for _, r := range b.records(t, 0) {
		got = append(got, r.Operation())
		if r.EventSource != cloudtrail.SourceCodeCommit {
			t.Errorf("%s: eventSource %q", r.EventName, r.EventSource)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	var assoc struct{ ApprovalRuleTemplateName, RepositoryName string }
	if err := b.records(t, 0)[3].Request(&assoc); err != nil || assoc.ApprovalRuleTemplateName != "t" || assoc.RepositoryName != "api" {
		t.Fatalf("association request = %+v (%v)", assoc, err)
	}
	for _, ev := range b.trail(0) {
		var env cloudtrail.Envelope
		if err := json.Unmarshal(ev.Event, &env); err != nil || env.Source != cloudtrail.BusSourceCodeCommit {
			t.Fatalf("envelope source = %q (%v)", env.Source, err)
		}
	}
}

func TestCodeGuruTrailLooksLikeAWS(t *testing.T) {
	ctx := context.Background()
	b := newBedAs(t, emulator.ActorGuard)
	real := realRecord(t, "codeguru-reviewer-AssociateRepository.aws-docs.record.json")
	b.load(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "api"}}})

	_, err := b.cg.AssociateRepository(ctx, associateInput("api", "7485aa2f-ce15-4bc6-a6cc-2a76d702f15f"))
	wantCode(t, err, repoemu.ClosedToNewErrorCode)
	open(t, b)
	must(b.cg.AssociateRepository(ctx, associateInput("api", "7485aa2f-ce15-4bc6-a6cc-2a76d702f15f")))(t)

	recs := b.records(t, 0)
	if len(recs) != 2 {
		t.Fatalf("%d records, want the refused and the accepted association", len(recs))
	}
	refused, got := recs[0], recs[1]
	if !refused.Failed() || refused.ErrorCode != repoemu.ClosedToNewErrorCode || refused.Operation() != cloudtrail.AssociateRepository {
		t.Fatalf("refused record: %+v", refused)
	}
	if got.EventSource != real.EventSource || got.EventName != real.EventName || got.Failed() || got.IsReadOnly() {
		t.Fatalf("record = %+v", got)
	}
	if got.UserIdentity.IssuerARN() != "arn:aws:iam::111122223333:role/"+emulator.GuardRoleName {
		t.Fatalf("issuer = %s", got.UserIdentity.IssuerARN())
	}
	if g, w := keysOf(t, got.RequestParameters), keysOf(t, real.RequestParameters); !slices.Equal(g, w) {
		t.Errorf("requestParameters keys = %v, real = %v", g, w)
	}
	var req struct {
		Repository struct{ CodeCommit struct{ Name string } }
	}
	if err := got.Request(&req); err != nil || req.Repository.CodeCommit.Name != "api" {
		t.Errorf("request Repository.CodeCommit.Name = %q (%v)", req.Repository.CodeCommit.Name, err)
	}
	type assoc struct{ RepositoryAssociation json.RawMessage }
	var ga, ra assoc
	if err := got.Response(&ga); err != nil {
		t.Fatal(err)
	}
	if err := real.Response(&ra); err != nil {
		t.Fatal(err)
	}
	if g, w := keysOf(t, ga.RepositoryAssociation), keysOf(t, ra.RepositoryAssociation); !slices.Equal(g, w) {
		t.Errorf("responseElements.RepositoryAssociation keys = %v, real = %v", g, w)
	}
	var state struct {
		State            string
		CreatedTimeStamp float64
	}
	if err := json.Unmarshal(ga.RepositoryAssociation, &state); err != nil || state.State != "Associating" || state.CreatedTimeStamp < 1.5e9 {
		t.Errorf("association in record = %+v (%v), want Associating with an epoch-seconds number", state, err)
	}
}

func TestNewCodeCommitWritesAreRecordedWithAWSNames(t *testing.T) {
	ctx := context.Background()
	b := newBed(t)
	b.load(t, templatedWorld())
	must(b.cc.BatchAssociateApprovalRuleTemplateWithRepositories(ctx, &codecommit.BatchAssociateApprovalRuleTemplateWithRepositoriesInput{
		ApprovalRuleTemplateName: aws.String("two"), RepositoryNames: []string{"docs"}}))(t)
	must(b.cc.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
		ApprovalRuleTemplateName: aws.String("two"), RepositoryNames: []string{"api", "web", "gone"}}))(t)
	must(b.cc.UpdateApprovalRuleTemplateName(ctx, &codecommit.UpdateApprovalRuleTemplateNameInput{
		OldApprovalRuleTemplateName: aws.String("two"), NewApprovalRuleTemplateName: aws.String("two-approvals")}))(t)
	must(b.cc.UpdateRepositoryName(ctx, &codecommit.UpdateRepositoryNameInput{OldName: aws.String("docs"), NewName: aws.String("handbook")}))(t)
	pr := b.openPullRequest(t, "handbook", "edit", "main")
	must(b.cc.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: pr.PullRequestId}))(t)
	must(b.cc.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{
		PullRequestId: pr.PullRequestId, RevisionId: pr.RevisionId, OverrideStatus: "OVERRIDE"}))(t)
	must(b.cc.GetPullRequestOverrideState(ctx, &codecommit.GetPullRequestOverrideStateInput{PullRequestId: pr.PullRequestId, RevisionId: pr.RevisionId}))(t)

	recs := b.records(t, 0)
	want := []struct {
		op        string
		request   []string
		response  []string
		resources []string
	}{
		{"BatchAssociateApprovalRuleTemplateWithRepositories", []string{"approvalRuleTemplateName", "repositoryNames"},
			[]string{"associatedRepositoryNames", "errors"}, []string{"docs"}},
		{"BatchDisassociateApprovalRuleTemplateFromRepositories", []string{"approvalRuleTemplateName", "repositoryNames"},
			[]string{"disassociatedRepositoryNames", "errors"}, []string{"api", "web"}},
		{"UpdateApprovalRuleTemplateName", []string{"newApprovalRuleTemplateName", "oldApprovalRuleTemplateName"},
			[]string{"approvalRuleTemplate"}, nil},
		{"UpdateRepositoryName", []string{"newName", "oldName"}, nil, []string{"docs"}},
		{"CreatePullRequest", []string{"clientRequestToken", "description", "targets", "title"}, []string{"pullRequest"}, []string{"handbook"}},
		{"OverridePullRequestApprovalRules", []string{"overrideStatus", "pullRequestId", "revisionId"}, nil, []string{"handbook"}},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d writes (GetPullRequest and GetPullRequestOverrideState are reads)", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.EventName != w.op || r.EventSource != cloudtrail.SourceCodeCommit || r.APIVersion != "2015-04-13" || r.IsReadOnly() || r.Failed() {
			t.Errorf("record %d = %s %s (apiVersion %q, readOnly %v)", i, r.EventSource, r.EventName, r.APIVersion, r.IsReadOnly())
		}
		if got := keysOf(t, r.RequestParameters); !slices.Equal(got, w.request) {
			t.Errorf("%s requestParameters keys = %v, want %v", w.op, got, w.request)
		}
		var resp map[string]json.RawMessage
		_ = r.Response(&resp)
		gotResp := make([]string, 0, len(resp))
		for k := range resp {
			gotResp = append(gotResp, k)
		}
		slices.Sort(gotResp)
		if !slices.Equal(gotResp, w.response) && !(len(gotResp) == 0 && w.response == nil) {
			t.Errorf("%s responseElements keys = %v, want %v", w.op, gotResp, w.response)
		}
		var arns []string
		for _, res := range r.Resources {
			arns = append(arns, res.ARN)
		}
		var wantARNs []string
		for _, n := range w.resources {
			wantARNs = append(wantARNs, "arn:aws:codecommit:eu-west-1:111122223333:"+n)
		}
		if !slices.Equal(arns, wantARNs) {
			t.Errorf("%s resources = %v, want %v", w.op, arns, wantARNs)
		}
	}
	var created struct {
		PullRequest struct {
			CreationDate  string
			ApprovalRules []struct{ CreationDate string }
		}
	}
	if err := recs[4].Response(&created); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse("Jan 2, 2006 3:04:05 PM", created.PullRequest.CreationDate); err != nil {
		t.Errorf("pullRequest.creationDate %q is not printed as CodeCommit's records print dates", created.PullRequest.CreationDate)
	}
	var batch struct {
		Errors []struct{ RepositoryName, ErrorCode, ErrorMessage string }
	}
	if err := recs[1].Response(&batch); err != nil || len(batch.Errors) != 1 || batch.Errors[0].ErrorCode != "RepositoryDoesNotExistException" {
		t.Errorf("BatchDisassociate responseElements.errors = %+v (%v)", batch.Errors, err)
	}
}
