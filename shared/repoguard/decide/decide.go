package decide

import (
	"fmt"
	"sort"
	"strings"

	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/shellcmd"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/settings"
)

// Action parameter names.
const (
	ParamTemplate        = "template"
	ParamContent         = "content"
	ParamPreviousContent = "previousContent"
	ParamCreate          = "create"
	ParamReviewer        = "reviewer"
)

// RequiredContent is the rule content the settings ask for: RequiredApprovals
// approvals from ApprovalPool (anyone in the account if empty) before a merge
// into any of ProtectedBranches.
func RequiredContent(cfg settings.Settings) snapshot.Content {
	refs := make([]string, 0, len(protected(cfg)))
	for _, b := range protected(cfg) {
		refs = append(refs, snapshot.BranchRef(b))
	}
	return snapshot.Content{
		Version:               snapshot.ContentVersion,
		DestinationReferences: refs,
		Statements: []snapshot.Statement{{
			Type:                    snapshot.StatementApprovers,
			NumberOfApprovalsNeeded: required(cfg),
			ApprovalPoolMembers:     cfg.ApprovalPool,
		}},
	}
}

func protected(cfg settings.Settings) []string {
	if len(cfg.ProtectedBranches) == 0 {
		return []string{"main"}
	}
	return cfg.ProtectedBranches
}

func required(cfg settings.Settings) int {
	if cfg.RequiredApprovals < 1 {
		return settings.DefaultRequiredApprovals
	}
	return cfg.RequiredApprovals
}

func templateName(cfg settings.Settings) string {
	if cfg.ApprovalTemplate == "" {
		return settings.DefaultApprovalTemplate
	}
	return cfg.ApprovalTemplate
}

// Sufficient reports whether a template alone meets the settings.
func Sufficient(t snapshot.Template, cfg settings.Settings) bool {
	for _, b := range protected(cfg) {
		if t.ApprovalsOn(b) < required(cfg) {
			return false
		}
	}
	return true
}

// Decide judges one repository.
func Decide(s snapshot.Snapshot, cfg settings.Settings) finding.Decision {
	d := finding.Decision{Findings: []finding.Finding{}, Actions: []finding.Action{}}
	if s.Name == "" || cfg.RepositoryExempt(s.Name) {
		return d
	}
	decideApproval(s, cfg, &d)
	decideReview(s, &d)
	return cfg.Mute(d, cfg.Now())
}

func decideApproval(s snapshot.Snapshot, cfg settings.Settings, d *finding.Decision) {
	need := required(cfg)
	var short []string
	for _, b := range protected(cfg) {
		best := 0
		for _, t := range s.Templates {
			if n := t.ApprovalsOn(b); n > best {
				best = n
			}
		}
		if best < need {
			short = append(short, fmt.Sprintf("%s requires %d", b, best))
		}
	}
	if len(short) == 0 {
		return
	}
	var f finding.Finding
	want := fmt.Sprintf("at least %d approval(s) on %s", need, strings.Join(protected(cfg), ", "))
	if len(s.Templates) == 0 {
		f = rules.Finding(rules.NoApprovalRule, s.Name, s.ARN,
			fmt.Sprintf("repository %s has no approval rule template: pull requests merge without review", s.Name),
			"required: "+want)
	} else {
		f = rules.Finding(rules.WeakApprovalRule, s.Name, s.ARN,
			fmt.Sprintf("repository %s's approval rules require fewer approvals than configured", s.Name),
			fmt.Sprintf("required: %s; associated templates %s give: %s", want, templateList(s.Templates), strings.Join(short, "; ")))
	}
	d.Findings = append(d.Findings, f)

	name := templateName(cfg)
	content := RequiredContent(cfg).JSON()
	if s.Required != nil && !Sufficient(*s.Required, cfg) {
		d.Actions = append(d.Actions, finding.Action{
			Kind: rules.ActionRestoreTemplate, For: []finding.RuleID{f.Rule}, Resource: s.Name, Done: rules.Done(rules.ActionRestoreTemplate),
			Params:  map[string]string{ParamTemplate: name, ParamContent: content, ParamPreviousContent: s.Required.RawContent},
			Summary: fmt.Sprintf("restore approval rule template %s to require %s", name, want),
			Undo: shellcmd.AWS(shellcmd.RegionOf(s.ARN), "codecommit", "update-approval-rule-template-content",
				"--approval-rule-template-name", name, "--new-rule-content", s.Required.RawContent),
		})
	}
	if !s.Associated(name) {
		a := finding.Action{
			Kind: rules.ActionAssociateTemplate, For: []finding.RuleID{f.Rule}, Resource: s.Name, Done: rules.Done(rules.ActionAssociateTemplate),
			Params:  map[string]string{ParamTemplate: name},
			Summary: fmt.Sprintf("associate approval rule template %s with repository %s", name, s.Name),
			Undo: shellcmd.AWS(shellcmd.RegionOf(s.ARN), "codecommit", "disassociate-approval-rule-template-from-repository",
				"--approval-rule-template-name", name, "--repository-name", s.Name),
		}
		if s.Required == nil {
			a.Params[ParamCreate] = "true"
			a.Params[ParamContent] = content
			a.Summary = fmt.Sprintf("create approval rule template %s (%s) and associate it with repository %s", name, want, s.Name)
			a.Undo += " && " + shellcmd.AWS(shellcmd.RegionOf(s.ARN), "codecommit", "delete-approval-rule-template", "--approval-rule-template-name", name)
		}
		d.Actions = append(d.Actions, a)
	}
}

func decideReview(s snapshot.Snapshot, d *finding.Decision) {
	removed := false
	var details []string
	for _, r := range s.Reviews {
		switch r.State {
		case snapshot.StateActive, snapshot.StatePending:
			return // reviewed, or being set up
		case snapshot.StateRemoved:
			removed = true
		}
		if r.Detail != "" {
			details = append(details, r.Reviewer+": "+r.Detail)
		}
	}
	f := rules.Finding(rules.NoAutomatedReview, s.Name, s.ARN,
		fmt.Sprintf("repository %s has no automated code review", s.Name), strings.Join(details, "; "))
	if len(s.Reviews) == 0 {
		f.Detail = "no automated reviewer is configured"
	}
	if removed {
		f.Severity = finding.SeverityHigh
		f.Summary = fmt.Sprintf("automated code review was removed from repository %s, and AWS may not allow it to be re-created", s.Name)
	}
	d.Findings = append(d.Findings, f)
	if len(s.Reviews) > 0 {
		first := s.Reviews[0]
		undo := first.Undo
		if undo == "" {
			undo = fmt.Sprintf("stop %s reviewing repository %s", first.Reviewer, s.Name)
		}
		d.Actions = append(d.Actions, finding.Action{
			Kind: rules.ActionEnableReview, For: []finding.RuleID{rules.NoAutomatedReview}, Resource: s.Name, Done: rules.Done(rules.ActionEnableReview),
			Params:  map[string]string{ParamReviewer: first.Reviewer},
			Summary: fmt.Sprintf("ask %s to review repository %s", first.Reviewer, s.Name),
			Undo:    undo,
		})
	}
}

func templateList(ts []snapshot.Template) string {
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
