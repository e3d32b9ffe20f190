package lambdaemu

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// latest is the qualifier of a function's unpublished version.
const latest = "$LATEST"

// Package types.
const (
	packageZip   = "Zip"
	packageImage = "Image"
)

// codeInfo is a deployed artifact and what Lambda recorded about its
// signature (empty unless a CSC verified it).
type codeInfo struct {
	Zip                      []byte
	ImageURI                 string
	Sha256                   string
	Size                     int64
	SigningProfileVersionArn string
	SigningJobArn            string
}

func newZipCode(zip []byte) codeInfo {
	sum := sha256.Sum256(zip)
	return codeInfo{Zip: zip, Sha256: base64.StdEncoding.EncodeToString(sum[:]), Size: int64(len(zip))}
}

func newImageCode(uri string) codeInfo {
	sum := sha256.Sum256([]byte(uri))
	return codeInfo{ImageURI: uri, Sha256: fmt.Sprintf("%x", sum[:])}
}

// layerRef is a layer as a function's configuration lists it.
type layerRef struct {
	Arn                      string
	CodeSize                 int64
	SigningProfileVersionArn string
	SigningJobArn            string
}

// config is everything a published version freezes.
type config struct {
	Runtime       string
	Handler       string
	Role          string
	Description   string
	PackageType   string
	Timeout       int32
	MemorySize    int32
	Env           map[string]string
	Architectures []string
	Layers        []layerRef
	Code          codeInfo
	// KMSKeyArn is the customer managed key of the environment, "" for
	// Lambda's own key.
	KMSKeyArn string
}

func (c config) clone() config {
	out := c
	if c.Env != nil {
		out.Env = make(map[string]string, len(c.Env))
		for k, v := range c.Env {
			out.Env[k] = v
		}
	}
	out.Architectures = append([]string(nil), c.Architectures...)
	out.Layers = append([]layerRef(nil), c.Layers...)
	return out
}

// sameAs reports whether publishing c would produce nothing new after p.
func (c config) sameAs(p config) bool {
	if c.Code.Sha256 != p.Code.Sha256 || c.Runtime != p.Runtime || c.Handler != p.Handler || c.Role != p.Role ||
		c.Timeout != p.Timeout || c.MemorySize != p.MemorySize || c.Code.SigningJobArn != p.Code.SigningJobArn ||
		len(c.Env) != len(p.Env) || len(c.Layers) != len(p.Layers) || c.KMSKeyArn != p.KMSKeyArn {
		return false
	}
	for k, v := range c.Env {
		if pv, ok := p.Env[k]; !ok || pv != v {
			return false
		}
	}
	for i := range c.Layers {
		if c.Layers[i] != p.Layers[i] {
			return false
		}
	}
	return true
}

// version is $LATEST or a published version.
type version struct {
	Number       string
	Config       config
	RevisionID   string
	LastModified time.Time
	// Permissions is the version's resource-based policy ($LATEST's is the
	// unqualified function's); publishing does not copy it.
	Permissions []permission
}

type alias struct {
	Name            string
	FunctionVersion string
	Description     string
	Weights         map[string]float64
	RevisionID      string
	Permissions     []permission
	URL             *functionURL
}

// Kinds of in-flight change.
const (
	busyNone   = ""
	busyCreate = "create"
	busyUpdate = "update"
)

type function struct {
	Name        string
	Latest      *version
	Versions    []*version
	NextVersion int
	Aliases     map[string]*alias
	CSCArn      string
	Reserved    *int32
	Tags        map[string]string
	// URL is the unqualified function's URL config (aliases have their own).
	URL *functionURL
	// RecursiveLoop is Allow or Terminate ("" is Lambda's default, Terminate).
	RecursiveLoop string
	// busy and busyUntil describe a create or update still in progress;
	// LastUpdateStatus and State are derived from them at read time.
	busy      string
	busyUntil time.Time
}

// settle finishes an in-flight create or update whose time has come.
// Lambda gives the function a new RevisionId when it does.
func (f *function) settle(now time.Time) {
	if f.busy != busyNone && !now.Before(f.busyUntil) {
		f.busy = busyNone
		f.Latest.RevisionID = awsproto.NewID()
	}
}

func (f *function) version(q string) *version {
	if q == latest {
		return f.Latest
	}
	for _, v := range f.Versions {
		if v.Number == q {
			return v
		}
	}
	return nil
}

// codeSigningConfig is a CSC.
type codeSigningConfig struct {
	ID           string
	Arn          string
	Description  string
	Allowed      []string // signing profile version ARNs
	Policy       string   // Enforce or Warn
	LastModified time.Time
	Tags         map[string]string
}

type layerVersion struct {
	Number                  int64
	Code                    codeInfo
	Description             string
	CompatibleRuntimes      []string
	CompatibleArchitectures []string
	LicenseInfo             string
	Created                 time.Time
	// Permissions is the layer version's policy; PolicyRevision its
	// RevisionId, new with each change.
	Permissions    []layerPermission
	PolicyRevision string
}

type layer struct {
	Name     string
	Account  string
	Arn      string
	Versions []*layerVersion
	Next     int64
}

func (l *layer) version(n int64) *layerVersion {
	for _, v := range l.Versions {
		if v.Number == n {
			return v
		}
	}
	return nil
}

// Names and ARNs.

var (
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	qualifierRE    = regexp.MustCompile(`^(\$LATEST|[0-9]+|[a-zA-Z0-9_-]{1,128})$`)
	aliasNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	layerNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,140}$`)
	digitsRE       = regexp.MustCompile(`^[0-9]+$`)
)

func (s *Service) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.env.Region, s.env.Account, name)
}

func (s *Service) layerARN(account, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s", s.env.Region, account, name)
}

// parseFunctionName splits a function name as the API accepts it — a name, a
// full or partial ARN, with or without a qualifier — into name and
// qualifier. It fails for ARNs of another account or region.
func (s *Service) parseFunctionName(in string) (name, qualifier string, err *awsproto.Error) {
	bad := func() *awsproto.Error {
		return awsproto.Errorf(400, "InvalidParameterValueException", "1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", in)
	}
	parts := strings.Split(in, ":")
	switch {
	case strings.HasPrefix(in, "arn:"):
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return "", "", bad()
		}
		if parts[3] != s.env.Region || parts[4] != s.env.Account {
			return "", "", awsproto.Errorf(404, "ResourceNotFoundException", "Function not found: %s", in)
		}
		name = parts[6]
		if len(parts) == 8 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 || parts[0] != s.env.Account {
			return "", "", bad()
		}
		name = parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
		}
	default:
		if len(parts) > 2 {
			return "", "", bad()
		}
		name = parts[0]
		if len(parts) == 2 {
			qualifier = parts[1]
		}
	}
	if !functionNameRE.MatchString(name) || (qualifier != "" && !qualifierRE.MatchString(qualifier)) {
		return "", "", bad()
	}
	return name, qualifier, nil
}

func notFound(arn string) *awsproto.Error {
	return awsproto.Errorf(404, "ResourceNotFoundException", "Function not found: %s", arn)
}

func invalid(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(400, "InvalidParameterValueException", format, args...)
}

// lookup finds a function (and settles it) from a name as the API takes it
// plus an optional Qualifier parameter.
func (s *Service) lookup(rc *reqCtx, in, qualifierParam string) (*function, string, *awsproto.Error) {
	name, q, err := s.parseFunctionName(in)
	if err != nil {
		return nil, "", err
	}
	if qualifierParam != "" {
		if q != "" && q != qualifierParam {
			return nil, "", invalid("The derived qualifier from the function name does not match the specified qualifier.")
		}
		q = qualifierParam
	}
	f := s.functions[name]
	if f == nil {
		arn := s.functionARN(name)
		if q != "" {
			arn += ":" + q
		}
		return nil, "", notFound(arn)
	}
	f.settle(rc.now)
	return f, q, nil
}

// resolve returns the version a qualifier names (a version number, an alias
// or $LATEST), or 404.
func (s *Service) resolve(f *function, q string) (*version, *alias, *awsproto.Error) {
	if q == "" {
		q = latest
	}
	if v := f.version(q); v != nil {
		return v, nil, nil
	}
	if a := f.Aliases[q]; a != nil {
		if v := f.version(a.FunctionVersion); v != nil {
			return v, a, nil
		}
	}
	return nil, nil, notFound(s.functionARN(f.Name) + ":" + q)
}

var (
	profileNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_]{2,64}$`)
	profileVersionRE = regexp.MustCompile(`^[a-zA-Z0-9]{10}$`)
)

// lastModifiedFormat is how Lambda writes LastModified.
const lastModifiedFormat = "2006-01-02T15:04:05.000-0700"

func stamp(t time.Time) string { return t.UTC().Format(lastModifiedFormat) }

// maxPage is the most items any list answers with, as ListFunctions does.
const maxPage = 50

// page picks the slice [start, end) of n items for a Marker and MaxItems
// and returns the next marker ("" at the end). Markers are opaque offsets.
func page(n int, marker, maxItems string) (int, int, string, *awsproto.Error) {
	start := 0
	if marker != "" {
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || !strings.HasPrefix(string(raw), "o:") {
			return 0, 0, "", invalid("Invalid marker: %s", marker)
		}
		if _, err := fmt.Sscanf(string(raw), "o:%d", &start); err != nil || start < 0 || start > n {
			return 0, 0, "", invalid("Invalid marker: %s", marker)
		}
	}
	size := maxPage
	if maxItems != "" {
		if _, err := fmt.Sscanf(maxItems, "%d", &size); err != nil || size < 1 || size > 10000 {
			return 0, 0, "", invalid("MaxItems must be between 1 and 10000")
		}
		if size > maxPage {
			size = maxPage
		}
	}
	end := min(start+size, n)
	next := ""
	if end < n {
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o:%d", end))
	}
	return start, end, next, nil
}

var cscIDRE = regexp.MustCompile(`^csc-[a-zA-Z0-9]{17}$`)
