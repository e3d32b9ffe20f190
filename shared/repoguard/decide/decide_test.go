package decide

import (
	"reflect"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/shellcmd/shelltest"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/settings"
)

func cfg() settings.Settings {
	return settings.Settings{
		Mode: finding.ModeEnforce, ApprovalTemplate: "selfguard-required-review", RequiredApprovals: 1,
		ProtectedBranches: []string{"main"}, ExemptRepositories: []string{"sandbox-*"},
	}
}

func tmpl(name, content string) snapshot.Template {
	t := snapshot.Template{Name: name, RawContent: content}
	c, err := snapshot.ParseContent(content)
	if err != nil {
		t.ParseError = err.Error()
	}
	t.Content = c
	return t
}

const (
	oneOnMain  = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
	zeroOnMain = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":0}]}`
	oneOnDev   = `{"Version":"2018-11-08","DestinationReferences":["refs/heads/dev"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
	twoAll     = `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2,"ApprovalPoolMembers":["arn:aws:sts::111122223333:assumed-role/Reviewers/*"]}]}`
)

var (
	associated = snapshot.ReviewStatus{Reviewer: "codeguru-reviewer", State: snapshot.StateActive}
	pending    = snapshot.ReviewStatus{Reviewer: "codeguru-reviewer", State: snapshot.StatePending}
	none       = snapshot.ReviewStatus{Reviewer: "codeguru-reviewer", State: snapshot.StateNone, Undo: "aws codeguru-reviewer disassociate-repository ..."}
	failed     = snapshot.ReviewStatus{Reviewer: "codeguru-reviewer", State: snapshot.StateFailed, Undo: "aws codeguru-reviewer disassociate-repository ..."}
	removed    = snapshot.ReviewStatus{Reviewer: "codeguru-reviewer", State: snapshot.StateRemoved, Detail: "association is Disassociated"}
	unknown    = snapshot.ReviewStatus{Reviewer: "other", State: snapshot.StateNone}
)

func snap(name string, reviews []snapshot.ReviewStatus, required *snapshot.Template, ts ...snapshot.Template) snapshot.Snapshot {
	return snapshot.Snapshot{Name: name, ARN: "arn:aws:codecommit:eu-west-1:111122223333:" + name, Templates: ts, Required: required, Reviews: reviews}
}

func ptr(t snapshot.Template) *snapshot.Template { return &t }

func TestDecide(t *testing.T) {
	good := tmpl("selfguard-required-review", oneOnMain)
	weak := tmpl("selfguard-required-review", zeroOnMain)
	type want struct {
		rules    map[finding.RuleID]finding.Severity
		actions  []finding.ActionKind
		contains string // in some finding's summary or detail
	}
	tests := []struct {
		name string
		s    snapshot.Snapshot
		cfg  func(settings.Settings) settings.Settings
		want want
	}{
		{"a reviewed repository with the template is fine",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(good), good), nil, want{}},
		{"review being set up is not a finding",
			snap("app", []snapshot.ReviewStatus{pending}, ptr(good), good), nil, want{}},
		{"another team's template that is strict enough counts",
			snap("app", []snapshot.ReviewStatus{associated}, nil, tmpl("team-rule", twoAll)), nil, want{}},
		{"a new repository without anything gets both findings and a template created",
			snap("app", []snapshot.ReviewStatus{none}, nil), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.NoApprovalRule: finding.SeverityHigh, rules.NoAutomatedReview: finding.SeverityMedium},
				actions: []finding.ActionKind{rules.ActionAssociateTemplate, rules.ActionEnableReview}}},
		{"a template that exists but was disassociated is associated again",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(good)), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.NoApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionAssociateTemplate}}},
		{"the template weakened to zero approvals is restored",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(weak), weak), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionRestoreTemplate}, contains: "main requires 0"}},
		{"a weakened template that is also not associated is restored and associated",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(weak), tmpl("other", oneOnDev)), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionRestoreTemplate, rules.ActionAssociateTemplate}}},
		{"a template on the wrong branch does not protect main",
			snap("app", []snapshot.ReviewStatus{associated}, nil, tmpl("dev-only", oneOnDev)), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionAssociateTemplate}, contains: "dev-only"}},
		{"one approval is too few when two are required",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(good), good),
			func(c settings.Settings) settings.Settings { c.RequiredApprovals = 2; return c },
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionRestoreTemplate}}},
		{"every protected branch must be covered",
			snap("app", []snapshot.ReviewStatus{associated}, ptr(good), good),
			func(c settings.Settings) settings.Settings {
				c.ProtectedBranches = []string{"main", "release"}
				return c
			},
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionRestoreTemplate}, contains: "release requires 0"}},
		{"unreadable template content requires nothing",
			snap("app", []snapshot.ReviewStatus{associated}, nil, tmpl("broken", "{not json")), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.WeakApprovalRule: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionAssociateTemplate}}},
		{"a failed association is a medium finding",
			snap("app", []snapshot.ReviewStatus{failed}, ptr(good), good), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityMedium}, actions: []finding.ActionKind{rules.ActionEnableReview}}},
		{"a removed association is high and says it may not come back",
			snap("app", []snapshot.ReviewStatus{removed}, ptr(good), good), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityHigh}, actions: []finding.ActionKind{rules.ActionEnableReview}, contains: "may not allow it to be re-created"}},
		{"another reviewer that is active counts as reviewed",
			snap("app", []snapshot.ReviewStatus{removed, {Reviewer: "inspector-code-security", State: snapshot.StateActive}}, ptr(good), good), nil, want{}},
		{"with no reviewer configured there is a finding but nothing to enable",
			snap("app", nil, ptr(good), good), nil,
			want{rules: map[finding.RuleID]finding.Severity{rules.NoAutomatedReview: finding.SeverityMedium}, contains: "no automated reviewer is configured"}},
		{"exempt repositories are skipped",
			snap("sandbox-play", []snapshot.ReviewStatus{none}, nil), nil, want{}},
		{"an empty snapshot (repository gone) decides nothing",
			snapshot.Snapshot{}, nil, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg()
			if tt.cfg != nil {
				c = tt.cfg(c)
			}
			d := Decide(tt.s, c)
			got := map[finding.RuleID]finding.Severity{}
			text := ""
			for _, f := range d.Findings {
				got[f.Rule] = f.Severity
				text += f.Summary + " " + f.Detail + "\n"
				if f.Resource != tt.s.Name || f.ResourceType != finding.ResourceRepository || f.ARN != tt.s.ARN {
					t.Errorf("finding %s names %s %q (%s), want the repository", f.Rule, f.ResourceType, f.Resource, f.ARN)
				}
			}
			if len(got) != len(tt.want.rules) {
				t.Errorf("findings %v, want %v", got, tt.want.rules)
			}
			for r, sev := range tt.want.rules {
				if got[r] != sev {
					t.Errorf("rule %s: severity %q, want %q (findings %v)", r, got[r], sev, got)
				}
			}
			var kinds []finding.ActionKind
			for _, a := range d.Actions {
				kinds = append(kinds, a.Kind)
				if a.Undo == "" || a.Summary == "" || a.Resource != tt.s.Name || len(a.For) == 0 {
					t.Errorf("action %s is incomplete: %+v", a.Kind, a)
				}
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tt.want.actions), ",") {
				t.Errorf("actions %v, want %v", kinds, tt.want.actions)
			}
			if tt.want.contains != "" && !strings.Contains(text, tt.want.contains) {
				t.Errorf("findings do not say %q:\n%s", tt.want.contains, text)
			}
		})
	}
}

func kindStrings(ks []finding.ActionKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestActionsCarryExactUndo(t *testing.T) {
	weak := tmpl("selfguard-required-review", zeroOnMain)
	d := Decide(snap("app", []snapshot.ReviewStatus{none}, nil), cfg())
	byKind := map[finding.ActionKind]finding.Action{}
	for _, a := range d.Actions {
		byKind[a.Kind] = a
	}
	assoc := byKind[rules.ActionAssociateTemplate]
	if assoc.Params[ParamCreate] != "true" || assoc.Params[ParamTemplate] != "selfguard-required-review" {
		t.Errorf("associate params = %v, want create=true for the configured template", assoc.Params)
	}
	wantUndo := [][]string{
		{"aws", "codecommit", "disassociate-approval-rule-template-from-repository", "--approval-rule-template-name", "selfguard-required-review", "--repository-name", "app", "--region", "eu-west-1"},
		{"aws", "codecommit", "delete-approval-rule-template", "--approval-rule-template-name", "selfguard-required-review", "--region", "eu-west-1"},
	}
	if got := shelltest.Words(t, assoc.Undo); !reflect.DeepEqual(got, wantUndo) {
		t.Errorf("associate undo runs %q, want %q", got, wantUndo)
	}
	if byKind[rules.ActionEnableReview].Undo != none.Undo || byKind[rules.ActionEnableReview].Params[ParamReviewer] != "codeguru-reviewer" {
		t.Errorf("enable review action = %+v, want the reviewer's own undo", byKind[rules.ActionEnableReview])
	}

	d = Decide(snap("app", []snapshot.ReviewStatus{associated}, ptr(weak), weak), cfg())
	if len(d.Actions) != 1 {
		t.Fatalf("actions = %+v, want one restore", d.Actions)
	}
	restore := d.Actions[0]
	wantRestore := [][]string{{"aws", "codecommit", "update-approval-rule-template-content", "--approval-rule-template-name", "selfguard-required-review",
		"--new-rule-content", zeroOnMain, "--region", "eu-west-1"}}
	if got := shelltest.Words(t, restore.Undo); !reflect.DeepEqual(got, wantRestore) || restore.Params[ParamPreviousContent] != zeroOnMain {
		t.Errorf("restore undo runs %q, want %q", got, wantRestore)
	}
}

func TestEnableReviewWithoutAReviewerUndoStillSaysHowToUndo(t *testing.T) {
	d := Decide(snap("app", []snapshot.ReviewStatus{unknown}, nil), cfg())
	for _, a := range d.Actions {
		if a.Kind == rules.ActionEnableReview && a.Undo != "stop other reviewing repository app" {
			t.Errorf("undo = %q", a.Undo)
		}
	}
}

func TestRequiredContent(t *testing.T) {
	c := cfg()
	c.RequiredApprovals = 2
	c.ProtectedBranches = []string{"main", "refs/heads/release"}
	c.ApprovalPool = []string{"arn:aws:sts::111122223333:assumed-role/Reviewers/*"}
	got := RequiredContent(c).JSON()
	want := `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main","refs/heads/release"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2,"ApprovalPoolMembers":["arn:aws:sts::111122223333:assumed-role/Reviewers/*"]}]}`
	if got != want {
		t.Errorf("RequiredContent =\n%s\nwant\n%s", got, want)
	}
	if !Sufficient(tmpl("x", got), c) {
		t.Error("the required content does not satisfy its own settings")
	}
	c.ApprovalPool = nil
	if strings.Contains(RequiredContent(c).JSON(), "ApprovalPoolMembers") {
		t.Error("an empty pool should leave ApprovalPoolMembers out, so any member of the account may approve")
	}
}
