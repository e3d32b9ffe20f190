package observe

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

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
	// ListVersions lists every published version too, for the verdicts
	// that take the versions before one (decide.Verdicts), without making
	// the read a full judgement (Signer is asked only what the decision uses).
	ListVersions bool
	// Published reads these published versions with GetFunction: the
	// version a publish event names (GetFunction has its own quota).
	Published []string
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

// ScopePublished serves an event that published a version: ScopeCode and
// that version.
func ScopePublished(version string) Scope {
	s := ScopeCode
	s.Published = []string{version}
	return s
}

// API is the part of the Lambda client the Reader uses.
type API interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionCodeSigningConfig(ctx context.Context, in *lambda.GetFunctionCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionCodeSigningConfigOutput, error)
	GetCodeSigningConfig(ctx context.Context, in *lambda.GetCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetCodeSigningConfigOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, optFns ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, optFns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, optFns ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
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
// A function that does not exist gives an error matching snapshot.ErrNotFound.
func (r *Reader) Read(ctx context.Context, name string, scope Scope) (snapshot.Snapshot, error) {
	return r.read(ctx, snapshot.Snapshot{Name: snapshot.FunctionName(name), Versions: map[string]snapshot.Code{}}, scope)
}

// read reads what scope asks for into s.
func (r *Reader) read(ctx context.Context, s snapshot.Snapshot, scope Scope) (snapshot.Snapshot, error) {
	if scope.Latest {
		if err := r.readLatest(ctx, &s); err != nil {
			return s, err
		}
	}
	if scope.CodeSigning && s.PackageType != snapshot.PackageImage {
		if err := r.readCSC(ctx, &s, scope); err != nil {
			return s, err
		}
	}
	if scope.Versions || scope.ListVersions {
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
	for _, v := range scope.Published {
		if err := r.readVersion(ctx, &s, v); err != nil {
			return s, err
		}
	}
	if err := r.readRoutes(ctx, &s); err != nil {
		return s, err
	}
	return s, nil
}

// readRoutes reads the versions the snapshot's aliases route to.
func (r *Reader) readRoutes(ctx context.Context, s *snapshot.Snapshot) error {
	for _, a := range s.Aliases {
		for _, rt := range a.Routes() {
			if err := r.readVersion(ctx, s, rt.Version); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadAliases lists every alias of the function into s, and reads the
// versions they route to: whether a version is routed decides whether it
// may be deleted.
func (r *Reader) ReadAliases(ctx context.Context, s *snapshot.Snapshot) error {
	if s.AliasesRead {
		return nil
	}
	s.Aliases = nil
	if err := r.listAliases(ctx, s); err != nil {
		return err
	}
	return r.readRoutes(ctx, s)
}

// ReadCSC reads a code signing config by ARN into s.ConfigsRead: the one
// an event attached, which may not be attached any more. A config that no
// longer exists is left out.
func (r *Reader) ReadCSC(ctx context.Context, s *snapshot.Snapshot, arn string) error {
	if _, ok := s.ConfigsRead[arn]; ok || arn == "" {
		return nil
	}
	c, err := r.api.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return nil
	case err != nil:
		return fmt.Errorf("get code signing config %s: %w", arn, err)
	}
	if s.ConfigsRead == nil {
		s.ConfigsRead = map[string]snapshot.CodeSigningConfig{}
	}
	s.ConfigsRead[arn] = *cscOf(arn, c.CodeSigningConfig)
	return nil
}

func (r *Reader) readLatest(ctx context.Context, s *snapshot.Snapshot) error {
	out, err := r.api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(s.Name)})
	if err != nil {
		return r.wrap(s.Name, "get function", err)
	}
	if out.Configuration == nil {
		return fmt.Errorf("get function %s: response without configuration", s.Name)
	}
	s.Latest = CodeOf(*out.Configuration)
	s.LatestRead = true
	s.ARN = aws.ToString(out.Configuration.FunctionArn)
	s.Account = lambdaarn.Account(s.ARN)
	s.PackageType = s.Latest.PackageType
	if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
		n := *out.Concurrency.ReservedConcurrentExecutions
		s.ReservedConcurrency = &n
	}
	return nil
}

func (r *Reader) readCSC(ctx context.Context, s *snapshot.Snapshot, scope Scope) error {
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
		s.CSC = &snapshot.CodeSigningConfig{ARN: arn, PolicyNotRead: true}
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
	s.CSC = cscOf(arn, c.CodeSigningConfig)
	return nil
}

// cscOf keeps what the rules judge of a code signing config; a policy not
// given is Lambda's default, Warn.
func cscOf(arn string, cfg *types.CodeSigningConfig) *snapshot.CodeSigningConfig {
	csc := &snapshot.CodeSigningConfig{ARN: arn}
	if cfg != nil {
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
	return csc
}

func (r *Reader) readAlias(ctx context.Context, s *snapshot.Snapshot, name string) error {
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
		s.Account = lambdaarn.Account(aws.ToString(out.AliasArn))
	}
	return nil
}

func (r *Reader) listAliases(ctx context.Context, s *snapshot.Snapshot) error {
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
func (r *Reader) readVersion(ctx context.Context, s *snapshot.Snapshot, v string) error {
	if v == snapshot.Latest || v == "" {
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
		c := CodeOf(*out.Configuration)
		s.Versions[v] = c
		if s.PackageType == "" {
			s.PackageType = c.PackageType
		}
		if s.Account == "" {
			s.Account = lambdaarn.Account(aws.ToString(out.Configuration.FunctionArn))
		}
	}
	return nil
}

// ReadVersions lists every published version of the function into s, for a
// restore or alias repair that needs a target.
func (r *Reader) ReadVersions(ctx context.Context, s *snapshot.Snapshot) error {
	if s.Versions == nil {
		s.Versions = map[string]snapshot.Code{}
	}
	p := lambda.NewListVersionsByFunctionPaginator(r.api, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(s.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r.wrap(s.Name, "list versions", err)
		}
		for _, fc := range page.Versions {
			c := CodeOf(fc)
			if c.Version == snapshot.Latest || c.Version == "" {
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
		return fmt.Errorf("%s: %w", what, &snapshot.NotFoundError{Function: name})
	}
	return fmt.Errorf("%s %s: %w", what, name, err)
}

// CodeOf reads one version's code, signature and layers from its
// configuration as Lambda returns it.
func CodeOf(fc types.FunctionConfiguration) snapshot.Code {
	c := snapshot.Code{
		Version:                  aws.ToString(fc.Version),
		RevisionID:               aws.ToString(fc.RevisionId),
		CodeSha256:               aws.ToString(fc.CodeSha256),
		PackageType:              string(fc.PackageType),
		SigningProfileVersionARN: aws.ToString(fc.SigningProfileVersionArn),
		SigningJobARN:            aws.ToString(fc.SigningJobArn),
		LastUpdateStatus:         string(fc.LastUpdateStatus),
		State:                    string(fc.State),
		LastModified:             aws.ToString(fc.LastModified),
		Role:                     aws.ToString(fc.Role),
	}
	configurationOf(&c, fc)
	if c.PackageType == "" {
		c.PackageType = snapshot.PackageZip
	}
	for _, l := range fc.Layers {
		c.Layers = append(c.Layers, snapshot.Layer{
			ARN:                      aws.ToString(l.Arn),
			SigningProfileVersionARN: aws.ToString(l.SigningProfileVersionArn),
			SigningJobARN:            aws.ToString(l.SigningJobArn),
			CodeSize:                 l.CodeSize,
		})
	}
	return c
}

func aliasOf(arn, name, version, rev *string, rc *types.AliasRoutingConfiguration) snapshot.Alias {
	a := snapshot.Alias{
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
