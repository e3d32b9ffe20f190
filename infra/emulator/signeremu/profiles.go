package signeremu

import (
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
)

var (
	profileNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_]{2,64}$`)
	profileVersionRE = regexp.MustCompile(`^[a-zA-Z0-9]{10}$`)
)

// profileOut renders a profile as GetSigningProfile does; list entries
// (SigningProfile) carry the same fields less the revocation record.
func profileOut(p lambdaemu.SigningProfile, withRevocation bool) map[string]any {
	m := map[string]any{
		"profileName": p.Name, "profileVersion": p.Version, "profileVersionArn": p.VersionARN, "arn": p.ARN,
		"platformId": p.PlatformID, "platformDisplayName": p.PlatformName, "status": p.Status,
		"signatureValidityPeriod": p.Period,
	}
	if len(p.Tags) > 0 {
		m["tags"] = p.Tags
	}
	if withRevocation && p.Revocation != nil {
		rec := map[string]any{"revocationEffectiveFrom": epoch(p.Revocation.EffectiveFrom), "revokedAt": epoch(p.Revocation.RevokedAt)}
		if p.Revocation.RevokedBy != "" {
			rec["revokedBy"] = p.Revocation.RevokedBy
		}
		m["revocationRecord"] = rec
	}
	return m
}

func (s *Service) profile(rc *reqCtx) (lambdaemu.SigningProfile, *awsproto.Error) {
	name := rc.labels["profileName"]
	owner := rc.query.Get("profileOwner")
	p, ok := s.signing.SigningProfileNamed(name)
	if !ok || (owner != "" && owner != rc.call.Account) {
		return p, notFound("Signing profile %s does not exist.", name)
	}
	return p, nil
}

func (s *Service) getProfile(rc *reqCtx) (int, any, *awsproto.Error) {
	p, err := s.profile(rc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileOut(p, true), nil
}

func (s *Service) putProfile(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		PlatformID              string                    `json:"platformId"`
		SignatureValidityPeriod *lambdaemu.ValidityPeriod `json:"signatureValidityPeriod"`
		SigningMaterial         *struct {
			CertificateArn string `json:"certificateArn"`
		} `json:"signingMaterial"`
		Tags map[string]string `json:"tags"`
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	name := rc.labels["profileName"]
	switch {
	case !profileNameRE.MatchString(name):
		return 0, nil, validation("profileName %q: want 2 to 64 letters, digits or underscores", name)
	case in.PlatformID == "":
		return 0, nil, validation("platformId is required")
	case in.PlatformID != lambdaemu.PlatformLambda:
		return 0, nil, validation("platformId %q: the local signer has only %s", in.PlatformID, lambdaemu.PlatformLambda)
	case in.SigningMaterial != nil:
		return 0, nil, validation("signingMaterial: the %s platform signs with AWS-managed material", lambdaemu.PlatformLambda)
	}
	p, err := s.signing.PutSigningProfile(name, in.SignatureValidityPeriod, in.Tags)
	if err != nil {
		return 0, nil, signingError(err)
	}
	return http.StatusOK, map[string]any{"arn": p.ARN, "profileVersion": p.Version, "profileVersionArn": p.VersionARN}, nil
}

func (s *Service) cancelProfile(rc *reqCtx) (int, any, *awsproto.Error) {
	if err := s.signing.CancelSigningProfile(rc.labels["profileName"]); err != nil {
		return 0, nil, signingError(err)
	}
	return http.StatusOK, map[string]any{}, nil
}

func (s *Service) revokeProfile(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		ProfileVersion string   `json:"profileVersion"`
		Reason         string   `json:"reason"`
		EffectiveTime  *float64 `json:"effectiveTime"`
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	switch {
	case !profileVersionRE.MatchString(in.ProfileVersion):
		return 0, nil, validation("profileVersion %q: want 10 letters or digits", in.ProfileVersion)
	case len(in.Reason) < 1 || len(in.Reason) > 500:
		return 0, nil, validation("reason: want 1 to 500 characters")
	case in.EffectiveTime == nil:
		return 0, nil, validation("effectiveTime is required")
	}
	effective := time.UnixMilli(int64(*in.EffectiveTime * 1000)).UTC()
	err := s.signing.RevokeSigningProfile(rc.labels["profileName"], in.ProfileVersion, effective, rc.call.Actor.Identity.ARN, in.Reason)
	if err != nil {
		return 0, nil, signingError(err)
	}
	return http.StatusOK, map[string]any{}, nil
}

func (s *Service) listProfiles(rc *reqCtx) (int, any, *awsproto.Error) {
	q := rc.query
	statuses := q["statuses"]
	for _, st := range statuses {
		if st != lambdaemu.ProfileActive && st != lambdaemu.ProfileCanceled && st != lambdaemu.ProfileRevoked {
			return 0, nil, validation("statuses: %q is not Active, Canceled or Revoked", st)
		}
	}
	var out []any
	for _, p := range s.signing.SigningProfiles() {
		switch {
		case p.Status == lambdaemu.ProfileCanceled && q.Get("includeCanceled") != "true" && !slices.Contains(statuses, p.Status):
		case len(statuses) > 0 && !slices.Contains(statuses, p.Status):
		case q.Get("platformId") != "" && q.Get("platformId") != p.PlatformID:
		default:
			out = append(out, profileOut(p, false))
		}
	}
	return pageOf(out, rc.query, "profiles")
}
