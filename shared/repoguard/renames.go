package repoguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// The CodeCommit writes that change many repositories, or a repository's
// name, in one call. Each names what to look at; the state decides.

// batchRequest and batchResponse hold what a batch disassociation says.
type batchRequest struct {
	RepositoryNames []string `json:"repositoryNames"`
}

type batchResponse struct {
	DisassociatedRepositoryNames []string `json:"disassociatedRepositoryNames"`
}

// batchSubjects returns every repository a batch disassociation names: the
// request's, and the response's in case they differ.
func batchSubjects(rec cloudtrail.Record) ([]string, error) {
	var req batchRequest
	if err := rec.Request(&req); err != nil {
		return nil, err
	}
	var resp batchResponse
	if err := rec.Response(&resp); err != nil {
		return nil, err
	}
	return append(req.RepositoryNames, resp.DisassociatedRepositoryNames...), nil
}

// templateRenameSubjects returns the repositories associated with a renamed
// template under its new name, and any still listed under the old one:
// the associations follow the template, and a later rename may have moved
// it on, so a name that no longer exists lists nothing.
func (g *Guard) templateRenameSubjects(ctx context.Context, rec cloudtrail.Record) ([]string, error) {
	var req struct {
		Old string `json:"oldApprovalRuleTemplateName"`
		New string `json:"newApprovalRuleTemplateName"`
	}
	if err := rec.Request(&req); err != nil {
		return nil, err
	}
	var names []string
	for _, t := range []string{req.New, req.Old} {
		if t == "" {
			continue
		}
		repos, err := g.repositoriesFor(ctx, t)
		var gone *types.ApprovalRuleTemplateDoesNotExistException
		if errors.As(err, &gone) {
			continue
		}
		if err != nil {
			return nil, err
		}
		names = append(names, repos...)
	}
	return names, nil
}

// repositoryRenameSubjects returns a renamed repository by its new name:
// its template associations follow it, its CodeGuru Reviewer association
// names the old one.
func repositoryRenameSubjects(rec cloudtrail.Record) ([]string, error) {
	var req struct {
		NewName string `json:"newName"`
	}
	if err := rec.Request(&req); err != nil {
		return nil, err
	}
	if req.NewName == "" {
		return nil, fmt.Errorf("%s: no newName in the request", rec.Operation())
	}
	return []string{req.NewName}, nil
}
