package snapshot

import (
	"strings"

	"github.com/selfguard/selfguard/shared/lambdaarn"
)

// Recursive loop settings, as Lambda names them.
const (
	RecursionTerminate = "Terminate"
	RecursionAllow     = "Allow"
)

// URL auth types, as Lambda names them.
const (
	AuthNone = "NONE"
	AuthIAM  = "AWS_IAM"
)

// Function is what the exposure guard knows about one function. Only the
// parts a scope asked for are read; the *Read fields say which.
type Function struct {
	Name    string
	ARN     string
	Account string
	// Policies are the resource-based policies read, one per holder: the
	// function itself (Qualifier ""), a published version or an alias. A
	// holder without a policy has none here.
	Policies []Policy
	// PolicyQualifiers are the holders whose policy was read (with "" for
	// the function), policy or not.
	PolicyQualifiers []string
	// URLs are the function URL configs: the function's and its aliases'.
	URLs     []URL
	URLsRead bool
	// RecursiveLoop is Terminate (Lambda's default) or Allow.
	RecursiveLoop string
	RecursionRead bool
}

// PolicyRead reports whether the policy of a holder was read.
func (f Function) PolicyRead(qualifier string) bool {
	for _, q := range f.PolicyQualifiers {
		if q == qualifier {
			return true
		}
	}
	return false
}

// Policy returns the policy of a holder, if it has one.
func (f Function) Policy(qualifier string) (Policy, bool) {
	for _, p := range f.Policies {
		if p.Qualifier == qualifier {
			return p, true
		}
	}
	return Policy{}, false
}

// Ref returns how a holder of the function is named in findings: "pay",
// "pay:prod".
func (f Function) Ref(qualifier string) string {
	if qualifier == "" {
		return f.Name
	}
	return f.Name + ":" + qualifier
}

// Policy is one holder's resource-based policy.
type Policy struct {
	// Qualifier is "" for the function, else the version or alias.
	Qualifier string
	// RevisionID is the policy's revision; removing a statement with it
	// fails if the policy changed since.
	RevisionID string
	Statements []Statement
}

// URL is a function URL config.
type URL struct {
	// Qualifier is "" for the function's own URL, else the alias.
	Qualifier   string
	FunctionARN string
	URL         string
	AuthType    string
	Cors        *Cors
}

// Cors is a function URL's CORS configuration.
type Cors struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int32    `json:"MaxAge,omitempty"`
}

// LayerVersion is one layer version and its policy.
type LayerVersion struct {
	Name    string
	Version int64
	// ARN is the layer version's ARN.
	ARN     string
	Account string
	// RevisionID is the policy's revision ("" with no policy).
	RevisionID string
	Statements []Statement
}

// Ref returns how the layer version is named in findings: "shared:3".
func (l LayerVersion) Ref() string { return l.Name + ":" + itoa(l.Version) }

// Mapping is an event source mapping.
type Mapping struct {
	UUID           string
	ARN            string
	FunctionARN    string
	EventSourceARN string
	// State is Creating, Enabling, Enabled, Disabling, Disabled, Updating
	// or Deleting.
	State string
}

// Account is the account of the function the mapping invokes.
func (m Mapping) Account() string { return lambdaarn.Account(m.FunctionARN) }

// Delivering reports whether the mapping invokes or is about to: any state
// but Disabled, Disabling and Deleting.
func (m Mapping) Delivering() bool {
	switch m.State {
	case "Disabled", "Disabling", "Deleting":
		return false
	}
	return true
}

// SplitLayer splits a layer reference (a name or a layer or layer version
// ARN) into the layer name and the version ("" if none).
func SplitLayer(s string) (name, version string) {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "layer" && i+1 < len(parts) {
			name = parts[i+1]
			if i+2 < len(parts) {
				version = parts[i+2]
			}
			return name, version
		}
	}
	return s, ""
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
