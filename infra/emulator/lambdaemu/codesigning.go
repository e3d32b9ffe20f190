package lambdaemu

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Code signing policies.
const (
	PolicyEnforce = "Enforce"
	PolicyWarn    = "Warn"
)

// checkCode applies code signing to code about to be deployed to a function
// with the CSC cscArn, as Lambda does: with no CSC nothing is checked and
// no signing fields are recorded; with one, a tampered zip is always
// refused, a valid signature from an allowed publisher is recorded, and
// anything else is refused under Enforce and deployed unrecorded under Warn.
func (s *Service) checkCode(cscArn, fnArn string, code codeInfo, now time.Time) (codeInfo, *awsproto.Error) {
	code.SigningProfileVersionArn, code.SigningJobArn = "", ""
	csc := s.cscs[cscArn]
	if code.ImageURI != "" || csc == nil {
		return code, nil
	}
	pv, job, err := s.checkArtifact(csc, fnArn, code.Zip, now)
	code.SigningProfileVersionArn, code.SigningJobArn = pv, job
	return code, err
}

// checkLayers applies code signing to a function's layers.
func (s *Service) checkLayers(cscArn, fnArn string, refs []layerRef, now time.Time) ([]layerRef, *awsproto.Error) {
	out := make([]layerRef, len(refs))
	csc := s.cscs[cscArn]
	for i, ref := range refs {
		ref.SigningProfileVersionArn, ref.SigningJobArn = "", ""
		if csc != nil {
			lv := s.layerVersionByARN(ref.Arn)
			if lv == nil {
				return nil, invalid("Layer version %s does not exist.", ref.Arn)
			}
			pv, job, err := s.checkArtifact(csc, fnArn, lv.Code.Zip, now)
			if err != nil {
				return nil, err
			}
			ref.SigningProfileVersionArn, ref.SigningJobArn = pv, job
		}
		out[i] = ref
	}
	return out, nil
}

func (s *Service) checkArtifact(csc *codeSigningConfig, fnArn string, zip []byte, now time.Time) (string, string, *awsproto.Error) {
	c := s.verify(zip, now)
	if c.Verdict == sigTampered {
		return "", "", awsproto.Errorf(400, "InvalidCodeSignatureException",
			"The code signature failed the integrity check. Lambda always blocks deployment if the integrity check fails, even if code signing policy is set to WARN.")
	}
	if c.Verdict == sigValid && contains(csc.Allowed, c.ProfileVersionArn) {
		return c.ProfileVersionArn, c.SigningJobArn, nil
	}
	if csc.Policy == PolicyEnforce {
		return "", "", awsproto.Errorf(400, "CodeVerificationFailedException",
			"Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept. Check the provided signature for %s.", fnArn)
	}
	return "", "", nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// API shapes.

type allowedPublishers struct {
	SigningProfileVersionArns []string
}

type codeSigningPolicies struct {
	UntrustedArtifactOnDeployment string `json:",omitempty"`
}

type cscOut struct {
	AllowedPublishers    allowedPublishers
	CodeSigningConfigArn string
	CodeSigningConfigId  string
	CodeSigningPolicies  codeSigningPolicies
	Description          string
	LastModified         string
}

func (c *codeSigningConfig) out() cscOut {
	return cscOut{
		AllowedPublishers:    allowedPublishers{SigningProfileVersionArns: append([]string{}, c.Allowed...)},
		CodeSigningConfigArn: c.Arn, CodeSigningConfigId: c.ID,
		CodeSigningPolicies: codeSigningPolicies{UntrustedArtifactOnDeployment: c.Policy},
		Description:         c.Description, LastModified: stamp(c.LastModified),
	}
}

func (s *Service) cscARN(id string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:code-signing-config:%s", s.env.Region, s.env.Account, id)
}

func newCSCID() string { return "csc-" + strings.ToLower(randomAlnum(17)) }

func validateCSC(allowed []string, policy string) *awsproto.Error {
	if len(allowed) < 1 || len(allowed) > 20 {
		return invalid("AllowedPublishers.SigningProfileVersionArns must hold 1 to 20 signing profile version ARNs")
	}
	for _, a := range allowed {
		if !strings.HasPrefix(a, "arn:aws:signer:") || !strings.Contains(a, ":/signing-profiles/") {
			return invalid("%s is not a signing profile version ARN", a)
		}
	}
	if policy != PolicyEnforce && policy != PolicyWarn {
		return invalid("UntrustedArtifactOnDeployment must be Enforce or Warn, not %q", policy)
	}
	return nil
}

func cscNotFound(arn string) *awsproto.Error {
	return awsproto.Errorf(404, "ResourceNotFoundException", "The Lambda code signing configuration %s can not be found.", arn)
}

func (s *Service) csc(arnOrID string) *codeSigningConfig {
	if c := s.cscs[arnOrID]; c != nil {
		return c
	}
	return s.cscs[s.cscARN(arnOrID)]
}

func (s *Service) createCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		Description         string
		AllowedPublishers   allowedPublishers
		CodeSigningPolicies *codeSigningPolicies
		Tags                map[string]string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	policy := PolicyWarn
	if in.CodeSigningPolicies != nil && in.CodeSigningPolicies.UntrustedArtifactOnDeployment != "" {
		policy = in.CodeSigningPolicies.UntrustedArtifactOnDeployment
	}
	if err := validateCSC(in.AllowedPublishers.SigningProfileVersionArns, policy); err != nil {
		return 0, nil, err
	}
	id := newCSCID()
	c := &codeSigningConfig{ID: id, Arn: s.cscARN(id), Description: in.Description,
		Allowed: in.AllowedPublishers.SigningProfileVersionArns, Policy: policy, LastModified: rc.now, Tags: in.Tags}
	s.cscs[c.Arn] = c
	return http.StatusCreated, map[string]any{"CodeSigningConfig": c.out()}, nil
}

func (s *Service) getCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	c := s.csc(rc.labels["CodeSigningConfigArn"])
	if c == nil {
		return 0, nil, cscNotFound(rc.labels["CodeSigningConfigArn"])
	}
	return http.StatusOK, map[string]any{"CodeSigningConfig": c.out()}, nil
}

func (s *Service) updateCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	c := s.csc(rc.labels["CodeSigningConfigArn"])
	if c == nil {
		return 0, nil, cscNotFound(rc.labels["CodeSigningConfigArn"])
	}
	var in struct {
		Description         *string
		AllowedPublishers   *allowedPublishers
		CodeSigningPolicies *codeSigningPolicies
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	allowed, policy := c.Allowed, c.Policy
	if in.AllowedPublishers != nil {
		allowed = in.AllowedPublishers.SigningProfileVersionArns
	}
	if in.CodeSigningPolicies != nil && in.CodeSigningPolicies.UntrustedArtifactOnDeployment != "" {
		policy = in.CodeSigningPolicies.UntrustedArtifactOnDeployment
	}
	if err := validateCSC(allowed, policy); err != nil {
		return 0, nil, err
	}
	c.Allowed, c.Policy = allowed, policy
	if in.Description != nil {
		c.Description = *in.Description
	}
	c.LastModified = rc.now
	return http.StatusOK, map[string]any{"CodeSigningConfig": c.out()}, nil
}

func (s *Service) deleteCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	c := s.csc(rc.labels["CodeSigningConfigArn"])
	if c == nil {
		return 0, nil, cscNotFound(rc.labels["CodeSigningConfigArn"])
	}
	if users := s.functionsUsing(c.Arn); len(users) > 0 {
		return 0, nil, awsproto.Errorf(409, "ResourceConflictException",
			"The code signing configuration %s cannot be deleted because it is used by %d function(s).", c.Arn, len(users))
	}
	delete(s.cscs, c.Arn)
	return http.StatusNoContent, nil, nil
}

func (s *Service) listCSCs(rc *reqCtx) (int, any, *awsproto.Error) {
	all := make([]*codeSigningConfig, 0, len(s.cscs))
	for _, c := range s.cscs {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Arn < all[j].Arn })
	start, end, next, err := page(len(all), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]cscOut, 0, end-start)
	for _, c := range all[start:end] {
		out = append(out, c.out())
	}
	resp := map[string]any{"CodeSigningConfigs": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}

func (s *Service) functionsUsing(cscArn string) []string {
	var out []string
	for _, f := range s.functions {
		if f.CSCArn == cscArn {
			out = append(out, s.functionARN(f.Name))
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) listFunctionsByCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	c := s.csc(rc.labels["CodeSigningConfigArn"])
	if c == nil {
		return 0, nil, cscNotFound(rc.labels["CodeSigningConfigArn"])
	}
	all := s.functionsUsing(c.Arn)
	start, end, next, err := page(len(all), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	resp := map[string]any{"FunctionArns": append([]string{}, all[start:end]...)}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}

func (s *Service) unqualified(rc *reqCtx) (*function, *awsproto.Error) {
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], "")
	if err != nil {
		return nil, err
	}
	if q != "" {
		return nil, invalid("Qualifier is not supported for this operation: %s", rc.labels["FunctionName"])
	}
	return f, nil
}

func (s *Service) putFunctionCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct{ CodeSigningConfigArn string }
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	c := s.csc(in.CodeSigningConfigArn)
	f, err := s.unqualified(rc)
	if c == nil {
		return 0, nil, awsproto.Errorf(404, "CodeSigningConfigNotFoundException",
			"The code signing configuration cannot be found. Check that the provided configuration is not deleted: %s.", in.CodeSigningConfigArn)
	}
	if err != nil {
		return 0, nil, err
	}
	if f.Latest.Config.PackageType == packageImage {
		return 0, nil, invalid("Code signing configuration is not supported for functions with package type Image.")
	}
	f.CSCArn = c.Arn
	return http.StatusOK, map[string]any{"CodeSigningConfigArn": c.Arn, "FunctionName": f.Name}, nil
}

func (s *Service) getFunctionCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	if f.CSCArn == "" {
		return http.StatusOK, map[string]any{}, nil
	}
	return http.StatusOK, map[string]any{"CodeSigningConfigArn": f.CSCArn, "FunctionName": f.Name}, nil
}

func (s *Service) deleteFunctionCSC(rc *reqCtx) (int, any, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return 0, nil, err
	}
	f.CSCArn = ""
	return http.StatusNoContent, nil, nil
}
