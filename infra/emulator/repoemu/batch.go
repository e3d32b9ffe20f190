package repoemu

import (
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// maxBatchRepositories is how many repositories one batch association call
// takes.
const maxBatchRepositories = 25

// batchError is an entry of a batch call's errors list.
type batchError struct {
	RepositoryName string `json:"repositoryName"`
	ErrorCode      string `json:"errorCode"`
	ErrorMessage   string `json:"errorMessage"`
}

// batchTemplate applies link (true: associate, false: disassociate) to
// each named repository: a repository that cannot take it is an entry of
// errors, not a failed call.
func (s *Service) batchTemplate(in *ccRequest, link bool, doneKey string) ccResult {
	t, e := s.template(in.ApprovalRuleTemplateName)
	if e != nil {
		return ccResult{err: e}
	}
	switch {
	case in.RepositoryNames == nil:
		return ccResult{err: ccError("RepositoryNamesRequiredException", "At least one repository name object is required, but was not specified.")}
	case len(in.RepositoryNames) > maxBatchRepositories:
		return ccResult{err: ccError("MaximumRepositoryNamesExceededException",
			"The maximum number of allowed repository names was exceeded. Currently, this number is %d.", maxBatchRepositories)}
	}
	done, errs := []string{}, []batchError{}
	for _, name := range in.RepositoryNames {
		r, e := s.repository(name)
		if e != nil {
			errs = append(errs, batchError{RepositoryName: name, ErrorCode: e.Code, ErrorMessage: e.Message})
			continue
		}
		if link {
			if s.links[t.name] == nil {
				s.links[t.name] = map[string]bool{}
			}
			s.links[t.name][r.name] = true
		} else {
			delete(s.links[t.name], r.name)
		}
		done = append(done, r.name)
	}
	resp := map[string]any{doneKey: done, "errors": errs}
	return ccResult{resp: resp, trailResp: resp, resources: done}
}

func (s *Service) batchAssociateTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	return s.batchTemplate(in, true, "associatedRepositoryNames")
}

func (s *Service) batchDisassociateTemplate(_ *awsproto.Call, in *ccRequest) ccResult {
	return s.batchTemplate(in, false, "disassociatedRepositoryNames")
}
