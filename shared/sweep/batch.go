package sweep

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// MaxMessageBytes is the size a batch message is kept under: SQS takes up
// to 256 KiB; the rest is headroom for attributes and encoding.
const MaxMessageBytes = 200 << 10

// DefaultBatchFunctions is how many functions one batch carries: small
// enough that a worker finishes one within its timeout at the configured
// rate (one ListAliases each), large enough to keep messages few.
const DefaultBatchFunctions = 25

// DefaultBatchRepositories is how many repositories one batch carries.
const DefaultBatchRepositories = 20

// Batch is one unit of work: one SQS message from the lister to a worker.
// It carries the listing facts the worker needs, so the worker spends no
// shared-quota call on what the listing already said.
type Batch struct {
	Run          string     `json:"run"`
	Index        int        `json:"index"`
	Functions    []Function `json:"functions,omitempty"`
	Repositories []string   `json:"repositories,omitempty"`
	// Layers and Mappings are for the exposure rules.
	Layers   []LayerVersion `json:"layers,omitempty"`
	Mappings []Mapping      `json:"mappings,omitempty"`
	// CodeSigningConfig and Names make a batch of the Lambda guard's
	// fan-out: the functions (names) that use a code signing config whose
	// policy changed, judged with that policy (fanout.go). Such a batch
	// belongs to no sweep run.
	CodeSigningConfig string   `json:"csc,omitempty"`
	Names             []string `json:"names,omitempty"`
	// Versions has each function's versions listed and judged: the event
	// weakened the config, and versions may have been published meanwhile.
	Versions bool `json:"versions,omitempty"`
	// Cause is the event that led to a fan-out batch.
	Cause *Cause `json:"cause,omitempty"`
}

// Function is what ListFunctions (FunctionVersion=ALL) and the code
// signing config listings say about one function.
type Function struct {
	Name     string    `json:"n"`
	ARN      string    `json:"a"`
	Latest   Version   `json:"l"`
	Versions []Version `json:"v,omitempty"`
	CSC      *CSC      `json:"c,omitempty"`
}

// Version is one version's code facts. Field names are short: a batch of
// functions with many versions must stay under SQS's message size.
type Version struct {
	Version          string  `json:"v"`
	RevisionID       string  `json:"r,omitempty"`
	CodeSha256       string  `json:"h,omitempty"`
	PackageType      string  `json:"p,omitempty"`
	SigningProfile   string  `json:"sp,omitempty"`
	SigningJob       string  `json:"sj,omitempty"`
	Layers           []Layer `json:"ly,omitempty"`
	LastUpdateStatus string  `json:"u,omitempty"`
	State            string  `json:"s,omitempty"`
	// Handler, Runtime and Loaders (only the loader variables of the
	// environment, decide.LoaderVariables) decide what the runtime enters
	// and loads; EnvError says the listing could not show the variables.
	Handler  string            `json:"hd,omitempty"`
	Runtime  string            `json:"rt,omitempty"`
	Loaders  map[string]string `json:"ld,omitempty"`
	EnvError string            `json:"ee,omitempty"`
	KMSKey   string            `json:"k,omitempty"`
	Role     string            `json:"ro,omitempty"`
}

// Layer is one layer version attached to a function version.
type Layer struct {
	ARN            string `json:"a"`
	SigningProfile string `json:"sp,omitempty"`
	SigningJob     string `json:"sj,omitempty"`
	CodeSize       int64  `json:"z,omitempty"`
}

// CSC is a code signing config as ListCodeSigningConfigs describes it.
type CSC struct {
	ARN               string   `json:"a"`
	AllowedPublishers []string `json:"p,omitempty"`
	Policy            string   `json:"u,omitempty"`
}

// Encode marshals a batch and checks it fits in one message.
func (b Batch) Encode() (string, error) {
	raw, err := json.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("encode batch %d: %w", b.Index, err)
	}
	if len(raw) > MaxMessageBytes {
		return "", fmt.Errorf("encode batch %d: %d bytes is over the %d-byte message limit", b.Index, len(raw), MaxMessageBytes)
	}
	return string(raw), nil
}

// DecodeBatch unmarshals a batch message.
func DecodeBatch(body string) (Batch, error) {
	var b Batch
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return Batch{}, fmt.Errorf("decode batch: %w", err)
	}
	if b.Run == "" {
		return Batch{}, fmt.Errorf("decode batch: no run id")
	}
	return b, nil
}

// versionOf keeps the facts the rules use from a listed configuration. It
// observes through the guard's own reader (observe.CodeOf), so the sweep and
// the guard see a configuration alike; Version is only its compact wire form,
// with just the loader variables of the environment.
func versionOf(fc types.FunctionConfiguration) Version {
	c := observe.CodeOf(fc)
	v := Version{
		Version: c.Version, RevisionID: c.RevisionID, CodeSha256: c.CodeSha256, PackageType: c.PackageType,
		SigningProfile: c.SigningProfileVersionARN, SigningJob: c.SigningJobARN,
		LastUpdateStatus: c.LastUpdateStatus, State: c.State,
		Handler: c.Handler, Runtime: c.Runtime, EnvError: c.EnvironmentError, KMSKey: c.KMSKeyARN,
		Loaders: decide.Loaders(c), Role: c.Role,
	}
	if v.Version == "" {
		v.Version = snapshot.Latest
	}
	for _, l := range c.Layers {
		v.Layers = append(v.Layers, Layer{
			ARN: l.ARN, SigningProfile: l.SigningProfileVersionARN, SigningJob: l.SigningJobARN, CodeSize: l.CodeSize,
		})
	}
	return v
}

func (v Version) code() snapshot.Code {
	c := snapshot.Code{
		Version: v.Version, RevisionID: v.RevisionID, CodeSha256: v.CodeSha256, PackageType: v.PackageType,
		SigningProfileVersionARN: v.SigningProfile, SigningJobARN: v.SigningJob,
		LastUpdateStatus: v.LastUpdateStatus, State: v.State,
		Handler: v.Handler, Runtime: v.Runtime, Environment: v.Loaders, EnvironmentError: v.EnvError, KMSKeyARN: v.KMSKey,
		Role: v.Role,
	}
	if c.PackageType == "" {
		c.PackageType = snapshot.PackageZip
	}
	for _, l := range v.Layers {
		c.Layers = append(c.Layers, snapshot.Layer{
			ARN: l.ARN, SigningProfileVersionARN: l.SigningProfile, SigningJobARN: l.SigningJob, CodeSize: l.CodeSize,
		})
	}
	return c
}

// Snapshot builds the function's snapshot from the listing facts and its
// aliases: the same model the event-driven guard reads, so the same
// decision applies.
func (f Function) Snapshot(aliases []snapshot.Alias) snapshot.Snapshot {
	s := snapshot.Snapshot{
		Name: f.Name, ARN: f.ARN, Account: lambdaarn.Account(f.ARN),
		Latest: f.Latest.code(), LatestRead: true, CSCRead: true,
		Aliases: aliases, AliasesRead: true,
		Versions: make(map[string]snapshot.Code, len(f.Versions)), VersionsListed: true,
	}
	s.PackageType = s.Latest.PackageType
	if f.CSC != nil && s.PackageType != snapshot.PackageImage {
		s.CSC = &snapshot.CodeSigningConfig{
			ARN: f.CSC.ARN, AllowedPublishers: f.CSC.AllowedPublishers, UntrustedArtifactOnDeployment: f.CSC.Policy,
		}
		if s.CSC.UntrustedArtifactOnDeployment == "" {
			s.CSC.UntrustedArtifactOnDeployment = string(types.CodeSigningPolicyWarn)
		}
	}
	for _, v := range f.Versions {
		s.Versions[v.Version] = v.code()
	}
	if s.Aliases == nil {
		s.Aliases = []snapshot.Alias{}
	}
	return s
}
