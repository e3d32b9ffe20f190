package functionstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Latest is the qualifier of a function's unpublished, mutable version.
const Latest = "$LATEST"

// Package types, as Lambda names them.
const (
	PackageZip   = string(types.PackageTypeZip)
	PackageImage = string(types.PackageTypeImage)
)

// Snapshot is what the guard knows about one function at one moment. Only
// the parts its Scope asked for are filled; the *Read flags say which.
type Snapshot struct {
	Name    string
	ARN     string
	Account string
	// PackageType is "Zip" or "Image".
	PackageType string
	// Latest is $LATEST; LatestRead says it was read.
	Latest     Code
	LatestRead bool
	// CSC is the attached code signing config, nil when there is none;
	// CSCRead says the attachment was read.
	CSC     *CodeSigningConfig
	CSCRead bool
	// ReservedConcurrency is the function's reserved concurrency, nil when
	// none is set (or $LATEST was not read).
	ReservedConcurrency *int32
	// Aliases are the aliases read; AliasesRead says the list is complete.
	Aliases     []Alias
	AliasesRead bool
	// Versions holds the published versions read, by version number: those
	// aliases route to, and all of them once VersionsListed.
	Versions       map[string]Code
	VersionsListed bool
}

// Code is one version of a function: its code, signature and layers.
type Code struct {
	Version     string
	RevisionID  string
	CodeSha256  string
	PackageType string
	// SigningProfileVersionARN and SigningJobARN are empty when Lambda
	// verified no signature (no code signing config at deploy time).
	SigningProfileVersionARN string
	SigningJobARN            string
	Layers                   []Layer
	LastUpdateStatus         string
	State                    string
}

// Layer is a layer version attached to a function version.
type Layer struct {
	ARN                      string
	SigningProfileVersionARN string
	SigningJobARN            string
	CodeSize                 int64
}

// Account returns the account that owns the layer, from its ARN.
func (l Layer) Account() string { return ARNAccount(l.ARN) }

// CodeSigningConfig is a code signing config as it bears on one function.
type CodeSigningConfig struct {
	ARN string
	// AllowedPublishers are signing profile version ARNs.
	AllowedPublishers []string
	// UntrustedArtifactOnDeployment is "Warn" or "Enforce".
	UntrustedArtifactOnDeployment string
	// PolicyNotRead says only the attachment was read: this is the
	// Reader's ConfiguredCSC and the scope did not ask for its policy, so
	// AllowedPublishers and UntrustedArtifactOnDeployment are unknown (empty)
	// and must not be judged. See Reader.ConfiguredCSC for why that is sound.
	PolicyNotRead bool
}

// Enforced reports whether Lambda rejects untrusted code on deploy.
func (c CodeSigningConfig) Enforced() bool {
	return c.UntrustedArtifactOnDeployment == string(types.CodeSigningPolicyEnforce)
}

// Alias is a function alias and its routing.
type Alias struct {
	Name            string
	ARN             string
	FunctionVersion string
	RevisionID      string
	// AdditionalWeights maps a version to the share of traffic it gets
	// (0..1); the primary version gets the rest.
	AdditionalWeights map[string]float64
}

// Route is one version an alias sends traffic to, with its share.
type Route struct {
	Version string
	Weight  float64
}

// Routes returns the versions the alias routes to, primary first, then the
// additional versions in version order.
func (a Alias) Routes() []Route {
	rest := 1.0
	var extra []Route
	for v, w := range a.AdditionalWeights {
		rest -= w
		extra = append(extra, Route{Version: v, Weight: w})
	}
	sortRoutes(extra)
	return append([]Route{{Version: a.FunctionVersion, Weight: rest}}, extra...)
}

func sortRoutes(rs []Route) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && VersionLess(rs[j].Version, rs[j-1].Version); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// VersionLess orders published version numbers numerically ("9" < "10");
// $LATEST and anything not numeric sorts last.
func VersionLess(a, b string) bool {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return na < nb
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}

// Scope says what a read covers.
type Scope struct {
	// Latest reads $LATEST with GetFunction.
	Latest bool
	// CodeSigning reads the attached code signing config.
	CodeSigning bool
	// CodeSigningPolicy reads the attached config's policy even when it is
	// the Reader's ConfiguredCSC; other configs' policies are always read.
	CodeSigningPolicy bool
	// Aliases reads these aliases with GetAlias, and the versions they route to.
	Aliases []string
	// AllAliases lists every alias, and reads the versions they route to.
	AllAliases bool
	// Versions lists every published version.
	Versions bool
}

// The scopes of the event types; see the package doc for what each costs.
var (
	// ScopeCode serves events that change $LATEST or its code signing
	// attachment; the configured CSC's policy is not read (Reader.ConfiguredCSC).
	ScopeCode = Scope{Latest: true, CodeSigning: true}
	// ScopeCodeSigningConfig serves an UpdateCodeSigningConfig event for
	// each function using the config: the policy is what changed, so it is
	// read even for the configured CSC.
	ScopeCodeSigningConfig = Scope{Latest: true, CodeSigning: true, CodeSigningPolicy: true}
	// ScopeFull serves the scheduled sweep.
	ScopeFull = Scope{Latest: true, CodeSigning: true, CodeSigningPolicy: true, AllAliases: true, Versions: true}
)

// ScopeAlias serves an event that created or moved one alias.
func ScopeAlias(name string) Scope { return Scope{Aliases: []string{name}} }

// ErrNotFound means the function does not exist (any more): nothing to do.
var ErrNotFound = errors.New("function not found")

// NotFoundError says which function was not found; it matches ErrNotFound.
type NotFoundError struct{ Function string }

func (e *NotFoundError) Error() string { return "function " + e.Function + " not found" }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// API is the part of the Lambda client the Reader uses.
type API interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionCodeSigningConfig(ctx context.Context, in *lambda.GetFunctionCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionCodeSigningConfigOutput, error)
	GetCodeSigningConfig(ctx context.Context, in *lambda.GetCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetCodeSigningConfigOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, optFns ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, optFns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, optFns ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
}

// Permissions are the IAM actions the Reader needs.
var Permissions = []string{
	"lambda:GetFunction",
	"lambda:GetFunctionCodeSigningConfig",
	"lambda:GetCodeSigningConfig",
	"lambda:GetAlias",
	"lambda:ListAliases",
	"lambda:ListVersionsByFunction",
}

// Reader reads snapshots.
type Reader struct {
	api API
	// ConfiguredCSC is the code signing config the guard itself attaches
	// (settings.CodeSigningConfigARN). When a function has it attached and
	// the scope does not ask for CodeSigningPolicy, its policy is not read
	// (one GetCodeSigningConfig fewer on the shared 15/s bucket per code
	// event). That is sound because:
	//   - the policy of a config changes only through UpdateCodeSigningConfig,
	//     and Lambda refuses DeleteCodeSigningConfig while a function uses
	//     it, so an attached configured CSC exists;
	//   - an UpdateCodeSigningConfig event reaches the Lambda guard, which
	//     reads every function using that config with ScopeCodeSigningConfig,
	//     policy included, so a weakened configured CSC is flagged on the
	//     event that weakened it; the sweep (ScopeFull and its own listing of
	//     configs) flags it if that event was lost;
	//   - the policy never decides whether code is trusted: signed or not is
	//     judged from the version's own signing fields against the guard's
	//     trusted profiles, and no action is planned for the configured CSC's
	//     policy (the guard cannot attach anything better), so skipping it on
	//     a code event loses a repeated flag and no action.
	ConfiguredCSC string
}

// NewReader returns a Reader that reads through api.
func NewReader(api API) *Reader { return &Reader{api: api} }

// Read reads what scope asks for about the function name (a name or ARN).
// A function that does not exist gives an error matching ErrNotFound.
func (r *Reader) Read(ctx context.Context, name string, scope Scope) (Snapshot, error) {
	s := Snapshot{Name: FunctionName(name), Versions: map[string]Code{}}
	if scope.Latest {
		if err := r.readLatest(ctx, &s); err != nil {
			return s, err
		}
	}
	if scope.CodeSigning && s.PackageType != PackageImage {
		if err := r.readCSC(ctx, &s, scope); err != nil {
			return s, err
		}
	}
	if scope.Versions {
		if err := r.ReadVersions(ctx, &s); err != nil {
			return s, err
		}
	}
	switch {
	case scope.AllAliases:
		if err := r.listAliases(ctx, &s); err != nil {
			return s, err
		}
	default:
		for _, a := range scope.Aliases {
			if err := r.readAlias(ctx, &s, a); err != nil {
				return s, err
			}
		}
	}
	for _, a := range s.Aliases {
		for _, rt := range a.Routes() {
			if err := r.readVersion(ctx, &s, rt.Version); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

func (r *Reader) readLatest(ctx context.Context, s *Snapshot) error {
	out, err := r.api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(s.Name)})
	if err != nil {
		return r.wrap(s.Name, "get function", err)
	}
	if out.Configuration == nil {
		return fmt.Errorf("get function %s: response without configuration", s.Name)
	}
	s.Latest = codeOf(*out.Configuration)
	s.LatestRead = true
	s.ARN = aws.ToString(out.Configuration.FunctionArn)
	s.Account = ARNAccount(s.ARN)
	s.PackageType = s.Latest.PackageType
	if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
		n := *out.Concurrency.ReservedConcurrentExecutions
		s.ReservedConcurrency = &n
	}
	return nil
}

func (r *Reader) readCSC(ctx context.Context, s *Snapshot, scope Scope) error {
	out, err := r.api.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(s.Name)})
	if err != nil {
		return r.wrap(s.Name, "get function code signing config", err)
	}
	s.CSCRead = true
	arn := aws.ToString(out.CodeSigningConfigArn)
	if arn == "" {
		return nil
	}
	if arn == r.ConfiguredCSC && !scope.CodeSigningPolicy {
		s.CSC = &CodeSigningConfig{ARN: arn, PolicyNotRead: true}
		return nil
	}
	c, err := r.api.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		// Attached but deleted: Lambda then verifies nothing, as with none.
		return nil
	case err != nil:
		return fmt.Errorf("get code signing config %s: %w", arn, err)
	}
	csc := &CodeSigningConfig{ARN: arn}
	if cfg := c.CodeSigningConfig; cfg != nil {
		if cfg.AllowedPublishers != nil {
			csc.AllowedPublishers = append([]string(nil), cfg.AllowedPublishers.SigningProfileVersionArns...)
		}
		if cfg.CodeSigningPolicies != nil {
			csc.UntrustedArtifactOnDeployment = string(cfg.CodeSigningPolicies.UntrustedArtifactOnDeployment)
		}
	}
	if csc.UntrustedArtifactOnDeployment == "" {
		csc.UntrustedArtifactOnDeployment = string(types.CodeSigningPolicyWarn)
	}
	s.CSC = csc
	return nil
}

func (r *Reader) readAlias(ctx context.Context, s *Snapshot, name string) error {
	out, err := r.api.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(s.Name), Name: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		// The alias (or the function) is gone: nothing of it to judge.
		return nil
	}
	if err != nil {
		return fmt.Errorf("get alias %s:%s: %w", s.Name, name, err)
	}
	s.Aliases = append(s.Aliases, aliasOf(out.AliasArn, out.Name, out.FunctionVersion, out.RevisionId, out.RoutingConfig))
	if s.Account == "" {
		s.Account = ARNAccount(aws.ToString(out.AliasArn))
	}
	return nil
}

func (r *Reader) listAliases(ctx context.Context, s *Snapshot) error {
	p := lambda.NewListAliasesPaginator(r.api, &lambda.ListAliasesInput{FunctionName: aws.String(s.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r.wrap(s.Name, "list aliases", err)
		}
		for _, a := range page.Aliases {
			s.Aliases = append(s.Aliases, aliasOf(a.AliasArn, a.Name, a.FunctionVersion, a.RevisionId, a.RoutingConfig))
		}
	}
	s.AliasesRead = true
	return nil
}

// readVersion reads one published version an alias routes to, unless it is
// known already. GetFunction is used since it draws on its own quota.
func (r *Reader) readVersion(ctx context.Context, s *Snapshot, v string) error {
	if v == Latest || v == "" {
		return nil
	}
	if _, ok := s.Versions[v]; ok {
		return nil
	}
	out, err := r.api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(s.Name), Qualifier: aws.String(v)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil // deleted meanwhile; an alias cannot route to it any more
	}
	if err != nil {
		return fmt.Errorf("get function %s:%s: %w", s.Name, v, err)
	}
	if out.Configuration != nil {
		c := codeOf(*out.Configuration)
		s.Versions[v] = c
		if s.PackageType == "" {
			s.PackageType = c.PackageType
		}
		if s.Account == "" {
			s.Account = ARNAccount(aws.ToString(out.Configuration.FunctionArn))
		}
	}
	return nil
}

// ReadVersions lists every published version of the function into s, for a
// restore or alias repair that needs a target.
func (r *Reader) ReadVersions(ctx context.Context, s *Snapshot) error {
	if s.Versions == nil {
		s.Versions = map[string]Code{}
	}
	p := lambda.NewListVersionsByFunctionPaginator(r.api, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(s.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r.wrap(s.Name, "list versions", err)
		}
		for _, fc := range page.Versions {
			c := codeOf(fc)
			if c.Version == Latest || c.Version == "" {
				continue
			}
			s.Versions[c.Version] = c
			if s.PackageType == "" {
				s.PackageType = c.PackageType
			}
		}
	}
	s.VersionsListed = true
	return nil
}

func (r *Reader) wrap(name, what string, err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%s: %w", what, &NotFoundError{Function: name})
	}
	return fmt.Errorf("%s %s: %w", what, name, err)
}

func codeOf(fc types.FunctionConfiguration) Code {
	c := Code{
		Version:                  aws.ToString(fc.Version),
		RevisionID:               aws.ToString(fc.RevisionId),
		CodeSha256:               aws.ToString(fc.CodeSha256),
		PackageType:              string(fc.PackageType),
		SigningProfileVersionARN: aws.ToString(fc.SigningProfileVersionArn),
		SigningJobARN:            aws.ToString(fc.SigningJobArn),
		LastUpdateStatus:         string(fc.LastUpdateStatus),
		State:                    string(fc.State),
	}
	if c.PackageType == "" {
		c.PackageType = PackageZip
	}
	for _, l := range fc.Layers {
		c.Layers = append(c.Layers, Layer{
			ARN:                      aws.ToString(l.Arn),
			SigningProfileVersionARN: aws.ToString(l.SigningProfileVersionArn),
			SigningJobARN:            aws.ToString(l.SigningJobArn),
			CodeSize:                 l.CodeSize,
		})
	}
	return c
}

func aliasOf(arn, name, version, rev *string, rc *types.AliasRoutingConfiguration) Alias {
	a := Alias{
		Name: aws.ToString(name), ARN: aws.ToString(arn),
		FunctionVersion: aws.ToString(version), RevisionID: aws.ToString(rev),
	}
	if rc != nil && len(rc.AdditionalVersionWeights) > 0 {
		a.AdditionalWeights = make(map[string]float64, len(rc.AdditionalVersionWeights))
		for v, w := range rc.AdditionalVersionWeights {
			a.AdditionalWeights[v] = w
		}
	}
	return a
}

// FunctionName returns the bare function name from a name, a partial ARN
// ("123456789012:function:name") or a full ARN, qualified or not.
func FunctionName(s string) string {
	name, _ := SplitFunction(s)
	return name
}

// SplitFunction splits a function reference into the bare name and the
// qualifier (alias or version) it carries, if any: "name:prod",
// "arn:aws:lambda:r:a:function:name:7" and "a:function:name" all work.
func SplitFunction(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			name = parts[i+1]
			if i+2 < len(parts) {
				qualifier = parts[i+2]
			}
			return name, qualifier
		}
	}
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	return s, ""
}

// ARNAccount returns the account field of an ARN, or "".
func ARNAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
