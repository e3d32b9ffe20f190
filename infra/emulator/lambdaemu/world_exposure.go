package lambdaemu

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// PermissionWorld is one statement of a function's resource-based policy,
// in AddPermission's terms; it is checked as AddPermission checks it.
type PermissionWorld struct {
	// Qualifier puts the statement on a published version or an alias of
	// the world (default: the unqualified function).
	Qualifier   string `json:"qualifier,omitempty"`
	StatementID string `json:"statementId"`
	// Action defaults to lambda:InvokeFunction.
	Action                string `json:"action,omitempty"`
	Principal             string `json:"principal"`
	SourceArn             string `json:"sourceArn,omitempty"`
	SourceAccount         string `json:"sourceAccount,omitempty"`
	PrincipalOrgID        string `json:"principalOrgId,omitempty"`
	EventSourceToken      string `json:"eventSourceToken,omitempty"`
	FunctionURLAuthType   string `json:"functionUrlAuthType,omitempty"`
	InvokedViaFunctionURL bool   `json:"invokedViaFunctionUrl,omitempty"`
}

// URLWorld is a function URL config of the function or of one of its
// aliases.
type URLWorld struct {
	// Qualifier is an alias of the world (default: the function).
	Qualifier string `json:"qualifier,omitempty"`
	// AuthType is NONE or AWS_IAM.
	AuthType   string `json:"authType"`
	Cors       *cors  `json:"cors,omitempty"`
	InvokeMode string `json:"invokeMode,omitempty"`
	// URLID is the URL's host label, 32 lower-case letters or digits
	// (random if empty); a dump keeps it so the URL stays the same.
	URLID string `json:"urlId,omitempty"`
}

// LayerPermissionWorld is one statement of a layer version's policy.
type LayerPermissionWorld struct {
	StatementID string `json:"statementId"`
	// Principal is "*" or an account id.
	Principal      string `json:"principal"`
	OrganizationID string `json:"organizationId,omitempty"`
}

// MappingWorld is an event source mapping, settled (Enabled or Disabled).
type MappingWorld struct {
	// UUID is random if empty; a dump keeps it.
	UUID string `json:"uuid,omitempty"`
	// FunctionName is a function of the world, optionally qualified
	// (name:alias or name:version).
	FunctionName   string `json:"functionName"`
	EventSourceArn string `json:"eventSourceArn"`
	// Enabled defaults to true.
	Enabled   *bool `json:"enabled,omitempty"`
	BatchSize int32 `json:"batchSize,omitempty"`
	// StartingPosition is required for Kinesis and DynamoDB streams.
	StartingPosition               string `json:"startingPosition,omitempty"`
	MaximumBatchingWindowInSeconds int32  `json:"maximumBatchingWindowInSeconds,omitempty"`
}

// loadExposure gives a loaded function its policy statements, URL configs
// and recursive loop setting, checked as the API checks them.
func (s *Service) loadExposure(f *function, fw FunctionWorld, now time.Time) error {
	for i, pw := range fw.Permissions {
		if err := s.loadPermission(f, pw); err != nil {
			return fmt.Errorf("permissions[%d]: %w", i, err)
		}
	}
	for i, uw := range fw.URLs {
		if err := s.loadURL(f, uw, now); err != nil {
			return fmt.Errorf("urls[%d]: %w", i, err)
		}
	}
	if fw.RecursiveLoop != "" {
		if err := checkLoop(fw.RecursiveLoop); err != nil {
			return fmt.Errorf("recursiveLoop: %s", err.Message)
		}
		f.RecursiveLoop = fw.RecursiveLoop
	}
	return nil
}

func (s *Service) loadPermission(f *function, pw PermissionWorld) error {
	p := permission{StatementID: pw.StatementID, Action: pw.Action, Principal: pw.Principal, SourceArn: pw.SourceArn,
		SourceAccount: pw.SourceAccount, PrincipalOrgID: pw.PrincipalOrgID, EventSourceToken: pw.EventSourceToken,
		FunctionUrlAuthType: pw.FunctionURLAuthType, InvokedViaFunctionUrl: pw.InvokedViaFunctionURL}
	if p.Action == "" {
		p.Action = "lambda:InvokeFunction"
	}
	if err := p.validate(); err != nil {
		return fmt.Errorf("%s", err.Message)
	}
	if pw.Qualifier == latest {
		return fmt.Errorf("qualifier: policies cannot be added to $LATEST; leave qualifier empty")
	}
	h, err := s.holder(f, pw.Qualifier, writeMissing)
	if err != nil {
		return fmt.Errorf("qualifier %q: %s", pw.Qualifier, err.Message)
	}
	if _, err := addTo(h, p, ""); err != nil {
		return fmt.Errorf("%s", err.Message)
	}
	return nil
}

func (s *Service) loadURL(f *function, uw URLWorld, now time.Time) error {
	in := urlInput{AuthType: uw.AuthType, Cors: uw.Cors, InvokeMode: uw.InvokeMode}
	if err := in.validate(true); err != nil {
		return fmt.Errorf("%s", err.Message)
	}
	id := uw.URLID
	if id == "" {
		id = newURLID()
	}
	if !urlIDRE.MatchString(id) {
		return fmt.Errorf("urlId %q: want 32 lower-case letters or digits", id)
	}
	slot := &f.URL
	if uw.Qualifier != "" {
		a := f.Aliases[uw.Qualifier]
		if a == nil {
			return fmt.Errorf("qualifier %q: a function URL qualifier must be an alias of the world", uw.Qualifier)
		}
		slot = &a.URL
	}
	if *slot != nil {
		return fmt.Errorf("qualifier %q has a URL config already", uw.Qualifier)
	}
	*slot = &functionURL{ID: id, AuthType: in.AuthType, Cors: in.Cors, InvokeMode: in.InvokeMode, Created: now, LastModified: now}
	return nil
}

func (s *Service) loadLayerPermissions(account, name string, version int64, perms []LayerPermissionWorld) error {
	l := s.layers[s.layerARN(account, name)]
	v := l.version(version)
	arn := fmt.Sprintf("%s:%d", l.Arn, v.Number)
	for i, pw := range perms {
		p := layerPermission{StatementID: pw.StatementID, Action: layerAction, Principal: pw.Principal, OrganizationID: pw.OrganizationID}
		if err := p.validate(); err != nil {
			return fmt.Errorf("permissions[%d]: %s", i, err.Message)
		}
		if err := addLayerPermission(v, p, arn, ""); err != nil {
			return fmt.Errorf("permissions[%d]: %s", i, err.Message)
		}
	}
	return nil
}

func (s *Service) loadMapping(mw MappingWorld, now time.Time) error {
	fn := mw.FunctionName
	in := mappingInput{FunctionName: &fn, EventSourceArn: mw.EventSourceArn, Enabled: mw.Enabled,
		StartingPosition: mw.StartingPosition, MaximumBatchingWindowInSeconds: &mw.MaximumBatchingWindowInSeconds}
	if mw.BatchSize != 0 {
		in.BatchSize = &mw.BatchSize
	}
	m, err := s.newMapping(in, now)
	if err != nil {
		return fmt.Errorf("%s", err.Message)
	}
	if mw.UUID != "" {
		id := strings.ToLower(mw.UUID)
		if !uuidRE.MatchString(id) {
			return fmt.Errorf("uuid %q: want a UUID", mw.UUID)
		}
		if s.mappings[id] != nil {
			return fmt.Errorf("uuid %q is used twice", mw.UUID)
		}
		m.UUID = id
	}
	s.addMapping(m, now, false)
	return nil
}

func dumpPermissions(qualifier string, perms []permission) []PermissionWorld {
	out := make([]PermissionWorld, 0, len(perms))
	for _, p := range perms {
		out = append(out, PermissionWorld{Qualifier: qualifier, StatementID: p.StatementID, Action: p.Action, Principal: p.Principal,
			SourceArn: p.SourceArn, SourceAccount: p.SourceAccount, PrincipalOrgID: p.PrincipalOrgID,
			EventSourceToken: p.EventSourceToken, FunctionURLAuthType: p.FunctionUrlAuthType, InvokedViaFunctionURL: p.InvokedViaFunctionUrl})
	}
	return out
}

func dumpURL(qualifier string, u *functionURL) URLWorld {
	return URLWorld{Qualifier: qualifier, AuthType: u.AuthType, Cors: u.Cors, InvokeMode: u.InvokeMode, URLID: u.ID}
}

// dumpExposure adds a function's policies, URL configs and recursive loop
// setting to its world.
func dumpExposure(f *function, fw *FunctionWorld) {
	fw.Permissions = append(fw.Permissions, dumpPermissions("", f.Latest.Permissions)...)
	for _, v := range f.Versions {
		fw.Permissions = append(fw.Permissions, dumpPermissions(v.Number, v.Permissions)...)
	}
	if f.URL != nil {
		fw.URLs = append(fw.URLs, dumpURL("", f.URL))
	}
	names := make([]string, 0, len(f.Aliases))
	for n := range f.Aliases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := f.Aliases[n]
		fw.Permissions = append(fw.Permissions, dumpPermissions(n, a.Permissions)...)
		if a.URL != nil {
			fw.URLs = append(fw.URLs, dumpURL(n, a.URL))
		}
	}
	if len(fw.Permissions) == 0 {
		fw.Permissions = nil
	}
	fw.RecursiveLoop = f.RecursiveLoop
}

func dumpLayerPermissions(v *layerVersion) []LayerPermissionWorld {
	var out []LayerPermissionWorld
	for _, p := range v.Permissions {
		out = append(out, LayerPermissionWorld{StatementID: p.StatementID, Principal: p.Principal, OrganizationID: p.OrganizationID})
	}
	return out
}

// dumpMappings returns the settled mappings, in creation order. One being
// deleted is left out, and so is one whose function was deleted (AWS keeps
// it, but a world can only map to functions it has).
func (s *Service) dumpMappings() []MappingWorld {
	all := make([]*mapping, 0, len(s.mappings))
	for _, m := range s.mappings {
		if _, err := s.mappingFunction(m.FunctionArn); err == nil && m.busy != stateDeleting {
			all = append(all, m)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]MappingWorld, 0, len(all))
	for _, m := range all {
		enabled := m.Enabled
		out = append(out, MappingWorld{UUID: m.UUID, FunctionName: m.FunctionArn, EventSourceArn: m.EventSourceArn, Enabled: &enabled,
			BatchSize: m.BatchSize, StartingPosition: m.StartingPosition, MaximumBatchingWindowInSeconds: m.BatchWindow})
	}
	return out
}
