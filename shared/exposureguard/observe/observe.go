package observe

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/lambdaarn"
)

// ErrNotFound means the function, layer version or mapping does not exist
// (any more): nothing to judge.
var ErrNotFound = errors.New("not found")

// API is the part of the Lambda client the Reader uses.
type API interface {
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, optFns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, optFns ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	GetFunctionUrlConfig(ctx context.Context, in *lambda.GetFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
	ListFunctionUrlConfigs(ctx context.Context, in *lambda.ListFunctionUrlConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionUrlConfigsOutput, error)
	GetFunctionRecursionConfig(ctx context.Context, in *lambda.GetFunctionRecursionConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionRecursionConfigOutput, error)
	GetLayerVersionPolicy(ctx context.Context, in *lambda.GetLayerVersionPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error)
	GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, optFns ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
}

// Scope says what of a function to read.
type Scope struct {
	// Qualifiers are the holders whose policy to read: "" for the
	// function, a version number, an alias.
	Qualifiers []string
	// AllQualifiers lists the function's aliases and versions and reads
	// every holder's policy (Qualifiers are read too).
	AllQualifiers bool
	// URL reads the URL of one holder ("" the function's own); AllURLs
	// reads them all.
	URL     *string
	AllURLs bool
	// Recursion reads the recursive loop setting.
	Recursion bool
	// ARN is the function's ARN where Lambda already gave it (the sweep's
	// listing); its account is the function's when none is configured.
	ARN string
}

// Full is everything about a function.
var Full = Scope{Qualifiers: []string{""}, AllQualifiers: true, AllURLs: true, Recursion: true}

// Reader reads snapshots.
type Reader struct {
	API API
	// Account is the account the guard watches; empty learns it from the
	// function ARNs Lambda returns.
	Account string
}

// Function reads one function in a scope.
func (r *Reader) Function(ctx context.Context, name string, scope Scope) (snapshot.Function, error) {
	f := snapshot.Function{Name: name, Account: r.Account}
	r.learn(&f, scope.ARN)
	qualifiers := append([]string(nil), scope.Qualifiers...)
	if scope.AllQualifiers {
		more, err := r.holders(ctx, &f)
		if err != nil {
			return f, err
		}
		qualifiers = append(qualifiers, more...)
	}
	for _, q := range dedupe(qualifiers) {
		if err := r.policy(ctx, &f, q); err != nil {
			return f, err
		}
	}
	var err error
	switch {
	case scope.AllURLs:
		err = r.URLs(ctx, &f)
	case scope.URL != nil:
		err = r.url(ctx, &f, *scope.URL)
	}
	if err != nil {
		return f, err
	}
	if scope.Recursion {
		out, err := r.API.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String(name)})
		if err != nil {
			return f, wrap(err, "get recursion config of "+name)
		}
		f.RecursiveLoop, f.RecursionRead = string(out.RecursiveLoop), true
		if f.RecursiveLoop == "" {
			f.RecursiveLoop = snapshot.RecursionTerminate
		}
	}
	return f, nil
}

// holders lists a function's aliases and published versions.
func (r *Reader) holders(ctx context.Context, f *snapshot.Function) ([]string, error) {
	var out []string
	ap := lambda.NewListAliasesPaginator(r.API, &lambda.ListAliasesInput{FunctionName: aws.String(f.Name)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list aliases of "+f.Name)
		}
		for _, a := range page.Aliases {
			out = append(out, aws.ToString(a.Name))
			r.learn(f, aws.ToString(a.AliasArn))
		}
	}
	vp := lambda.NewListVersionsByFunctionPaginator(r.API, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(f.Name)})
	for vp.HasMorePages() {
		page, err := vp.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list versions of "+f.Name)
		}
		for _, v := range page.Versions {
			r.learn(f, aws.ToString(v.FunctionArn))
			// $LATEST's policy is the function's own.
			if ver := aws.ToString(v.Version); ver != "" && ver != "$LATEST" {
				out = append(out, ver)
			}
		}
	}
	return out, nil
}

// policy reads one holder's policy; a holder without one has none.
func (r *Reader) policy(ctx context.Context, f *snapshot.Function, q string) error {
	in := &lambda.GetPolicyInput{FunctionName: aws.String(f.Name)}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := r.API.GetPolicy(ctx, in)
	f.PolicyQualifiers = append(f.PolicyQualifiers, q)
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get policy of %s: %w", f.Ref(q), err)
	}
	sts, err := snapshot.ParsePolicy(aws.ToString(out.Policy))
	if err != nil {
		return fmt.Errorf("policy of %s: %w", f.Ref(q), err)
	}
	f.Policies = append(f.Policies, snapshot.Policy{Qualifier: q, RevisionID: aws.ToString(out.RevisionId), Statements: sts})
	return nil
}

// URLs reads every function URL of the function (its own and its aliases').
func (r *Reader) URLs(ctx context.Context, f *snapshot.Function) error {
	p := lambda.NewListFunctionUrlConfigsPaginator(r.API, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(f.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return wrap(err, "list function URLs of "+f.Name)
		}
		for _, c := range page.FunctionUrlConfigs {
			f.URLs = append(f.URLs, r.urlOf(f, aws.ToString(c.FunctionArn), aws.ToString(c.FunctionUrl), string(c.AuthType), c.Cors))
		}
	}
	f.URLsRead = true
	return nil
}

func (r *Reader) url(ctx context.Context, f *snapshot.Function, q string) error {
	in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(f.Name)}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := r.API.GetFunctionUrlConfig(ctx, in)
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return fmt.Errorf("get function URL of %s: %w", f.Ref(q), err)
	default:
		f.URLs = append(f.URLs, r.urlOf(f, aws.ToString(out.FunctionArn), aws.ToString(out.FunctionUrl), string(out.AuthType), out.Cors))
	}
	f.URLsRead = true
	return nil
}

func (r *Reader) urlOf(f *snapshot.Function, arn, url, auth string, c *types.Cors) snapshot.URL {
	r.learn(f, arn)
	_, q := lambdaarn.SplitFunction(arn)
	u := snapshot.URL{Qualifier: q, FunctionARN: arn, URL: url, AuthType: auth}
	if c != nil {
		u.Cors = &snapshot.Cors{AllowCredentials: aws.ToBool(c.AllowCredentials), AllowHeaders: c.AllowHeaders,
			AllowMethods: c.AllowMethods, AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: aws.ToInt32(c.MaxAge)}
	}
	return u
}

// qualified splits a function ARN from its qualifier; compiled on first
// use, not at every cold start.
var qualified = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+)(:.*)?$`)
})

// learn takes the function's ARN and, unless configured, its account from
// an ARN Lambda returned.
func (r *Reader) learn(f *snapshot.Function, arn string) {
	m := qualified().FindStringSubmatch(arn)
	if m == nil || f.ARN != "" {
		return
	}
	f.ARN = m[1]
	if f.Account == "" {
		f.Account = lambdaarn.Account(f.ARN)
	}
}

// Layer reads one layer version's policy. arn is the layer version's ARN
// where known (the listing's, or built from the event), for findings; trust
// is judged from the configured account, else from that ARN. A version
// without a policy has no statements.
func (r *Reader) Layer(ctx context.Context, name string, version int64, arn string) (snapshot.LayerVersion, error) {
	l := snapshot.LayerVersion{Name: name, Version: version, Account: r.Account, ARN: arn}
	if l.Account == "" {
		l.Account = lambdaarn.Account(arn)
	}
	out, err := r.API.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(name), VersionNumber: aws.Int64(version)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return l, nil // no policy (or no such version: nothing shared either way)
	}
	if err != nil {
		return l, fmt.Errorf("get policy of layer %s: %w", l.Ref(), err)
	}
	if l.Statements, err = snapshot.ParsePolicy(aws.ToString(out.Policy)); err != nil {
		return l, fmt.Errorf("policy of layer %s: %w", l.Ref(), err)
	}
	l.RevisionID = aws.ToString(out.RevisionId)
	return l, nil
}

// Mapping reads one event source mapping.
func (r *Reader) Mapping(ctx context.Context, uuid string) (snapshot.Mapping, error) {
	out, err := r.API.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil {
		return snapshot.Mapping{UUID: uuid}, wrap(err, "get event source mapping "+uuid)
	}
	return MappingOf(types.EventSourceMappingConfiguration{
		UUID: out.UUID, EventSourceMappingArn: out.EventSourceMappingArn, FunctionArn: out.FunctionArn,
		EventSourceArn: out.EventSourceArn, State: out.State,
	}), nil
}

// MappingOf keeps what the decision needs of a mapping, as
// GetEventSourceMapping and ListEventSourceMappings describe it.
func MappingOf(c types.EventSourceMappingConfiguration) snapshot.Mapping {
	return snapshot.Mapping{
		UUID: aws.ToString(c.UUID), ARN: aws.ToString(c.EventSourceMappingArn), FunctionARN: aws.ToString(c.FunctionArn),
		EventSourceARN: aws.ToString(c.EventSourceArn), State: aws.ToString(c.State),
	}
}

// wrap marks a ResourceNotFoundException as ErrNotFound.
func wrap(err error, what string) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%s: %w", what, errors.Join(ErrNotFound, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i] == "" && out[j] != "" })
	return out
}
