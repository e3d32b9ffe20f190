package lambdaemu

import (
	"net/http"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

func (s *Service) putConcurrency(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct{ ReservedConcurrentExecutions *int32 }
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	if in.ReservedConcurrentExecutions == nil || *in.ReservedConcurrentExecutions < 0 {
		return 0, nil, invalid("ReservedConcurrentExecutions must be a number of 0 or more")
	}
	n := *in.ReservedConcurrentExecutions
	f.Reserved = &n
	return http.StatusOK, map[string]int32{"ReservedConcurrentExecutions": n}, nil
}

func (s *Service) getConcurrency(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	if f.Reserved == nil {
		return http.StatusOK, map[string]any{}, nil
	}
	return http.StatusOK, map[string]int32{"ReservedConcurrentExecutions": *f.Reserved}, nil
}

func (s *Service) deleteConcurrency(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	f.Reserved = nil
	return http.StatusNoContent, nil, nil
}

// taggable finds the tags of a function or CSC ARN.
func (s *Service) taggable(arn string) (*map[string]string, *awsproto.Error) {
	if c := s.cscs[arn]; c != nil {
		return &c.Tags, nil
	}
	name, q, err := s.parseFunctionName(arn)
	if err != nil || q != "" {
		return nil, invalid("Tags are supported on functions and code signing configurations by unqualified ARN: %s", arn)
	}
	f := s.functions[name]
	if f == nil {
		return nil, notFound(arn)
	}
	return &f.Tags, nil
}

func (s *Service) listTags(rc *reqCtx) (int, any, *awsproto.Error) {
	tags, err := s.taggable(rc.labels["Resource"])
	if err != nil {
		return 0, nil, err
	}
	out := map[string]string{}
	for k, v := range *tags {
		out[k] = v
	}
	return http.StatusOK, map[string]any{"Tags": out}, nil
}

func (s *Service) tagResource(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct{ Tags map[string]string }
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	tags, err := s.taggable(rc.labels["Resource"])
	if err != nil {
		return 0, nil, err
	}
	if *tags == nil {
		*tags = map[string]string{}
	}
	for k, v := range in.Tags {
		(*tags)[k] = v
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) untagResource(rc *reqCtx) (int, any, *awsproto.Error) {
	tags, err := s.taggable(rc.labels["Resource"])
	if err != nil {
		return 0, nil, err
	}
	for _, k := range rc.query["tagKeys"] {
		delete(*tags, k)
	}
	return http.StatusNoContent, nil, nil
}
