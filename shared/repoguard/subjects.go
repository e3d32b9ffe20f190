package repoguard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// Subjects implements pipeline.Evaluator. Some records name a template, not a
// repository, so finding the repositories takes reads, bounded by
// SubjectTimeout.
func (g *Guard) Subjects(ctx context.Context, rec cloudtrail.Record) ([]pipeline.Subject, error) {
	d := g.SubjectTimeout
	if d <= 0 {
		d = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return g.SubjectsContext(ctx, rec)
}

// ccRequest holds the request parameters of the CodeCommit records the guard
// reads (CloudTrail spells CodeCommit's parameters in camelCase).
type ccRequest struct {
	RepositoryName           string `json:"repositoryName"`
	ApprovalRuleTemplateName string `json:"approvalRuleTemplateName"`
}

// cgAssociation is CodeGuru Reviewer's RepositoryAssociation as CloudTrail
// records it (PascalCase).
type cgAssociation struct {
	RepositoryAssociation *struct {
		AssociationArn string `json:"AssociationArn"`
		Name           string `json:"Name"`
		ProviderType   string `json:"ProviderType"`
		State          string `json:"State"`
	} `json:"RepositoryAssociation"`
}

// SubjectsContext returns the repositories a record points at:
// CreateRepository and DisassociateApprovalRuleTemplateFromRepository name
// one; UpdateApprovalRuleTemplateContent concerns every repository the
// template is associated with; DeleteApprovalRuleTemplate every repository
// (the template, and so its associations, is gone); CodeGuru Reviewer's
// DisassociateRepository the association's CodeCommit repository; the
// batch, rename and override records as renames.go and overrides.go say.
// Exempt repositories are left out.
func (g *Guard) SubjectsContext(ctx context.Context, rec cloudtrail.Record) ([]pipeline.Subject, error) {
	if rec.EventSource == cloudtrail.SourceCodeCommit && rec.Operation() == cloudtrail.OverridePullRequestApprovalRules {
		return overrideSubjects(rec)
	}
	var names []string
	var err error
	switch rec.EventSource {
	case cloudtrail.SourceCodeCommit:
		names, err = g.codeCommitSubjects(ctx, rec)
	case cloudtrail.SourceCodeGuru:
		names, err = g.codeGuruSubjects(ctx, rec)
	}
	if err != nil {
		return nil, err
	}
	var out []pipeline.Subject
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] || g.Settings.RepositoryExempt(n) {
			continue
		}
		seen[n] = true
		out = append(out, subject(n))
	}
	return out, nil
}

func (g *Guard) codeCommitSubjects(ctx context.Context, rec cloudtrail.Record) ([]string, error) {
	var req ccRequest
	switch rec.Operation() {
	case cloudtrail.CreateRepository:
		if err := rec.Request(&req); err != nil {
			return nil, err
		}
		if req.RepositoryName == "" {
			var resp struct {
				RepositoryMetadata struct {
					RepositoryName string `json:"repositoryName"`
				} `json:"repositoryMetadata"`
			}
			if err := rec.Response(&resp); err != nil {
				return nil, err
			}
			req.RepositoryName = resp.RepositoryMetadata.RepositoryName
		}
		return []string{req.RepositoryName}, nil
	case cloudtrail.DisassociateApprovalRuleTemplateFromRepository:
		if err := rec.Request(&req); err != nil {
			return nil, err
		}
		return []string{req.RepositoryName}, nil
	case cloudtrail.UpdateApprovalRuleTemplateContent:
		if err := rec.Request(&req); err != nil {
			return nil, err
		}
		if req.ApprovalRuleTemplateName == "" {
			return nil, nil
		}
		return g.repositoriesFor(ctx, req.ApprovalRuleTemplateName)
	case cloudtrail.DeleteApprovalRuleTemplate:
		return g.allRepositories(ctx)
	case cloudtrail.BatchDisassociateApprovalRuleTemplateFromRepositories:
		return batchSubjects(rec)
	case cloudtrail.UpdateApprovalRuleTemplateName:
		return g.templateRenameSubjects(ctx, rec)
	case cloudtrail.UpdateRepositoryName:
		return repositoryRenameSubjects(rec)
	}
	return nil, nil
}

func (g *Guard) codeGuruSubjects(ctx context.Context, rec cloudtrail.Record) ([]string, error) {
	if rec.Operation() != cloudtrail.DisassociateRepository {
		return nil, nil
	}
	var resp cgAssociation
	if err := rec.Response(&resp); err != nil {
		return nil, err
	}
	if a := resp.RepositoryAssociation; a != nil && a.Name != "" {
		if a.ProviderType != string(cgtypes.ProviderTypeCodeCommit) {
			return nil, nil // GitHub, Bitbucket and S3 repositories are not guarded
		}
		return []string{a.Name}, nil
	}
	var req struct {
		AssociationArn string `json:"AssociationArn"`
	}
	if err := rec.Request(&req); err != nil {
		return nil, err
	}
	if req.AssociationArn == "" || g.CodeGuru == nil {
		return nil, nil
	}
	// CodeGuru still describes an association while and after it is
	// disassociated.
	out, err := g.CodeGuru.DescribeRepositoryAssociation(ctx, &codegurureviewer.DescribeRepositoryAssociationInput{AssociationArn: aws.String(req.AssociationArn)})
	var nf *cgtypes.NotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe codeguru reviewer association %s: %w", req.AssociationArn, err)
	}
	a := out.RepositoryAssociation
	if a == nil || a.ProviderType != cgtypes.ProviderTypeCodeCommit {
		return nil, nil
	}
	return []string{aws.ToString(a.Name)}, nil
}

func (g *Guard) repositoriesFor(ctx context.Context, template string) ([]string, error) {
	var names []string
	p := codecommit.NewListRepositoriesForApprovalRuleTemplatePaginator(g.CodeCommit,
		&codecommit.ListRepositoriesForApprovalRuleTemplateInput{ApprovalRuleTemplateName: aws.String(template)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list repositories of approval rule template %s: %w", template, err)
		}
		names = append(names, page.RepositoryNames...)
	}
	return names, nil
}

func (g *Guard) allRepositories(ctx context.Context) ([]string, error) {
	var names []string
	p := codecommit.NewListRepositoriesPaginator(g.CodeCommit, &codecommit.ListRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list repositories: %w", err)
		}
		for _, r := range page.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	return names, nil
}
