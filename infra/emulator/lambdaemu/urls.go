package lambdaemu

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Function URL auth types and invoke modes.
const (
	authNone         = "NONE"
	authIAM          = "AWS_IAM"
	invokeBuffered   = "BUFFERED"
	invokeStreaming  = "RESPONSE_STREAM"
	urlTimeFormat    = "2006-01-02T15:04:05.000000Z"
	urlQualifierRule = `Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`
)

// functionURL is a function URL config: the unqualified function's or an
// alias's. ID is the URL's host label, kept across dumps so the URL stays
// the same.
type functionURL struct {
	ID           string
	AuthType     string
	Cors         *cors
	InvokeMode   string // "" until set: Lambda reports BUFFERED
	Created      time.Time
	LastModified time.Time
}

// cors is the API's Cors, in its JSON field names.
type cors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int32   `json:"MaxAge,omitempty"`
}

type urlOut struct {
	FunctionURL      string `json:"FunctionUrl"`
	FunctionArn      string
	AuthType         string
	Cors             *cors `json:",omitempty"`
	CreationTime     string
	LastModifiedTime string `json:",omitempty"`
	InvokeMode       string `json:",omitempty"`
}

var urlIDRE = regexp.MustCompile(`^[a-z0-9]{32}$`)

func newURLID() string { return strings.ToLower(randomAlnum(32)) }

func (s *Service) urlOf(u *functionURL, arn string) urlOut {
	mode := u.InvokeMode
	if mode == "" {
		mode = invokeBuffered
	}
	return urlOut{FunctionURL: "https://" + u.ID + ".lambda-url." + s.env.Region + ".on.aws/", FunctionArn: arn,
		AuthType: u.AuthType, Cors: u.Cors, CreationTime: u.Created.UTC().Format(urlTimeFormat),
		LastModifiedTime: u.LastModified.UTC().Format(urlTimeFormat), InvokeMode: mode}
}

// urlSlot is where a function URL config lives and the ARN it serves.
type urlSlot struct {
	url **functionURL
	arn string
}

// urlTarget resolves FunctionName and Qualifier for the function URL
// operations: only an alias may qualify (a version or $LATEST fails request
// validation); a missing function or alias gets missing's message.
func (s *Service) urlTarget(rc *reqCtx, missing string) (urlSlot, *awsproto.Error) {
	param := rc.query.Get("Qualifier")
	if param != "" && (digitsRE.MatchString(param) || !aliasNameRE.MatchString(param)) {
		return urlSlot{}, validationError(param, "qualifier", urlQualifierRule)
	}
	name, q, err := s.parseFunctionName(rc.labels["FunctionName"])
	if err != nil {
		return urlSlot{}, err
	}
	if param != "" {
		if q != "" && q != param {
			return urlSlot{}, invalid("The derived qualifier from the function name does not match the specified qualifier.")
		}
		q = param
	}
	if q != "" && (q == latest || digitsRE.MatchString(q)) {
		return urlSlot{}, validationError(q, "qualifier", urlQualifierRule)
	}
	f := s.functions[name]
	if f == nil {
		return urlSlot{}, awsproto.Errorf(404, "ResourceNotFoundException", "%s", missing)
	}
	f.settle(rc.now)
	if q == "" {
		return urlSlot{url: &f.URL, arn: s.functionARN(f.Name)}, nil
	}
	a := f.Aliases[q]
	if a == nil {
		return urlSlot{}, awsproto.Errorf(404, "ResourceNotFoundException", "%s", missing)
	}
	return urlSlot{url: &a.URL, arn: s.functionARN(f.Name) + ":" + a.Name}, nil
}

const (
	fnMissing  = "Function does not exist"
	resMissing = "The resource you requested does not exist."
)

// urlInput is the body of Create/UpdateFunctionUrlConfig.
type urlInput struct {
	AuthType   string
	Cors       *cors
	InvokeMode string
}

func (in urlInput) validate(create bool) *awsproto.Error {
	if (create || in.AuthType != "") && in.AuthType != authNone && in.AuthType != authIAM {
		return validationError(in.AuthType, "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	}
	if in.InvokeMode != "" && in.InvokeMode != invokeBuffered && in.InvokeMode != invokeStreaming {
		return validationError(in.InvokeMode, "invokeMode", "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
	}
	return nil
}

func (s *Service) createFunctionURL(rc *reqCtx) (int, any, *awsproto.Error) {
	var in urlInput
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	if err := in.validate(true); err != nil {
		return 0, nil, err
	}
	slot, err := s.urlTarget(rc, fnMissing)
	if err != nil {
		return 0, nil, err
	}
	if *slot.url != nil {
		return 0, nil, awsproto.Errorf(409, "ResourceConflictException",
			"Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", slot.arn)
	}
	u := &functionURL{ID: newURLID(), AuthType: in.AuthType, Cors: in.Cors, InvokeMode: in.InvokeMode, Created: rc.now, LastModified: rc.now}
	*slot.url = u
	// CreateFunctionUrlConfig answers without LastModifiedTime, and with
	// InvokeMode only when the caller set it (recorded AWS responses).
	out := s.urlOf(u, slot.arn)
	out.LastModifiedTime, out.InvokeMode = "", in.InvokeMode
	return http.StatusCreated, out, nil
}

func (s *Service) getFunctionURL(rc *reqCtx) (int, any, *awsproto.Error) {
	slot, err := s.urlTarget(rc, resMissing)
	if err != nil {
		return 0, nil, err
	}
	if *slot.url == nil {
		return 0, nil, resourceMissing("", "")
	}
	return http.StatusOK, s.urlOf(*slot.url, slot.arn), nil
}

func (s *Service) updateFunctionURL(rc *reqCtx) (int, any, *awsproto.Error) {
	var in urlInput
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	if err := in.validate(false); err != nil {
		return 0, nil, err
	}
	slot, err := s.urlTarget(rc, fnMissing)
	if err != nil {
		return 0, nil, err
	}
	u := *slot.url
	if u == nil {
		return 0, nil, resourceMissing("", "")
	}
	if in.AuthType != "" {
		u.AuthType = in.AuthType
	}
	if in.Cors != nil {
		u.Cors = in.Cors
	}
	if in.InvokeMode != "" {
		u.InvokeMode = in.InvokeMode
	}
	u.LastModified = rc.now
	return http.StatusOK, s.urlOf(u, slot.arn), nil
}

func (s *Service) deleteFunctionURL(rc *reqCtx) (int, any, *awsproto.Error) {
	slot, err := s.urlTarget(rc, resMissing)
	if err != nil {
		return 0, nil, err
	}
	if *slot.url == nil {
		return 0, nil, resourceMissing("", "")
	}
	*slot.url = nil
	return http.StatusNoContent, nil, nil
}

func (s *Service) listFunctionURLs(rc *reqCtx) (int, any, *awsproto.Error) {
	name, q, err := s.parseFunctionName(rc.labels["FunctionName"])
	if err != nil {
		return 0, nil, err
	}
	f := s.functions[name]
	if f == nil || q != "" {
		return 0, nil, awsproto.Errorf(404, "ResourceNotFoundException", fnMissing)
	}
	var all []urlOut
	if f.URL != nil {
		all = append(all, s.urlOf(f.URL, s.functionARN(f.Name)))
	}
	names := make([]string, 0, len(f.Aliases))
	for n, a := range f.Aliases {
		if a.URL != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		all = append(all, s.urlOf(f.Aliases[n].URL, s.functionARN(f.Name)+":"+n))
	}
	start, end, next, err := page(len(all), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	resp := map[string]any{"FunctionUrlConfigs": append([]urlOut{}, all[start:end]...)}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}
