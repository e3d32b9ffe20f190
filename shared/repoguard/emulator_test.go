package repoguard

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/repoguard/observe"
	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard/reviewer"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	account  = "111122223333"
	region   = "eu-west-1"
	tmplName = "selfguard-required-review"

	oneOnMain = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
	twoOnMain = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2}]}`
	oneOnDev  = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/dev"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
)

// testbed is the emulator with a world, and the guard's real SDK clients.
type testbed struct {
	srv *emulator.Server
	cc  *codecommit.Client
	cg  *codegurureviewer.Client
	g   *Guard
}

func newTestbed(t *testing.T, w repoemu.World, mutate ...func(*settings.Settings)) *testbed {
	t.Helper()
	srv := emulator.New(account, region)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := srv.LoadWorld(&emulator.World{Repos: w}); err != nil {
		t.Fatalf("load world: %v", err)
	}
	var key, secret string
	for _, a := range emulator.DefaultActors(account) {
		if a.Name == emulator.ActorGuard {
			key, secret = a.AccessKeyID, a.SecretKey
		}
	}
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}
	cc := codecommit.NewFromConfig(cfg, func(o *codecommit.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	cg := codegurureviewer.NewFromConfig(cfg, func(o *codegurureviewer.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	s := settings.Settings{
		Mode: finding.ModeEnforce, ApprovalTemplate: tmplName, RequiredApprovals: 1,
		ProtectedBranches: []string{"main"}, ExemptRepositories: []string{"sandbox-*"},
	}
	for _, m := range mutate {
		m(&s)
	}
	g := New(cc, cg, s)
	// The emulator settles associations on its own clock; no need to sleep.
	g.Reviewers = []reviewer.Reviewer{&reviewer.CodeGuru{API: cg, Sleep: func(context.Context, time.Duration) error { return nil }}}
	return &testbed{srv: srv, cc: cc, cg: cg, g: g}
}

// writes returns the write calls the trail recorded, failed ones included.
func (tb *testbed) writes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, ev := range tb.srv.Env.Trail.Since(0) {
		_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
		if err != nil {
			t.Fatalf("trail event: %v", err)
		}
		if !rec.IsReadOnly() {
			out = append(out, rec.EventName)
		}
	}
	return out
}

func (tb *testbed) evaluate(t *testing.T, repo string) finding.Decision {
	t.Helper()
	d, err := tb.g.Evaluate(context.Background(), subject(repo))
	if err != nil {
		t.Fatalf("Evaluate(%s): %v", repo, err)
	}
	return d
}

func (tb *testbed) actAll(t *testing.T, repo string, d finding.Decision) map[finding.ActionKind]pipeline.Outcome {
	t.Helper()
	out := map[finding.ActionKind]pipeline.Outcome{}
	for _, a := range d.Actions {
		out[a.Kind] = tb.g.Act(context.Background(), subject(repo), a)
	}
	return out
}

func severities(d finding.Decision) map[finding.RuleID]finding.Severity {
	m := map[finding.RuleID]finding.Severity{}
	for _, f := range d.Findings {
		m[f.Rule] = f.Severity
	}
	return m
}

func closed(v bool) *bool { return &v }

func TestEnforceOnARepositoryWithoutReview(t *testing.T) {
	tests := []struct {
		name         string
		closedToNew  bool
		wantReview   pipeline.OutcomeStatus
		wantMessage  []string
		wantAfter    map[finding.RuleID]finding.Severity
		wantCodeGuru cgtypes.RepositoryAssociationState
	}{
		{
			name:        "while CodeGuru refuses new associations the template is added and the refusal names the replacements",
			closedToNew: true, wantReview: pipeline.OutcomeRefused,
			wantMessage: []string{"Amazon Inspector", "Amazon Q Developer", "AccessDeniedException"},
			wantAfter:   map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityMedium},
		},
		{
			name:        "where CodeGuru accepts the association the repository ends fully guarded",
			closedToNew: false, wantReview: pipeline.OutcomeDone,
			wantMessage:  []string{"now reviews"},
			wantAfter:    map[finding.RuleID]finding.Severity{},
			wantCodeGuru: cgtypes.RepositoryAssociationStateAssociated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t, repoemu.World{
				Repositories:        []repoemu.Repository{{Name: "payments", DefaultBranch: "main"}},
				CodeGuruClosedToNew: closed(tt.closedToNew), AssociationDelay: "0s",
			})
			d := tb.evaluate(t, "payments")
			if got := severities(d); got[rules.NoApprovalRule] != finding.SeverityHigh || got[rules.NoAutomatedReview] != finding.SeverityMedium {
				t.Fatalf("findings before = %v", got)
			}
			outs := tb.actAll(t, "payments", d)
			if o := outs[rules.ActionAssociateTemplate]; o.Status != pipeline.OutcomeDone || !strings.Contains(o.Message, "created") {
				t.Errorf("associate template: %s %q %v", o.Status, o.Message, o.Err)
			}
			o := outs[rules.ActionEnableReview]
			if o.Status != tt.wantReview {
				t.Errorf("enable review: %s %q %v, want %s", o.Status, o.Message, o.Err, tt.wantReview)
			}
			for _, w := range tt.wantMessage {
				if !strings.Contains(o.Message, w) {
					t.Errorf("enable review message %q does not mention %q", o.Message, w)
				}
			}

			// The template is real: the configured content, associated.
			tpl, err := observe.ReadTemplate(context.Background(), tb.cc, tmplName)
			if err != nil {
				t.Fatal(err)
			}
			if tpl.ApprovalsOn("main") != 1 || tpl.Content.Version != "2018-11-08" {
				t.Errorf("created template content = %s", tpl.RawContent)
			}
			if got := severities(tb.evaluate(t, "payments")); len(got) != len(tt.wantAfter) || got[rules.NoAutomatedReview] != tt.wantAfter[rules.NoAutomatedReview] {
				t.Errorf("findings after = %v, want %v", got, tt.wantAfter)
			}
			if tt.wantCodeGuru != "" {
				st, err := tb.g.Reviewers[0].Status(context.Background(), "payments")
				if err != nil || st.ID == "" || !strings.Contains(o.Taken.Undo, st.ID) {
					t.Errorf("status %+v, %v; the taken action's undo %q should name the association", st, err, o.Taken.Undo)
				}
			}
		})
	}
}

func TestDuplicateAndLateEventsChangeNothing(t *testing.T) {
	tb := newTestbed(t, repoemu.World{
		Repositories:        []repoemu.Repository{{Name: "payments"}},
		CodeGuruClosedToNew: closed(false), AssociationDelay: "0s",
	})
	d := tb.evaluate(t, "payments")
	tb.actAll(t, "payments", d)
	before := tb.writes(t)
	// The same event again, and the old decision acted on late.
	again := tb.actAll(t, "payments", d)
	for kind, o := range again {
		if o.Status != pipeline.OutcomeNotNeeded {
			t.Errorf("%s a second time: %s %q, want not-needed", kind, o.Status, o.Message)
		}
	}
	if d2 := tb.evaluate(t, "payments"); len(d2.Findings) != 0 || len(d2.Actions) != 0 {
		t.Errorf("second evaluation = %+v, want nothing", d2)
	}
	if after := tb.writes(t); len(after) != len(before) {
		t.Errorf("duplicates wrote: %v", after[len(before):])
	}
	if want := []string{"CreateApprovalRuleTemplate", "AssociateApprovalRuleTemplateWithRepository", "AssociateRepository"}; strings.Join(before, ",") != strings.Join(want, ",") {
		t.Errorf("writes = %v, want %v", before, want)
	}
}

func TestApprovalTemplateRepairs(t *testing.T) {
	guarded := func(content string, associated bool) repoemu.World {
		w := repoemu.World{
			Repositories:          []repoemu.Repository{{Name: "payments"}},
			ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: tmplName, Content: content}},
			CodeGuruAssociations:  []repoemu.CodeGuruAssociation{{Repository: "payments"}},
		}
		if associated {
			w.TemplateAssociations = []repoemu.TemplateAssociation{{Template: tmplName, Repository: "payments"}}
		}
		return w
	}
	tests := []struct {
		name       string
		world      repoemu.World
		wantRule   finding.RuleID
		wantAction finding.ActionKind
		wantWrites []string
		wantUndo   string
		required   int
	}{
		{"a disassociated template is associated again", guarded(oneOnMain, false),
			rules.NoApprovalRule, rules.ActionAssociateTemplate,
			[]string{"AssociateApprovalRuleTemplateWithRepository"}, "disassociate-approval-rule-template-from-repository", 0},
		{"a template weakened from 2 approvals to 1 is restored", guarded(oneOnMain, true),
			rules.WeakApprovalRule, rules.ActionRestoreTemplate,
			[]string{"UpdateApprovalRuleTemplateContent"}, oneOnMain, 2},
		{"a template moved to the wrong branch is restored", guarded(oneOnDev, true),
			rules.WeakApprovalRule, rules.ActionRestoreTemplate,
			[]string{"UpdateApprovalRuleTemplateContent"}, oneOnDev, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t, tt.world, func(s *settings.Settings) {
				if tt.required > 0 {
					s.RequiredApprovals = tt.required
				}
			})
			d := tb.evaluate(t, "payments")
			if got := severities(d); len(got) != 1 || got[tt.wantRule] != finding.SeverityHigh {
				t.Fatalf("findings = %v, want only %s", got, tt.wantRule)
			}
			if len(d.Actions) != 1 || d.Actions[0].Kind != tt.wantAction {
				t.Fatalf("actions = %+v, want one %s", d.Actions, tt.wantAction)
			}
			if !strings.Contains(d.Actions[0].Undo, tt.wantUndo) {
				t.Errorf("undo %q does not contain %q", d.Actions[0].Undo, tt.wantUndo)
			}
			o := tb.g.Act(context.Background(), subject("payments"), d.Actions[0])
			if o.Status != pipeline.OutcomeDone {
				t.Fatalf("act: %s %q %v", o.Status, o.Message, o.Err)
			}
			if w := tb.writes(t); strings.Join(w, ",") != strings.Join(tt.wantWrites, ",") {
				t.Errorf("writes = %v, want %v", w, tt.wantWrites)
			}
			if d := tb.evaluate(t, "payments"); len(d.Findings) != 0 {
				t.Errorf("findings after repair = %+v", d.Findings)
			}
			if tt.required == 2 {
				tpl, err := observe.ReadTemplate(context.Background(), tb.cc, tmplName)
				if err != nil || tpl.RawContent != twoOnMain {
					t.Errorf("restored content = %s, %v; want %s", tpl.RawContent, err, twoOnMain)
				}
			}
		})
	}
}

func TestReviewStatesFromCodeGuru(t *testing.T) {
	tests := []struct {
		state string
		want  map[finding.RuleID]finding.Severity
	}{
		{repoemu.StateAssociated, map[finding.RuleID]finding.Severity{}},
		{repoemu.StateAssociating, map[finding.RuleID]finding.Severity{}},
		{repoemu.StateFailed, map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityMedium}},
		{repoemu.StateDisassociating, map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityHigh}},
		{repoemu.StateDisassociated, map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityHigh}},
	}
	for _, tt := range tests {
		t.Run(tt.state+" association", func(t *testing.T) {
			tb := newTestbed(t, repoemu.World{
				Repositories:          []repoemu.Repository{{Name: "payments"}},
				ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: tmplName, Content: oneOnMain}},
				TemplateAssociations:  []repoemu.TemplateAssociation{{Template: tmplName, Repository: "payments"}},
				CodeGuruAssociations:  []repoemu.CodeGuruAssociation{{Repository: "payments", State: tt.state}},
				AssociationDelay:      "1h",
			})
			d := tb.evaluate(t, "payments")
			got := severities(d)
			if len(got) != len(tt.want) || got[rules.NoAutomatedReview] != tt.want[rules.NoAutomatedReview] {
				t.Errorf("findings = %v, want %v", got, tt.want)
			}
			if tt.want[rules.NoAutomatedReview] == finding.SeverityHigh && !strings.Contains(d.Findings[0].Detail, "2025-11-07") {
				t.Errorf("a removed association's finding should say it may not be re-created: %q", d.Findings[0].Detail)
			}
		})
	}
}

func TestRemovedReviewCannotComeBackWhileCodeGuruIsClosed(t *testing.T) {
	tb := newTestbed(t, repoemu.World{
		Repositories:          []repoemu.Repository{{Name: "payments"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: tmplName, Content: oneOnMain}},
		TemplateAssociations:  []repoemu.TemplateAssociation{{Template: tmplName, Repository: "payments"}},
		CodeGuruAssociations:  []repoemu.CodeGuruAssociation{{Repository: "payments", State: repoemu.StateDisassociated}},
	})
	d := tb.evaluate(t, "payments")
	if len(d.Actions) != 1 {
		t.Fatalf("actions = %+v", d.Actions)
	}
	o := tb.g.Act(context.Background(), subject("payments"), d.Actions[0])
	if o.Status != pipeline.OutcomeRefused || !strings.Contains(o.Message, "Amazon Inspector") {
		t.Errorf("outcome %s %q, want refused naming the replacements", o.Status, o.Message)
	}
	// The refusal is not retried: exactly one AssociateRepository attempt.
	if w := tb.writes(t); strings.Join(w, ",") != "AssociateRepository" {
		t.Errorf("writes = %v, want one refused AssociateRepository", w)
	}
}

func TestMonitorModeNeverWrites(t *testing.T) {
	tb := newTestbed(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "payments"}}},
		func(s *settings.Settings) { s.Mode = finding.ModeMonitor })
	d := tb.evaluate(t, "payments")
	if len(d.Findings) != 2 || len(d.Actions) != 2 {
		t.Fatalf("monitor mode still finds and plans: %+v", d)
	}
	for _, a := range d.Actions {
		if o := tb.g.Act(context.Background(), subject("payments"), a); o.Status != pipeline.OutcomeFailed || o.Err != pipeline.ErrMonitorMode {
			t.Errorf("Act in monitor mode = %s %v", o.Status, o.Err)
		}
	}
	if w := tb.writes(t); len(w) != 0 {
		t.Errorf("monitor mode wrote %v", w)
	}
}

func TestNothingToDo(t *testing.T) {
	tb := newTestbed(t, repoemu.World{Repositories: []repoemu.Repository{{Name: "sandbox-play"}}})
	for _, repo := range []string{"gone", "sandbox-play"} {
		if d := tb.evaluate(t, repo); len(d.Findings) != 0 || len(d.Actions) != 0 {
			t.Errorf("%s: decision %+v, want empty", repo, d)
		}
	}
	o := tb.g.Act(context.Background(), subject("gone"), finding.Action{Kind: rules.ActionAssociateTemplate, Resource: "gone"})
	if o.Status != pipeline.OutcomeNotNeeded {
		t.Errorf("acting on a deleted repository: %s %q", o.Status, o.Message)
	}
}

// TestEachActionRereadsOnlyWhatItDependsOn holds a repository-create event
// (no template, no review) to its reads: every part once to decide and
// once more before the one action that depends on it, not the whole
// repository before each action, and the reviewer's status not a third
// time inside Enable.
func TestEachActionRereadsOnlyWhatItDependsOn(t *testing.T) {
	tb := newTestbed(t, repoemu.World{
		Repositories:          []repoemu.Repository{{Name: "payments", DefaultBranch: "main"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: tmplName, Content: oneOnMain}},
		CodeGuruClosedToNew:   closed(true), AssociationDelay: "0s",
	})
	tb.srv.Env.Calls.Reset()
	d := tb.evaluate(t, "payments")
	outs := tb.actAll(t, "payments", d)
	if o := outs[rules.ActionAssociateTemplate]; o.Status != pipeline.OutcomeDone {
		t.Errorf("associate template: %s %q", o.Status, o.Message)
	}
	if o := outs[rules.ActionEnableReview]; o.Status != pipeline.OutcomeRefused {
		t.Errorf("enable review: %s %q", o.Status, o.Message)
	}
	got := map[string]int64{}
	for _, c := range tb.srv.Env.Calls.Stats() {
		got[c.Operation] += c.Calls
	}
	want := map[string]int64{
		"GetRepository": 2, "ListAssociatedApprovalRuleTemplatesForRepository": 2, "GetApprovalRuleTemplate": 2,
		"ListRepositoryAssociations": 2, "AssociateApprovalRuleTemplateWithRepository": 1, "AssociateRepository": 1,
	}
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s called %d times, want %d (all calls %v)", op, got[op], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("calls %v, want exactly %v", got, want)
	}
}

// TestTheRereadBeforeActingSeesChangesMadeMeanwhile checks that each
// action's narrower re-read still catches what matters to it.
func TestTheRereadBeforeActingSeesChangesMadeMeanwhile(t *testing.T) {
	tests := []struct {
		name    string
		meddle  func(t *testing.T, tb *testbed)
		kind    finding.ActionKind
		message string
	}{
		{"a template associated meanwhile is not associated again", func(t *testing.T, tb *testbed) {
			if _, err := tb.cc.AssociateApprovalRuleTemplateWithRepository(context.Background(), &codecommit.AssociateApprovalRuleTemplateWithRepositoryInput{
				ApprovalRuleTemplateName: aws.String(tmplName), RepositoryName: aws.String("payments")}); err != nil {
				t.Fatal(err)
			}
		}, rules.ActionAssociateTemplate, "no longer needs"},
		{"review set up meanwhile is not set up again", func(t *testing.T, tb *testbed) {
			if _, err := tb.cg.AssociateRepository(context.Background(), &codegurureviewer.AssociateRepositoryInput{
				Repository: &cgtypes.Repository{CodeCommit: &cgtypes.CodeCommitRepository{Name: aws.String("payments")}}}); err != nil {
				t.Fatal(err)
			}
		}, rules.ActionEnableReview, "no longer needs"},
		{"a repository deleted meanwhile needs no template", func(t *testing.T, tb *testbed) {
			if _, err := tb.cc.DeleteRepository(context.Background(), &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("payments")}); err != nil {
				t.Fatal(err)
			}
		}, rules.ActionAssociateTemplate, "no longer exists"},
		{"a repository deleted meanwhile needs no review", func(t *testing.T, tb *testbed) {
			if _, err := tb.cc.DeleteRepository(context.Background(), &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("payments")}); err != nil {
				t.Fatal(err)
			}
		}, rules.ActionEnableReview, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t, repoemu.World{
				Repositories:          []repoemu.Repository{{Name: "payments", DefaultBranch: "main"}},
				ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: tmplName, Content: oneOnMain}},
				CodeGuruClosedToNew:   closed(false), AssociationDelay: "0s",
			})
			d := tb.evaluate(t, "payments")
			var a finding.Action
			for _, x := range d.Actions {
				if x.Kind == tt.kind {
					a = x
				}
			}
			if a.Kind == "" {
				t.Fatalf("decision %+v plans no %s", d.Actions, tt.kind)
			}
			tt.meddle(t, tb)
			before := len(tb.writes(t))
			o := tb.g.Act(context.Background(), subject("payments"), a)
			if o.Status != pipeline.OutcomeNotNeeded || !strings.Contains(o.Message, tt.message) {
				t.Errorf("outcome %s %q, want not needed, %q", o.Status, o.Message, tt.message)
			}
			if after := tb.writes(t); len(after) != before {
				t.Errorf("the guard wrote %v", after[before:])
			}
		})
	}
}
