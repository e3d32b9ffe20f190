package lambdaemu

import (
	"net/http"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Recursive loop settings; Lambda's default is Terminate.
const (
	loopAllow     = "Allow"
	loopTerminate = "Terminate"
)

func recursiveLoop(f *function) string {
	if f.RecursiveLoop == "" {
		return loopTerminate
	}
	return f.RecursiveLoop
}

func checkLoop(v string) *awsproto.Error {
	if v != loopAllow && v != loopTerminate {
		return validationError(v, "recursiveLoop", "Member must satisfy enum value set: [Allow, Terminate]")
	}
	return nil
}

func (s *Service) putRecursionConfig(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct{ RecursiveLoop string }
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	if err := checkLoop(in.RecursiveLoop); err != nil {
		return 0, nil, err
	}
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	f.RecursiveLoop = in.RecursiveLoop
	return http.StatusOK, map[string]string{"RecursiveLoop": in.RecursiveLoop}, nil
}

func (s *Service) getRecursionConfig(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"RecursiveLoop": recursiveLoop(f)}, nil
}
