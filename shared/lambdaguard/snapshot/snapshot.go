package snapshot

import (
	"errors"
	"strconv"

	"github.com/selfguard/selfguard/shared/lambdaarn"
)

// Latest is the qualifier of a function's unpublished, mutable version.
const Latest = "$LATEST"

// Package types and code signing policies, as Lambda names them; spelled
// out so that the decision builds without the AWS SDK.
const (
	PackageZip    = "Zip"
	PackageImage  = "Image"
	PolicyEnforce = "Enforce"
	PolicyWarn    = "Warn"
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
	// Remembered is the version of Versions that came from the guard's
	// memory of the function's newest trusted release (the ledger), not
	// from a read: a restore target known without listing every version,
	// which the action reads again before restoring. "" when none.
	Remembered string
	// ConfigsRead are code signing configs read by ARN besides the
	// attached one: the one an event attached, for the edge rules.
	ConfigsRead map[string]CodeSigningConfig
}

// Code is one version of a function: its code, signature and layers.
type Code struct {
	Version     string
	RevisionID  string
	CodeSha256  string
	PackageType string
	// SigningProfileVersionARN and SigningJobARN are empty when Lambda
	// verified no signature (no code signing config at deploy time).
	// Signature is what Signer says of that signature, nil if not asked.
	SigningProfileVersionARN string
	SigningJobARN            string
	Signature                *Signature
	Layers                   []Layer
	LastUpdateStatus         string
	State                    string
	// LastModified is Lambda's timestamp ("2006-01-02T15:04:05.000+0000");
	// for a published version, when it was published. Empty when the
	// source (the sweep's listing) does not carry it.
	LastModified string
	// Handler and Runtime say where the runtime enters the code.
	Handler string
	Runtime string
	// Environment holds the version's environment variables as read: all
	// of them from GetFunction and the version listings, only the loader
	// variables from the sweep's batches (decide.LoaderVariables).
	Environment map[string]string
	// EnvironmentError is set when Lambda could not show the variables to
	// the guard (a customer managed key it may not decrypt with): then
	// what the runtime loads is unknown.
	EnvironmentError string
	// KMSKeyARN is the customer managed key encrypting the variables, ""
	// for Lambda's own key.
	KMSKeyARN string
	// Role is the execution role the version runs with: each published
	// version keeps the role it was published with.
	Role string
}

// LastModifiedFormat is how Lambda writes LastModified.
const LastModifiedFormat = "2006-01-02T15:04:05.000-0700"

// Layer is a layer version attached to a function version.
type Layer struct {
	ARN                      string
	SigningProfileVersionARN string
	SigningJobARN            string
	CodeSize                 int64
	// Signature is what Signer says of that signature, nil if not asked.
	Signature *Signature
}

// Account returns the account that owns the layer, from its ARN.
func (l Layer) Account() string { return lambdaarn.Account(l.ARN) }

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
	return c.UntrustedArtifactOnDeployment == PolicyEnforce
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

// ErrNotFound means the function does not exist (any more): nothing to do.
var ErrNotFound = errors.New("function not found")

// NotFoundError says which function was not found; it matches ErrNotFound.
type NotFoundError struct{ Function string }

func (e *NotFoundError) Error() string { return "function " + e.Function + " not found" }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// FunctionName returns the bare function name from a name, a partial ARN
// ("123456789012:function:name") or a full ARN, qualified or not.
func FunctionName(s string) string {
	name, _ := lambdaarn.SplitFunction(s)
	return name
}
