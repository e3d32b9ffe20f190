package lambdaemu

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// layerVersionByARN finds a layer version from its ARN, in any account the
// world holds layers of.
func (s *Service) layerVersionByARN(arn string) *layerVersion {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return nil
	}
	n, err := strconv.ParseInt(arn[i+1:], 10, 64)
	if err != nil {
		return nil
	}
	l := s.layers[arn[:i]]
	if l == nil {
		return nil
	}
	return l.version(n)
}

// layerOf resolves a LayerName label (a name or a layer ARN).
func (s *Service) layerOf(nameOrARN string) (account, name string, err *awsproto.Error) {
	if strings.HasPrefix(nameOrARN, "arn:") {
		p := strings.Split(nameOrARN, ":")
		if len(p) != 7 || p[2] != "lambda" || p[5] != "layer" || p[3] != s.env.Region {
			return "", "", invalid("Invalid layer ARN: %s", nameOrARN)
		}
		account, name = p[4], p[6]
	} else {
		account, name = s.env.Account, nameOrARN
	}
	if !layerNameRE.MatchString(name) {
		return "", "", invalid("Invalid layer name: %s", nameOrARN)
	}
	return account, name, nil
}

func layerVersionNotFound() *awsproto.Error {
	return awsproto.Errorf(404, "ResourceNotFoundException", "The resource you requested does not exist.")
}

type layerContent struct {
	Location                 string
	CodeSha256               string
	CodeSize                 int64
	SigningProfileVersionArn string `json:",omitempty"`
	SigningJobArn            string `json:",omitempty"`
}

type layerVersionOut struct {
	Content                 *layerContent `json:",omitempty"`
	LayerArn                string        `json:",omitempty"`
	LayerVersionArn         string
	Description             string
	CreatedDate             string
	Version                 int64
	CompatibleRuntimes      []string `json:",omitempty"`
	CompatibleArchitectures []string `json:",omitempty"`
	LicenseInfo             string   `json:",omitempty"`
}

func (s *Service) layerVersionOut(rc *reqCtx, l *layer, v *layerVersion, withContent bool) layerVersionOut {
	out := layerVersionOut{LayerVersionArn: fmt.Sprintf("%s:%d", l.Arn, v.Number), Description: v.Description,
		CreatedDate: stamp(v.Created), Version: v.Number, CompatibleRuntimes: v.CompatibleRuntimes,
		CompatibleArchitectures: v.CompatibleArchitectures, LicenseInfo: v.LicenseInfo}
	if withContent {
		out.LayerArn = l.Arn
		out.Content = &layerContent{
			Location:   s.presign(rc, fmt.Sprintf("layer/%s/%s/%d", l.Account, l.Name, v.Number), v.Code.Sha256),
			CodeSha256: v.Code.Sha256, CodeSize: v.Code.Size,
			SigningProfileVersionArn: v.Code.SigningProfileVersionArn, SigningJobArn: v.Code.SigningJobArn,
		}
	}
	return out
}

// layerSigning records a layer's signature as publishing does: the
// signing fields of a genuine signature, whether or not anyone trusts it
// (that is decided when a function with a CSC uses the layer).
func (s *Service) layerSigning(code codeInfo, now time.Time) codeInfo {
	c := s.verify(code.Zip, now)
	switch c.Verdict {
	case sigValid, sigExpired, sigRevoked:
		code.SigningProfileVersionArn, code.SigningJobArn = c.ProfileVersionArn, c.SigningJobArn
	}
	return code
}

func (s *Service) addLayerVersion(account, name string, v *layerVersion) *layer {
	arn := s.layerARN(account, name)
	l := s.layers[arn]
	if l == nil {
		l = &layer{Name: name, Account: account, Arn: arn, Next: 1}
		s.layers[arn] = l
	}
	if v.Number == 0 {
		v.Number = l.Next
	}
	if v.PolicyRevision == "" {
		v.PolicyRevision = awsproto.NewID()
	}
	if v.Number >= l.Next {
		l.Next = v.Number + 1
	}
	l.Versions = append(l.Versions, v)
	return l
}

func (s *Service) publishLayerVersion(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		Content                 codeInput
		Description             string
		CompatibleRuntimes      []string
		CompatibleArchitectures []string
		LicenseInfo             string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	account, name, err := s.layerOf(rc.labels["LayerName"])
	if err != nil {
		return 0, nil, err
	}
	if account != s.env.Account {
		return 0, nil, awsproto.Errorf(403, "AccessDeniedException", "Cannot publish a layer version in account %s", account)
	}
	code, err := s.load(in.Content, packageZip)
	if err != nil {
		return 0, nil, err
	}
	v := &layerVersion{Code: s.layerSigning(code, rc.now), Description: in.Description,
		CompatibleRuntimes: in.CompatibleRuntimes, CompatibleArchitectures: in.CompatibleArchitectures,
		LicenseInfo: in.LicenseInfo, Created: rc.now}
	l := s.addLayerVersion(account, name, v)
	return http.StatusCreated, s.layerVersionOut(rc, l, v, true), nil
}

func (s *Service) getLayerVersion(rc *reqCtx) (int, any, *awsproto.Error) {
	account, name, err := s.layerOf(rc.labels["LayerName"])
	if err != nil {
		return 0, nil, err
	}
	n, perr := strconv.ParseInt(rc.labels["VersionNumber"], 10, 64)
	l := s.layers[s.layerARN(account, name)]
	if perr != nil || l == nil || l.version(n) == nil {
		return 0, nil, layerVersionNotFound()
	}
	return http.StatusOK, s.layerVersionOut(rc, l, l.version(n), true), nil
}

func (s *Service) getLayerVersionByArn(rc *reqCtx) (int, any, *awsproto.Error) {
	arn := rc.query.Get("Arn")
	lv := s.layerVersionByARN(arn)
	if lv == nil {
		return 0, nil, layerVersionNotFound()
	}
	l := s.layers[arn[:strings.LastIndexByte(arn, ':')]]
	return http.StatusOK, s.layerVersionOut(rc, l, lv, true), nil
}

func (s *Service) listLayerVersions(rc *reqCtx) (int, any, *awsproto.Error) {
	account, name, err := s.layerOf(rc.labels["LayerName"])
	if err != nil {
		return 0, nil, err
	}
	l := s.layers[s.layerARN(account, name)]
	var versions []*layerVersion
	if l != nil {
		for i := len(l.Versions) - 1; i >= 0; i-- {
			versions = append(versions, l.Versions[i])
		}
	}
	start, end, next, err := page(len(versions), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]layerVersionOut, 0, end-start)
	for _, v := range versions[start:end] {
		out = append(out, s.layerVersionOut(rc, l, v, false))
	}
	resp := map[string]any{"LayerVersions": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}
