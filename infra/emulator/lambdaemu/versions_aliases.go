package lambdaemu

import (
	"net/http"
	"sort"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

func (s *Service) publishVersion(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		CodeSha256  string
		Description string
		RevisionId  string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, err := s.writable(rc, in.RevisionId)
	if err != nil {
		return 0, nil, err
	}
	if in.CodeSha256 != "" && in.CodeSha256 != f.Latest.Config.Code.Sha256 {
		return 0, nil, invalid("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again.",
			in.CodeSha256, f.Latest.Config.Code.Sha256)
	}
	v := s.publish(f, in.Description, rc.now)
	return http.StatusCreated, s.configOut(f, v, s.versionARN(f, v), rc.now), nil
}

func (s *Service) listVersions(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	all := append([]*version{f.Latest}, f.Versions...)
	start, end, next, err := page(len(all), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]functionConfiguration, 0, end-start)
	for _, v := range all[start:end] {
		out = append(out, s.configOut(f, v, s.versionARN(f, v), rc.now).listed())
	}
	resp := map[string]any{"Versions": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:",omitempty"`
}

type aliasOut struct {
	AliasArn        string
	Name            string
	FunctionVersion string
	Description     string
	RoutingConfig   *routingConfig `json:",omitempty"`
	RevisionId      string
}

func (s *Service) aliasOut(f *function, a *alias) aliasOut {
	out := aliasOut{AliasArn: s.functionARN(f.Name) + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionId: a.RevisionID}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &routingConfig{AdditionalVersionWeights: a.Weights}
	}
	return out
}

// checkAliasTarget validates what an alias points at, as Lambda does.
func (s *Service) checkAliasTarget(f *function, target string, weights map[string]float64) *awsproto.Error {
	if f.version(target) == nil {
		return notFound(s.functionARN(f.Name) + ":" + target)
	}
	if len(weights) > 1 {
		return invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for ver, w := range weights {
		if target == latest || ver == latest {
			return invalid("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if ver == target {
			return invalid("Alias' FunctionVersion cannot be one of the additional versions.")
		}
		if f.version(ver) == nil {
			return notFound(s.functionARN(f.Name) + ":" + ver)
		}
		if w < 0 || w > 1 {
			return invalid("Additional version weights must be between 0.0 and 1.0")
		}
	}
	return nil
}

func (s *Service) createAlias(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		Name            string
		FunctionVersion string
		Description     string
		RoutingConfig   *routingConfig
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	if !aliasNameRE.MatchString(in.Name) || digitsRE.MatchString(in.Name) || in.Name == latest {
		return 0, nil, invalid("Alias name %q must match (?!^[0-9]+$)([a-zA-Z0-9-_]+)", in.Name)
	}
	if f.Aliases[in.Name] != nil {
		return 0, nil, awsproto.Errorf(409, "ResourceConflictException", "Alias already exists: %s:%s", s.functionARN(f.Name), in.Name)
	}
	var weights map[string]float64
	if in.RoutingConfig != nil {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := s.checkAliasTarget(f, in.FunctionVersion, weights); err != nil {
		return 0, nil, err
	}
	a := &alias{Name: in.Name, FunctionVersion: in.FunctionVersion, Description: in.Description, Weights: weights, RevisionID: awsproto.NewID()}
	f.Aliases[a.Name] = a
	return http.StatusCreated, s.aliasOut(f, a), nil
}

func (s *Service) aliasOf(rc *reqCtx) (*function, *alias, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return nil, nil, err
	}
	a := f.Aliases[rc.labels["Name"]]
	if a == nil {
		return nil, nil, awsproto.Errorf(404, "ResourceNotFoundException", "Cannot find alias arn: %s:%s", s.functionARN(f.Name), rc.labels["Name"])
	}
	return f, a, nil
}

func (s *Service) getAlias(rc *reqCtx) (int, any, *awsproto.Error) {
	f, a, err := s.aliasOf(rc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.aliasOut(f, a), nil
}

func (s *Service) updateAlias(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		FunctionVersion *string
		Description     *string
		RoutingConfig   *routingConfig
		RevisionId      string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, a, err := s.aliasOf(rc)
	if err != nil {
		return 0, nil, err
	}
	if in.RevisionId != "" && in.RevisionId != a.RevisionID {
		return 0, nil, revisionMismatch()
	}
	target, weights := a.FunctionVersion, a.Weights
	if in.FunctionVersion != nil {
		target = *in.FunctionVersion
	}
	if in.RoutingConfig != nil {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := s.checkAliasTarget(f, target, weights); err != nil {
		return 0, nil, err
	}
	a.FunctionVersion, a.Weights = target, weights
	if in.Description != nil {
		a.Description = *in.Description
	}
	a.RevisionID = awsproto.NewID()
	return http.StatusOK, s.aliasOut(f, a), nil
}

func (s *Service) deleteAlias(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	delete(f.Aliases, rc.labels["Name"]) // deleting a missing alias succeeds, as in AWS
	return http.StatusNoContent, nil, nil
}

func (s *Service) listAliases(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	fv := rc.query.Get("FunctionVersion")
	names := make([]string, 0, len(f.Aliases))
	for n, a := range f.Aliases {
		if fv == "" || a.FunctionVersion == fv {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start, end, next, err := page(len(names), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]aliasOut, 0, end-start)
	for _, n := range names[start:end] {
		out = append(out, s.aliasOut(f, f.Aliases[n]))
	}
	resp := map[string]any{"Aliases": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}
