package lambdaemu

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// FunctionConfiguration is the API's FunctionConfiguration, in its JSON
// field names.
type functionConfiguration struct {
	FunctionName               string
	FunctionArn                string
	Runtime                    string `json:",omitempty"`
	Role                       string
	Handler                    string `json:",omitempty"`
	CodeSize                   int64
	Description                string
	Timeout                    int32
	MemorySize                 int32
	LastModified               string
	CodeSha256                 string
	Version                    string
	Environment                *environment `json:",omitempty"`
	TracingConfig              tracingConfig
	RevisionId                 string
	Layers                     []layerOut `json:",omitempty"`
	State                      string     `json:",omitempty"`
	StateReason                string     `json:",omitempty"`
	StateReasonCode            string     `json:",omitempty"`
	LastUpdateStatus           string     `json:",omitempty"`
	LastUpdateStatusReason     string     `json:",omitempty"`
	LastUpdateStatusReasonCode string     `json:",omitempty"`
	PackageType                string
	SigningProfileVersionArn   string `json:",omitempty"`
	SigningJobArn              string `json:",omitempty"`
	KMSKeyArn                  string `json:",omitempty"`
	Architectures              []string
	EphemeralStorage           ephemeralStorage
	LoggingConfig              loggingConfig
	SnapStart                  snapStart
}

type environment struct {
	Variables map[string]string
	// Error is set, and Variables not, when the caller may not decrypt.
	Error *environmentError `json:",omitempty"`
}
type tracingConfig struct{ Mode string }
type ephemeralStorage struct{ Size int32 }
type loggingConfig struct{ LogFormat, LogGroup string }
type snapStart struct{ ApplyOn, OptimizationStatus string }

type layerOut struct {
	Arn                      string
	CodeSize                 int64
	SigningProfileVersionArn string `json:",omitempty"`
	SigningJobArn            string `json:",omitempty"`
}

const beingCreated = "The function is being created."

// configOut renders a version; arn is the ARN the caller addressed it by.
func (s *Service) configOut(f *function, v *version, arn string, now time.Time) functionConfiguration {
	c := v.Config
	out := functionConfiguration{
		FunctionName: f.Name, FunctionArn: arn, Runtime: c.Runtime, Role: c.Role, Handler: c.Handler,
		CodeSize: c.Code.Size, Description: c.Description, Timeout: c.Timeout, MemorySize: c.MemorySize,
		LastModified: stamp(v.LastModified), CodeSha256: c.Code.Sha256, Version: v.Number,
		TracingConfig: tracingConfig{Mode: "PassThrough"}, RevisionId: v.RevisionID, State: "Active",
		LastUpdateStatus: "Successful", PackageType: c.PackageType,
		SigningProfileVersionArn: c.Code.SigningProfileVersionArn, SigningJobArn: c.Code.SigningJobArn,
		Architectures: c.Architectures, EphemeralStorage: ephemeralStorage{Size: 512},
		LoggingConfig: loggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + f.Name},
		SnapStart:     snapStart{ApplyOn: "None", OptimizationStatus: "Off"},
		KMSKeyArn:     c.KMSKeyArn,
	}
	if c.Env != nil {
		out.Environment = &environment{Variables: c.Env}
	}
	for _, l := range c.Layers {
		out.Layers = append(out.Layers, layerOut(l))
	}
	if v.Number == latest && f.busy != busyNone && now.Before(f.busyUntil) {
		switch f.busy {
		case busyCreate:
			out.State, out.StateReason, out.StateReasonCode, out.LastUpdateStatus = "Pending", beingCreated, "Creating", ""
		case busyUpdate:
			out.LastUpdateStatus, out.LastUpdateStatusReason, out.LastUpdateStatusReasonCode = "InProgress", beingCreated, "Creating"
		}
	}
	return out
}

// listed drops what list operations leave out: Lambda documents that
// ListFunctions and ListVersionsByFunction return no state fields (the
// recorded responses agree), so only GetFunction and
// GetFunctionConfiguration tell whether a function is ready.
func (c functionConfiguration) listed() functionConfiguration {
	c.State, c.StateReason, c.StateReasonCode = "", "", ""
	c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "", "", ""
	return c
}

// busyError is Lambda's answer to a change while another is in progress.
func (s *Service) busyError(f *function, now time.Time) *awsproto.Error {
	if f.busy == busyNone || !now.Before(f.busyUntil) {
		return nil
	}
	if f.busy == busyCreate {
		return awsproto.Errorf(409, "ResourceConflictException",
			"The operation cannot be performed at this time. The function is currently in the following state: Pending")
	}
	return awsproto.Errorf(409, "ResourceConflictException",
		"The operation cannot be performed at this time. An update is in progress for resource: %s", s.functionARN(f.Name))
}

func revisionMismatch() *awsproto.Error {
	return awsproto.Errorf(412, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

// codeInput is FunctionCode and the code fields of UpdateFunctionCode.
type codeInput struct {
	ZipFile         []byte
	S3Bucket        string
	S3Key           string
	S3ObjectVersion string
	ImageUri        string
}

// load resolves the code an input names.
func (s *Service) load(in codeInput, packageType string) (codeInfo, *awsproto.Error) {
	if packageType == packageImage {
		if in.ImageUri == "" || len(in.ZipFile) > 0 || in.S3Bucket != "" {
			return codeInfo{}, invalid("Please provide ImageUri when creating or updating a function with package type Image.")
		}
		return newImageCode(in.ImageUri), nil
	}
	if in.ImageUri != "" {
		return codeInfo{}, invalid("Please don't provide ImageUri when updating a function with packageType Zip.")
	}
	zip := in.ZipFile
	switch {
	case len(zip) > 0 && in.S3Bucket != "":
		return codeInfo{}, invalid("Please provide either ZipFile or an S3 location, not both.")
	case len(zip) == 0 && in.S3Bucket == "":
		return codeInfo{}, invalid("Please provide a source for function code.")
	case in.S3Bucket != "":
		obj, ok := s.s3[in.S3Bucket+"/"+in.S3Key]
		if !ok {
			return codeInfo{}, invalid("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")
		}
		zip = obj
	}
	if _, err := readZip(zip); err != nil {
		return codeInfo{}, invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	return newZipCode(zip), nil
}

// layerRefs resolves layer version ARNs.
func (s *Service) layerRefs(arns []string) ([]layerRef, *awsproto.Error) {
	if len(arns) > 5 {
		return nil, invalid("Cannot reference more than 5 layers.")
	}
	out := make([]layerRef, 0, len(arns))
	for _, a := range arns {
		lv := s.layerVersionByARN(a)
		if lv == nil {
			return nil, invalid("Layer version %s does not exist.", a)
		}
		out = append(out, layerRef{Arn: a, CodeSize: lv.Code.Size})
	}
	return out, nil
}

func (s *Service) startChange(f *function, kind string, now time.Time) {
	f.busy, f.busyUntil = kind, now.Add(s.updateDelay)
}

func (s *Service) createFunction(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		FunctionName         string
		Runtime              string
		Role                 string
		Handler              string
		Code                 codeInput
		Description          string
		Timeout              *int32
		MemorySize           *int32
		Publish              bool
		Environment          *environment
		PackageType          string
		Layers               []string
		Tags                 map[string]string
		Architectures        []string
		CodeSigningConfigArn string
		KMSKeyArn            string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	name, q, err := s.parseFunctionName(in.FunctionName)
	if err != nil {
		return 0, nil, err
	}
	if q != "" {
		return 0, nil, invalid("Unqualified function name expected: %s", in.FunctionName)
	}
	if s.functions[name] != nil {
		return 0, nil, awsproto.Errorf(409, "ResourceConflictException", "Function already exist: %s", name)
	}
	if in.PackageType == "" {
		in.PackageType = packageZip
	}
	if in.PackageType != packageZip && in.PackageType != packageImage {
		return 0, nil, invalid("PackageType must be Zip or Image, not %q", in.PackageType)
	}
	if in.Role == "" {
		return 0, nil, invalid("The role defined for the function cannot be assumed by Lambda.")
	}
	if in.PackageType == packageZip && (in.Runtime == "" || in.Handler == "") {
		return 0, nil, invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.")
	}
	code, err := s.load(in.Code, in.PackageType)
	if err != nil {
		return 0, nil, err
	}
	cscArn := ""
	if in.CodeSigningConfigArn != "" {
		c := s.csc(in.CodeSigningConfigArn)
		if c == nil {
			return 0, nil, awsproto.Errorf(404, "CodeSigningConfigNotFoundException",
				"The code signing configuration cannot be found. Check that the provided configuration is not deleted: %s.", in.CodeSigningConfigArn)
		}
		if in.PackageType == packageImage {
			return 0, nil, invalid("Code signing configuration is not supported for functions with package type Image.")
		}
		cscArn = c.Arn
	}
	arn := s.functionARN(name)
	if code, err = s.checkCode(cscArn, arn, code, rc.now); err != nil {
		return 0, nil, err
	}
	layers, err := s.layerRefs(in.Layers)
	if err != nil {
		return 0, nil, err
	}
	if layers, err = s.checkLayers(cscArn, arn, layers, rc.now); err != nil {
		return 0, nil, err
	}
	cfg := config{Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		PackageType: in.PackageType, Timeout: 3, MemorySize: 128, Architectures: in.Architectures, Layers: layers, Code: code,
		KMSKeyArn: in.KMSKeyArn}
	if len(cfg.Architectures) == 0 {
		cfg.Architectures = []string{"x86_64"}
	}
	if in.Timeout != nil {
		cfg.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		cfg.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		cfg.Env = in.Environment.Variables
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
	}
	f := &function{Name: name, Aliases: map[string]*alias{}, CSCArn: cscArn, Tags: in.Tags, NextVersion: 1,
		Latest: &version{Number: latest, Config: cfg, RevisionID: awsproto.NewID(), LastModified: rc.now}}
	s.startChange(f, busyCreate, rc.now)
	s.functions[name] = f
	v := f.Latest
	if in.Publish {
		v = s.publish(f, "", rc.now)
	}
	return http.StatusCreated, s.configOut(f, v, s.versionARN(f, v), rc.now), nil
}

func (s *Service) versionARN(f *function, v *version) string {
	if v.Number == latest {
		return s.functionARN(f.Name)
	}
	return s.functionARN(f.Name) + ":" + v.Number
}

type codeLocation struct {
	RepositoryType   string
	Location         string `json:",omitempty"`
	ImageUri         string `json:",omitempty"`
	ResolvedImageUri string `json:",omitempty"`
}

// qualified resolves the function and qualifier (version or alias) a get
// request names, and the configuration Lambda reports for them.
func (s *Service) qualified(rc *reqCtx) (*function, *version, functionConfiguration, *awsproto.Error) {
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], rc.query.Get("Qualifier"))
	if err != nil {
		return nil, nil, functionConfiguration{}, err
	}
	v, a, err := s.resolve(f, q)
	if err != nil {
		return nil, nil, functionConfiguration{}, err
	}
	arn := s.versionARN(f, v)
	if a != nil {
		arn = s.functionARN(f.Name) + ":" + a.Name
	}
	return f, v, s.configOut(f, v, arn, rc.now), nil
}

func (s *Service) getFunction(rc *reqCtx) (int, any, *awsproto.Error) {
	f, v, cfg, err := s.qualified(rc)
	if err != nil {
		return 0, nil, err
	}
	resp := map[string]any{"Configuration": cfg}
	if v.Config.Code.ImageURI != "" {
		resp["Code"] = codeLocation{RepositoryType: "ECR", ImageUri: v.Config.Code.ImageURI, ResolvedImageUri: v.Config.Code.ImageURI}
	} else {
		resp["Code"] = codeLocation{RepositoryType: "S3", Location: s.presign(rc, "function/"+f.Name+"/"+v.Number, v.Config.Code.Sha256)}
	}
	if f.Reserved != nil {
		resp["Concurrency"] = map[string]int32{"ReservedConcurrentExecutions": *f.Reserved}
	}
	if len(f.Tags) > 0 {
		resp["Tags"] = f.Tags
	}
	return http.StatusOK, resp, nil
}

func (s *Service) getFunctionConfiguration(rc *reqCtx) (int, any, *awsproto.Error) {
	_, _, cfg, err := s.qualified(rc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cfg, nil
}

func (s *Service) deleteFunction(rc *reqCtx) (int, any, *awsproto.Error) {
	f, q, err := s.lookup(rc, rc.labels["FunctionName"], rc.query.Get("Qualifier"))
	if err != nil {
		return 0, nil, err
	}
	switch {
	case q == "":
		delete(s.functions, f.Name)
	case q == latest:
		return 0, nil, invalid("$LATEST version cannot be deleted without deleting the function.")
	default:
		if f.version(q) == nil {
			return 0, nil, notFound(s.functionARN(f.Name) + ":" + q)
		}
		var users []string
		for _, a := range f.Aliases {
			if a.FunctionVersion == q || a.Weights[q] > 0 {
				users = append(users, s.functionARN(f.Name)+":"+a.Name)
			}
		}
		if len(users) > 0 {
			sort.Strings(users)
			return 0, nil, awsproto.Errorf(409, "ResourceConflictException",
				"Unable to delete version because the following aliases reference it: %v", users)
		}
		kept := f.Versions[:0]
		for _, v := range f.Versions {
			if v.Number != q {
				kept = append(kept, v)
			}
		}
		f.Versions = kept
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) listFunctions(rc *reqCtx) (int, any, *awsproto.Error) {
	all := rc.query.Get("FunctionVersion") == "ALL"
	if fv := rc.query.Get("FunctionVersion"); fv != "" && !all {
		return 0, nil, invalid("FunctionVersion must be ALL, not %q", fv)
	}
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	type item struct {
		f *function
		v *version
	}
	var items []item
	for _, n := range names {
		f := s.functions[n]
		f.settle(rc.now)
		items = append(items, item{f, f.Latest})
		if all {
			for _, v := range f.Versions {
				items = append(items, item{f, v})
			}
		}
	}
	start, end, next, err := page(len(items), rc.query.Get("Marker"), rc.query.Get("MaxItems"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]functionConfiguration, 0, end-start)
	for _, it := range items[start:end] {
		out = append(out, s.configOut(it.f, it.v, s.versionARN(it.f, it.v), rc.now).listed())
	}
	resp := map[string]any{"Functions": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	return http.StatusOK, resp, nil
}

func (s *Service) updateFunctionCode(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		codeInput
		Publish       bool
		DryRun        bool
		RevisionId    string
		Architectures []string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, err := s.writable(rc, in.RevisionId)
	if err != nil {
		return 0, nil, err
	}
	code, err := s.load(in.codeInput, f.Latest.Config.PackageType)
	if err != nil {
		return 0, nil, err
	}
	arn := s.functionARN(f.Name)
	if code, err = s.checkCode(f.CSCArn, arn, code, rc.now); err != nil {
		return 0, nil, err
	}
	if in.DryRun {
		preview := *f.Latest
		preview.Config = preview.Config.clone()
		preview.Config.Code = code
		return http.StatusOK, s.configOut(f, &preview, arn, rc.now), nil
	}
	f.Latest.Config.Code = code
	if len(in.Architectures) > 0 {
		f.Latest.Config.Architectures = in.Architectures
	}
	f.Latest.RevisionID, f.Latest.LastModified = awsproto.NewID(), rc.now
	s.startChange(f, busyUpdate, rc.now)
	v := f.Latest
	if in.Publish {
		v = s.publish(f, "", rc.now)
	}
	return http.StatusOK, s.configOut(f, v, s.versionARN(f, v), rc.now), nil
}

func (s *Service) updateFunctionConfiguration(rc *reqCtx) (int, any, *awsproto.Error) {
	var in struct {
		Role        *string
		Handler     *string
		Description *string
		Timeout     *int32
		MemorySize  *int32
		Environment *environment
		Runtime     *string
		Layers      *[]string
		RevisionId  string
		KMSKeyArn   *string
	}
	if err := rc.decode(&in); err != nil {
		return 0, nil, err
	}
	f, err := s.writable(rc, in.RevisionId)
	if err != nil {
		return 0, nil, err
	}
	cfg := f.Latest.Config.clone()
	if in.Layers != nil {
		if cfg.PackageType == packageImage && len(*in.Layers) > 0 {
			return 0, nil, invalid("Layers are not supported for functions with package type Image.")
		}
		layers, err := s.layerRefs(*in.Layers)
		if err != nil {
			return 0, nil, err
		}
		if cfg.Layers, err = s.checkLayers(f.CSCArn, s.functionARN(f.Name), layers, rc.now); err != nil {
			return 0, nil, err
		}
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&cfg.Role, in.Role)
	set(&cfg.Handler, in.Handler)
	set(&cfg.Description, in.Description)
	set(&cfg.Runtime, in.Runtime)
	set(&cfg.KMSKeyArn, in.KMSKeyArn)
	if in.Timeout != nil {
		cfg.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		cfg.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		cfg.Env = in.Environment.Variables
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
	}
	f.Latest.Config = cfg
	f.Latest.RevisionID, f.Latest.LastModified = awsproto.NewID(), rc.now
	s.startChange(f, busyUpdate, rc.now)
	return http.StatusOK, s.configOut(f, f.Latest, s.functionARN(f.Name), rc.now), nil
}

// publish snapshots $LATEST as a new version, or returns the newest version
// if nothing changed since it was published.
func (s *Service) publish(f *function, description string, now time.Time) *version {
	if n := len(f.Versions); n > 0 && f.Versions[n-1].Config.sameAs(f.Latest.Config) {
		return f.Versions[n-1]
	}
	cfg := f.Latest.Config.clone()
	if description != "" {
		cfg.Description = description
	}
	v := &version{Number: fmt.Sprint(f.NextVersion), Config: cfg, RevisionID: awsproto.NewID(), LastModified: now}
	f.NextVersion++
	f.Versions = append(f.Versions, v)
	f.Latest.RevisionID = awsproto.NewID() // AWS gives $LATEST a new revision on publish too
	return v
}

// writable returns the function a write to $LATEST names, once it is not
// busy with an update (409) and, if the caller gave one, its RevisionId is
// still $LATEST's (412).
func (s *Service) writable(rc *reqCtx, revisionID string) (*function, *awsproto.Error) {
	f, err := s.unqualified(rc)
	if err != nil {
		return nil, err
	}
	if err := s.busyError(f, rc.now); err != nil {
		return nil, err
	}
	if revisionID != "" && revisionID != f.Latest.RevisionID {
		return nil, revisionMismatch()
	}
	return f, nil
}
