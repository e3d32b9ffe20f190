package repoemu

import (
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// updateTemplateName renames a template; its associations follow it.
func (s *Service) updateTemplateName(c *awsproto.Call, in *ccRequest) ccResult {
	t, e := s.template(in.OldApprovalRuleTemplateName)
	if e != nil {
		return ccResult{err: e}
	}
	if e := checkTemplateName(in.NewApprovalRuleTemplateName); e != nil {
		return ccResult{err: e}
	}
	if in.NewApprovalRuleTemplateName != t.name && s.templates[in.NewApprovalRuleTemplateName] != nil {
		return ccResult{err: ccError("ApprovalRuleTemplateNameAlreadyExistsException",
			"An approval rule template with name %s already exists.", in.NewApprovalRuleTemplateName)}
	}
	links := s.links[t.name]
	delete(s.templates, t.name)
	delete(s.links, t.name)
	t.name, t.modified, t.lastModifiedUser = in.NewApprovalRuleTemplateName, c.Time, c.Actor.Identity.ARN
	s.templates[t.name] = t
	if len(links) > 0 {
		s.links[t.name] = links
	}
	return ccResult{
		resp:      map[string]any{"approvalRuleTemplate": s.templateView(t, false)},
		trailResp: map[string]any{"approvalRuleTemplate": s.templateView(t, true)},
	}
}

// updateRepositoryName renames a repository; its template associations
// and pull requests follow it. CodeGuru Reviewer associations name the
// repository as it was and are left as they are.
func (s *Service) updateRepositoryName(c *awsproto.Call, in *ccRequest) ccResult {
	r, e := s.repository(in.OldName)
	if e != nil {
		return ccResult{err: e}
	}
	if e := checkRepositoryName(in.NewName); e != nil {
		return ccResult{err: e}
	}
	if in.NewName != r.name && s.repos[in.NewName] != nil {
		return ccResult{err: ccError("RepositoryNameExistsException", "Repository named %s already exists", in.NewName)}
	}
	old := r.name
	delete(s.repos, old)
	r.name, r.modified = in.NewName, c.Time
	s.repos[r.name] = r
	for _, repos := range s.links {
		if repos[old] {
			delete(repos, old)
			repos[r.name] = true
		}
	}
	for _, pr := range s.prs {
		if pr.target.repo == old {
			pr.target.repo = r.name
		}
	}
	return ccResult{resp: map[string]any{}, resources: []string{old}}
}
