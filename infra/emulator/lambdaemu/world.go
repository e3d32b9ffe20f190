package lambdaemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// World is the Lambda part of a world file (JSON). Load replaces the whole
// Lambda state; every field is optional. Names that refer to other parts
// (signedBy, codeSigningConfig, allowedPublishers, layers) are checked, and
// the first problem is reported with where it is.
type World struct {
	// UpdateDelayMs is how long a create or update stays Pending or
	// InProgress, in milliseconds of emulator time (default 300).
	UpdateDelayMs *int `json:"updateDelayMs,omitempty"`
	// Quotas are the API quotas (default: AWS's, 100 and 15 a second).
	Quotas *Quotas `json:"quotas,omitempty"`
	// SigningProfiles are the local signer's profiles.
	SigningProfiles []ProfileWorld `json:"signingProfiles,omitempty"`
	// CodeSigningConfigs are the CSCs.
	CodeSigningConfigs []CSCWorld `json:"codeSigningConfigs,omitempty"`
	// Layers are layer versions, of this account or another.
	Layers []LayerWorld `json:"layers,omitempty"`
	// S3Objects are objects S3Bucket/S3Key code may name.
	S3Objects []S3ObjectWorld `json:"s3Objects,omitempty"`
	// Functions are the functions.
	Functions []FunctionWorld `json:"functions,omitempty"`
	// EventSourceMappings are event source mappings to this world's
	// functions.
	EventSourceMappings []MappingWorld `json:"eventSourceMappings,omitempty"`
	// KMSKeys are customer managed keys functions' environments may be
	// encrypted with, and who may decrypt with each (kms.go).
	KMSKeys []KMSKeyWorld `json:"kmsKeys,omitempty"`
}

// CodeWorld is a deployment package: a zip given as base64 (zip) or built
// from files (name to content), optionally signed at load by the signing
// profile signedBy. With neither zip nor files a small bootstrap is made.
type CodeWorld struct {
	Zip      []byte            `json:"zip,omitempty"`
	Files    map[string]string `json:"files,omitempty"`
	SignedBy string            `json:"signedBy,omitempty"`
}

// ProfileWorld is a signing profile version.
type ProfileWorld struct {
	// Name is the profile name (2 to 64 letters, digits, underscores).
	Name string `json:"name"`
	// Version is the profile version (10 letters or digits; random if empty).
	Version string `json:"version,omitempty"`
	// SignatureValidity is a Go duration (default 135 months).
	SignatureValidity string `json:"signatureValidity,omitempty"`
	// Status is Active (default), Canceled (signs nothing more) or Revoked.
	Status string `json:"status,omitempty"`
	// RevocationEffectiveFrom: signatures made at or after it are invalid
	// once revoked (absent: all of them).
	RevocationEffectiveFrom *time.Time `json:"revocationEffectiveFrom,omitempty"`
	// RevocationReason and RevokedBy are the revocation record the Signer
	// API shows.
	RevocationReason string `json:"revocationReason,omitempty"`
	RevokedBy        string `json:"revokedBy,omitempty"`
	// Tags are the profile's tags, as the Signer API shows them.
	Tags map[string]string `json:"tags,omitempty"`
	// Key is the profile's MAC key, base64 of 32 bytes (random if empty);
	// a dump keeps it so signed code stays valid across a reload.
	Key []byte `json:"key,omitempty"`
}

// CSCWorld is a code signing configuration.
type CSCWorld struct {
	// ID is csc- and 17 letters or digits (random if empty); functions
	// refer to the CSC by it or by its ARN.
	ID          string `json:"id,omitempty"`
	Description string `json:"description,omitempty"`
	// AllowedPublishers are signing profile names of this world or profile
	// version ARNs.
	AllowedPublishers []string `json:"allowedPublishers"`
	// UntrustedArtifactOnDeployment is Warn (default) or Enforce.
	UntrustedArtifactOnDeployment string `json:"untrustedArtifactOnDeployment,omitempty"`
}

// LayerWorld is one layer version.
type LayerWorld struct {
	Name string `json:"name"`
	// Account owns the layer (default: the emulated account).
	Account string `json:"account,omitempty"`
	// Version is the version number (default: the next one).
	Version int64 `json:"version,omitempty"`
	CodeWorld
	Description             string   `json:"description,omitempty"`
	CompatibleRuntimes      []string `json:"compatibleRuntimes,omitempty"`
	CompatibleArchitectures []string `json:"compatibleArchitectures,omitempty"`
	// Permissions is the layer version's policy (this account's layers).
	Permissions []LayerPermissionWorld `json:"permissions,omitempty"`
}

// S3ObjectWorld is an object for S3Bucket/S3Key code.
type S3ObjectWorld struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Data   []byte `json:"data"`
}

// FunctionWorld is a function as if deployed: $LATEST is the code and
// configuration given here; versions were published before.
type FunctionWorld struct {
	Name string `json:"name"`
	// Runtime, Handler and Role default to provided.al2023, bootstrap and
	// a role named after the function.
	Runtime string `json:"runtime,omitempty"`
	Handler string `json:"handler,omitempty"`
	Role    string `json:"role,omitempty"`
	// PackageType is Zip (default) or Image (then imageUri, no code).
	PackageType string `json:"packageType,omitempty"`
	ImageURI    string `json:"imageUri,omitempty"`
	CodeWorld
	Description string            `json:"description,omitempty"`
	Timeout     int32             `json:"timeout,omitempty"`
	MemorySize  int32             `json:"memorySize,omitempty"`
	Environment map[string]string `json:"environment,omitempty"`
	// Layers are layer version ARNs of this world's layers.
	Layers []string `json:"layers,omitempty"`
	// CodeSigningConfig is the attached CSC's id or ARN. Signing fields
	// are recorded for code it trusts; code it does not trust is loaded
	// anyway, unrecorded, as after attaching a CSC to deployed code.
	CodeSigningConfig   string            `json:"codeSigningConfig,omitempty"`
	ReservedConcurrency *int32            `json:"reservedConcurrency,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	// KMSKeyArn encrypts the environment with a customer managed key.
	KMSKeyArn string `json:"kmsKeyArn,omitempty"`
	// Versions are the published versions, 1, 2, ... in order.
	Versions []VersionWorld `json:"versions,omitempty"`
	Aliases  []AliasWorld   `json:"aliases,omitempty"`
	// Permissions is the resource-based policy, each statement on the
	// function, a version or an alias.
	Permissions []PermissionWorld `json:"permissions,omitempty"`
	// URLs are function URL configs of the function or its aliases.
	URLs []URLWorld `json:"urls,omitempty"`
	// RecursiveLoop is Allow or Terminate (Lambda's default).
	RecursiveLoop string `json:"recursiveLoop,omitempty"`
}

// VersionWorld is a published version: the function's configuration with
// its own code (the function's if none is given) and description.
type VersionWorld struct {
	CodeWorld
	Description string `json:"description,omitempty"`
}

// AliasWorld is an alias.
type AliasWorld struct {
	Name                     string             `json:"name"`
	FunctionVersion          string             `json:"functionVersion"`
	Description              string             `json:"description,omitempty"`
	AdditionalVersionWeights map[string]float64 `json:"additionalVersionWeights,omitempty"`
}

// LoadWorld replaces the Lambda state with a world's. On error the state is
// left as it was.
func (s *Service) LoadWorld(w World) error {
	_, err := s.ReplaceWorld(w)
	return err
}

// ReplaceWorld is LoadWorld that also returns undo, which puts back the
// state as it was before the load: the very same functions, revision ids
// and in-flight updates, which a dump would not keep. The emulator uses it
// to load a world all or nothing when a later section is rejected.
func (s *Service) ReplaceWorld(w World) (undo func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.state()
	// reset makes new maps, so before keeps the old ones untouched.
	s.reset()
	if err := s.loadWorld(w); err != nil {
		s.restore(before)
		return nil, fmt.Errorf("lambda world: %w", err)
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.restore(before)
	}, nil
}

// state is everything a world load replaces.
type state struct {
	functions            map[string]*function
	cscs                 map[string]*codeSigningConfig
	layers               map[string]*layer
	profiles             map[string]*signingProfile
	jobs                 map[string]*signingJob
	s3                   map[string][]byte
	updateDelay          time.Duration
	mappings             map[string]*mapping
	mappingSeq           int64
	quotas               Quotas
	getBucket, ctlBucket *awsproto.Bucket
	policyBkt            *awsproto.Bucket
}

func (s *Service) state() state {
	return state{functions: s.functions, cscs: s.cscs, layers: s.layers, profiles: s.profiles, jobs: s.jobs, s3: s.s3,
		mappings: s.mappings, mappingSeq: s.mappingSeq, updateDelay: s.updateDelay, quotas: s.quotas,
		getBucket: s.getBucket, ctlBucket: s.ctlBucket, policyBkt: s.policyBkt}
}

func (s *Service) restore(st state) {
	s.functions, s.cscs, s.layers, s.profiles, s.jobs, s.s3 = st.functions, st.cscs, st.layers, st.profiles, st.jobs, st.s3
	s.mappings, s.mappingSeq = st.mappings, st.mappingSeq
	s.updateDelay, s.quotas, s.getBucket, s.ctlBucket, s.policyBkt = st.updateDelay, st.quotas, st.getBucket, st.ctlBucket, st.policyBkt
}

func (s *Service) loadWorld(w World) error {
	now := s.env.Clock.Now()
	if w.UpdateDelayMs != nil {
		if *w.UpdateDelayMs < 0 {
			return fmt.Errorf("updateDelayMs %d is negative", *w.UpdateDelayMs)
		}
		s.updateDelay = time.Duration(*w.UpdateDelayMs) * time.Millisecond
	}
	q := Quotas{GetFunctionPerSecond: DefaultGetFunctionPerSecond, ControlPlanePerSecond: DefaultControlPlanePerSecond}
	if w.Quotas != nil {
		if err := w.Quotas.valid(); err != nil {
			return err
		}
		q = *w.Quotas
	}
	s.setQuotas(q)
	for i, pw := range w.SigningProfiles {
		if err := s.loadProfile(pw); err != nil {
			return fmt.Errorf("signingProfiles[%d]: %w", i, err)
		}
	}
	for i, o := range w.S3Objects {
		if o.Bucket == "" || o.Key == "" {
			return fmt.Errorf("s3Objects[%d]: bucket and key are required", i)
		}
		s.s3[o.Bucket+"/"+o.Key] = o.Data
	}
	for i, cw := range w.CodeSigningConfigs {
		if err := s.loadCSC(cw, now); err != nil {
			return fmt.Errorf("codeSigningConfigs[%d]: %w", i, err)
		}
	}
	for i, lw := range w.Layers {
		if err := s.loadLayer(lw, now); err != nil {
			return fmt.Errorf("layers[%d] %q: %w", i, lw.Name, err)
		}
	}
	s.kmsKeys = kmsKeysOf(w.KMSKeys)
	for i, fw := range w.Functions {
		if err := s.loadFunction(fw, now); err != nil {
			return fmt.Errorf("functions[%d] %q: %w", i, fw.Name, err)
		}
	}
	for i, mw := range w.EventSourceMappings {
		if err := s.loadMapping(mw, now); err != nil {
			return fmt.Errorf("eventSourceMappings[%d]: %w", i, err)
		}
	}
	return nil
}

func (s *Service) loadProfile(pw ProfileWorld) error {
	if s.profiles[pw.Name] != nil {
		return fmt.Errorf("signing profile %q is defined twice", pw.Name)
	}
	var validity time.Duration
	if pw.SignatureValidity != "" {
		d, err := time.ParseDuration(pw.SignatureValidity)
		if err != nil || d <= 0 {
			return fmt.Errorf("signing profile %q: signatureValidity %q: want a positive Go duration", pw.Name, pw.SignatureValidity)
		}
		validity = d
	}
	if len(pw.Key) != 0 && len(pw.Key) != 32 {
		return fmt.Errorf("signing profile %q: key must be 32 bytes", pw.Name)
	}
	p, err := s.newProfile(pw.Name, pw.Version, validity, pw.Key)
	if err != nil {
		return err
	}
	p.Tags = copyTags(pw.Tags)
	revocation := pw.RevocationEffectiveFrom != nil || pw.RevocationReason != "" || pw.RevokedBy != ""
	switch pw.Status {
	case "", ProfileActive, ProfileCanceled:
		if revocation {
			return fmt.Errorf("signing profile %q: revocation fields need status Revoked", pw.Name)
		}
		p.Canceled = pw.Status == ProfileCanceled
	case ProfileRevoked:
		p.Revoked, p.RevokedAt, p.RevokeReason, p.RevokedBy = true, s.env.Clock.Now(), pw.RevocationReason, pw.RevokedBy
		if pw.RevocationEffectiveFrom != nil {
			p.RevokedFrom = *pw.RevocationEffectiveFrom
		}
	default:
		return fmt.Errorf("signing profile %q: status %q: want Active, Canceled or Revoked", pw.Name, pw.Status)
	}
	s.profiles[p.Name] = p
	return nil
}

func (s *Service) loadCSC(cw CSCWorld, now time.Time) error {
	id := cw.ID
	if id == "" {
		id = newCSCID()
	}
	if !cscIDRE.MatchString(id) {
		return fmt.Errorf("id %q: want csc- and 17 letters or digits", id)
	}
	if s.cscs[s.cscARN(id)] != nil {
		return fmt.Errorf("id %q is used twice", id)
	}
	policy := cw.UntrustedArtifactOnDeployment
	if policy == "" {
		policy = PolicyWarn
	}
	allowed := make([]string, 0, len(cw.AllowedPublishers))
	for _, a := range cw.AllowedPublishers {
		if p := s.profiles[a]; p != nil {
			a = p.Arn
		}
		allowed = append(allowed, a)
	}
	if err := validateCSC(allowed, policy); err != nil {
		return fmt.Errorf("%s (allowedPublishers takes signing profile names of this world or version ARNs)", err.Message)
	}
	s.cscs[s.cscARN(id)] = &codeSigningConfig{ID: id, Arn: s.cscARN(id), Description: cw.Description, Allowed: allowed,
		Policy: policy, LastModified: now}
	return nil
}

// code builds a package from a CodeWorld; fallback names the default.
func (s *Service) code(cw CodeWorld, fallback string, now time.Time) (codeInfo, error) {
	zip := cw.Zip
	switch {
	case len(cw.Zip) > 0 && len(cw.Files) > 0:
		return codeInfo{}, fmt.Errorf("give zip or files, not both")
	case len(cw.Files) > 0:
		zip = ZipOf(cw.Files)
	case len(zip) == 0:
		zip = ZipOf(map[string]string{"bootstrap": "#!/bin/sh\n# " + fallback + "\n"})
	}
	if _, err := readZip(zip); err != nil {
		return codeInfo{}, fmt.Errorf("zip: %w", err)
	}
	if cw.SignedBy != "" {
		if s.profiles[cw.SignedBy] == nil {
			return codeInfo{}, fmt.Errorf("signedBy %q: no such signing profile in the world", cw.SignedBy)
		}
		signed, _, err := s.sign(cw.SignedBy, zip, now)
		if err != nil {
			return codeInfo{}, err
		}
		zip = signed
	}
	return newZipCode(zip), nil
}

func (s *Service) loadLayer(lw LayerWorld, now time.Time) error {
	account := lw.Account
	if account == "" {
		account = s.env.Account
	}
	if !layerNameRE.MatchString(lw.Name) {
		return fmt.Errorf("name: want 1 to 140 letters, digits, - or _")
	}
	if len(account) != 12 {
		return fmt.Errorf("account %q: want 12 digits", account)
	}
	if l := s.layers[s.layerARN(account, lw.Name)]; l != nil && lw.Version != 0 && l.version(lw.Version) != nil {
		return fmt.Errorf("version %d is defined twice", lw.Version)
	}
	code, err := s.code(lw.CodeWorld, "layer "+lw.Name, now)
	if err != nil {
		return err
	}
	v := &layerVersion{Number: lw.Version, Code: s.layerSigning(code, now),
		Description: lw.Description, CompatibleRuntimes: lw.CompatibleRuntimes,
		CompatibleArchitectures: lw.CompatibleArchitectures, Created: now}
	s.addLayerVersion(account, lw.Name, v)
	if len(lw.Permissions) > 0 && account != s.env.Account {
		return fmt.Errorf("permissions: only this account's layers take permissions here")
	}
	return s.loadLayerPermissions(account, lw.Name, v.Number, lw.Permissions)
}

func (s *Service) loadFunction(fw FunctionWorld, now time.Time) error {
	if !functionNameRE.MatchString(fw.Name) {
		return fmt.Errorf("name: want 1 to 64 letters, digits, - or _")
	}
	if s.functions[fw.Name] != nil {
		return fmt.Errorf("defined twice")
	}
	cfg := config{Runtime: fw.Runtime, Handler: fw.Handler, Role: fw.Role, Description: fw.Description,
		PackageType: fw.PackageType, Timeout: fw.Timeout, MemorySize: fw.MemorySize, Env: fw.Environment,
		Architectures: []string{"x86_64"}, KMSKeyArn: fw.KMSKeyArn}
	if cfg.PackageType == "" {
		cfg.PackageType = packageZip
	}
	if cfg.Role == "" {
		cfg.Role = fmt.Sprintf("arn:aws:iam::%s:role/%s-role", s.env.Account, fw.Name)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 3
	}
	if cfg.MemorySize == 0 {
		cfg.MemorySize = 128
	}
	cscArn := ""
	if fw.CodeSigningConfig != "" {
		c := s.csc(fw.CodeSigningConfig)
		if c == nil {
			return fmt.Errorf("codeSigningConfig %q: no such CSC in the world", fw.CodeSigningConfig)
		}
		cscArn = c.Arn
	}
	var mkCode func(CodeWorld) (codeInfo, error)
	switch cfg.PackageType {
	case packageImage:
		if fw.ImageURI == "" || len(fw.Zip) > 0 || len(fw.Files) > 0 || fw.SignedBy != "" {
			return fmt.Errorf("an Image function needs imageUri and no zip, files or signedBy")
		}
		if cscArn != "" {
			return fmt.Errorf("an Image function cannot have a code signing config")
		}
		if len(fw.Layers) > 0 {
			return fmt.Errorf("an Image function cannot have layers")
		}
		mkCode = func(CodeWorld) (codeInfo, error) { return newImageCode(fw.ImageURI), nil }
	case packageZip:
		if fw.ImageURI != "" {
			return fmt.Errorf("imageUri needs packageType Image")
		}
		if cfg.Runtime == "" {
			cfg.Runtime = "provided.al2023"
		}
		if cfg.Handler == "" {
			cfg.Handler = "bootstrap"
		}
		mkCode = func(cw CodeWorld) (codeInfo, error) {
			c, err := s.code(cw, fw.Name, now)
			if err != nil {
				return c, err
			}
			return s.recordTrusted(cscArn, c, now), nil
		}
	default:
		return fmt.Errorf("packageType %q: want Zip or Image", cfg.PackageType)
	}
	for _, a := range fw.Layers {
		lv := s.layerVersionByARN(a)
		if lv == nil {
			return fmt.Errorf("layer %q: no such layer version in the world", a)
		}
		ref := layerRef{Arn: a, CodeSize: lv.Code.Size}
		if c := s.cscs[cscArn]; c != nil {
			if chk := s.verify(lv.Code.Zip, now); chk.Verdict == sigValid && contains(c.Allowed, chk.ProfileVersionArn) {
				ref.SigningProfileVersionArn, ref.SigningJobArn = chk.ProfileVersionArn, chk.SigningJobArn
			}
		}
		cfg.Layers = append(cfg.Layers, ref)
	}
	f := &function{Name: fw.Name, Aliases: map[string]*alias{}, CSCArn: cscArn, Tags: fw.Tags, NextVersion: 1,
		Reserved: fw.ReservedConcurrency}
	if fw.ReservedConcurrency != nil && *fw.ReservedConcurrency < 0 {
		return fmt.Errorf("reservedConcurrency cannot be negative")
	}
	for i, vw := range fw.Versions {
		cw := vw.CodeWorld
		if len(cw.Zip) == 0 && len(cw.Files) == 0 && cw.SignedBy == "" {
			cw = fw.CodeWorld
		}
		code, err := mkCode(cw)
		if err != nil {
			return fmt.Errorf("versions[%d]: %w", i, err)
		}
		vc := cfg.clone()
		vc.Code = code
		if vw.Description != "" {
			vc.Description = vw.Description
		}
		f.Versions = append(f.Versions, &version{Number: strconv.Itoa(i + 1), Config: vc, RevisionID: awsproto.NewID(), LastModified: now})
	}
	f.NextVersion = len(f.Versions) + 1
	code, err := mkCode(fw.CodeWorld)
	if err != nil {
		return err
	}
	cfg.Code = code
	f.Latest = &version{Number: latest, Config: cfg, RevisionID: awsproto.NewID(), LastModified: now}
	for i, aw := range fw.Aliases {
		if !aliasNameRE.MatchString(aw.Name) || digitsRE.MatchString(aw.Name) {
			return fmt.Errorf("aliases[%d]: name %q is not a valid alias name", i, aw.Name)
		}
		if f.Aliases[aw.Name] != nil {
			return fmt.Errorf("aliases[%d]: %q is defined twice", i, aw.Name)
		}
		if err := s.checkAliasTarget(f, aw.FunctionVersion, aw.AdditionalVersionWeights); err != nil {
			return fmt.Errorf("aliases[%d] %q: %s", i, aw.Name, err.Message)
		}
		f.Aliases[aw.Name] = &alias{Name: aw.Name, FunctionVersion: aw.FunctionVersion, Description: aw.Description,
			Weights: aw.AdditionalVersionWeights, RevisionID: awsproto.NewID()}
	}
	if err := s.loadExposure(f, fw, now); err != nil {
		return err
	}
	s.functions[f.Name] = f
	return nil
}

// recordTrusted sets the signing fields of code a CSC trusts.
func (s *Service) recordTrusted(cscArn string, c codeInfo, now time.Time) codeInfo {
	csc := s.cscs[cscArn]
	if csc == nil {
		return c
	}
	if chk := s.verify(c.Zip, now); chk.Verdict == sigValid && contains(csc.Allowed, chk.ProfileVersionArn) {
		c.SigningProfileVersionArn, c.SigningJobArn = chk.ProfileVersionArn, chk.SigningJobArn
	}
	return c
}

// DumpWorld returns the state as a world that loads back to the same
// functions, code, signatures and settings (revision ids are new).
func (s *Service) DumpWorld() World {
	s.mu.Lock()
	defer s.mu.Unlock()
	delay := int(s.updateDelay / time.Millisecond)
	q := s.quotas
	w := World{UpdateDelayMs: &delay, Quotas: &q}
	for _, p := range s.profiles {
		pw := ProfileWorld{Name: p.Name, Version: p.Version, SignatureValidity: p.Validity.String(), Status: p.status(), Key: p.Key,
			Tags: copyTags(p.Tags)}
		if p.Revoked {
			t := p.RevokedFrom
			pw.RevocationEffectiveFrom, pw.RevocationReason, pw.RevokedBy = &t, p.RevokeReason, p.RevokedBy
		}
		w.SigningProfiles = append(w.SigningProfiles, pw)
	}
	sort.Slice(w.SigningProfiles, func(i, j int) bool { return w.SigningProfiles[i].Name < w.SigningProfiles[j].Name })
	for _, c := range s.cscs {
		w.CodeSigningConfigs = append(w.CodeSigningConfigs, CSCWorld{ID: c.ID, Description: c.Description,
			AllowedPublishers: append([]string(nil), c.Allowed...), UntrustedArtifactOnDeployment: c.Policy})
	}
	sort.Slice(w.CodeSigningConfigs, func(i, j int) bool { return w.CodeSigningConfigs[i].ID < w.CodeSigningConfigs[j].ID })
	for k, data := range s.s3 {
		i := strings.IndexByte(k, '/')
		w.S3Objects = append(w.S3Objects, S3ObjectWorld{Bucket: k[:i], Key: k[i+1:], Data: data})
	}
	sort.Slice(w.S3Objects, func(i, j int) bool {
		return w.S3Objects[i].Bucket+"/"+w.S3Objects[i].Key < w.S3Objects[j].Bucket+"/"+w.S3Objects[j].Key
	})
	for _, l := range s.layers {
		for _, v := range l.Versions {
			w.Layers = append(w.Layers, LayerWorld{Name: l.Name, Account: l.Account, Version: v.Number,
				CodeWorld: CodeWorld{Zip: v.Code.Zip}, Description: v.Description, CompatibleRuntimes: v.CompatibleRuntimes,
				CompatibleArchitectures: v.CompatibleArchitectures, Permissions: dumpLayerPermissions(v)})
		}
	}
	sort.Slice(w.Layers, func(i, j int) bool {
		a, b := w.Layers[i], w.Layers[j]
		if a.Account+a.Name != b.Account+b.Name {
			return a.Account+a.Name < b.Account+b.Name
		}
		return a.Version < b.Version
	})
	for _, f := range s.functions {
		w.Functions = append(w.Functions, s.dumpFunction(f))
	}
	sort.Slice(w.Functions, func(i, j int) bool { return w.Functions[i].Name < w.Functions[j].Name })
	s.settleMappings(s.env.Clock.Now())
	if ms := s.dumpMappings(); len(ms) > 0 {
		w.EventSourceMappings = ms
	}
	return w
}

func (s *Service) dumpFunction(f *function) FunctionWorld {
	c := f.Latest.Config
	fw := FunctionWorld{Name: f.Name, Runtime: c.Runtime, Handler: c.Handler, Role: c.Role, PackageType: c.PackageType,
		Description: c.Description, Timeout: c.Timeout, MemorySize: c.MemorySize, Environment: c.Env,
		ReservedConcurrency: f.Reserved, Tags: f.Tags}
	if c.PackageType == packageImage {
		fw.ImageURI = c.Code.ImageURI
	} else {
		fw.Zip = c.Code.Zip
	}
	for _, l := range c.Layers {
		fw.Layers = append(fw.Layers, l.Arn)
	}
	if csc := s.cscs[f.CSCArn]; csc != nil {
		fw.CodeSigningConfig = csc.ID
	}
	for _, v := range f.Versions {
		vw := VersionWorld{Description: v.Config.Description}
		if c.PackageType != packageImage {
			vw.Zip = v.Config.Code.Zip
		}
		fw.Versions = append(fw.Versions, vw)
	}
	names := make([]string, 0, len(f.Aliases))
	for n := range f.Aliases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := f.Aliases[n]
		fw.Aliases = append(fw.Aliases, AliasWorld{Name: a.Name, FunctionVersion: a.FunctionVersion,
			Description: a.Description, AdditionalVersionWeights: a.Weights})
	}
	dumpExposure(f, &fw)
	return fw
}
