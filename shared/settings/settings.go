package settings

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/selfguard/selfguard/shared/finding"
)

// Environment variable names, as template.yaml sets them.
const (
	EnvMode                 = "SELFGUARD_MODE"
	EnvTrustedProfiles      = "SELFGUARD_TRUSTED_PROFILES"
	EnvCodeSigningConfigARN = "SELFGUARD_CODE_SIGNING_CONFIG_ARN"
	EnvExemptFunctions      = "SELFGUARD_EXEMPT_FUNCTIONS"
	EnvExemptRepositories   = "SELFGUARD_EXEMPT_REPOSITORIES"
	EnvGuardRoleARNs        = "SELFGUARD_GUARD_ROLE_ARNS"
	EnvGuardFunctions       = "SELFGUARD_GUARD_FUNCTIONS"
	EnvTopicARN             = "SELFGUARD_TOPIC_ARN"
	EnvLedgerTable          = "SELFGUARD_LEDGER_TABLE"
	EnvApprovalTemplate     = "SELFGUARD_APPROVAL_TEMPLATE"
	EnvRequiredApprovals    = "SELFGUARD_REQUIRED_APPROVALS"
	EnvApprovalPool         = "SELFGUARD_APPROVAL_POOL"
	EnvProtectedBranches    = "SELFGUARD_PROTECTED_BRANCHES"
	EnvLambdaRate           = "SELFGUARD_LAMBDA_RATE"
	EnvSignerRate           = "SELFGUARD_SIGNER_RATE"
	EnvConcurrency          = "SELFGUARD_CONCURRENCY"
	// EnvDeleteUntrustedVersions opts in to deleting untrusted published
	// versions no alias routes to ("true"); anything else but "false" or
	// unset is an error, so that a typo never turns deletion on.
	EnvDeleteUntrustedVersions = "SELFGUARD_DELETE_UNTRUSTED_VERSIONS"
	EnvTrustedLayerAccounts    = "SELFGUARD_TRUSTED_LAYER_ACCOUNTS"
	EnvTrustedLoaderVars       = "SELFGUARD_TRUSTED_LOADER_VARIABLES"
	EnvSweepQueueURL           = "SELFGUARD_SWEEP_QUEUE_URL"
	EnvGuardFunctionARNs       = "SELFGUARD_GUARD_FUNCTION_ARNS"
	EnvGuardSigningProfile     = "SELFGUARD_GUARD_SIGNING_PROFILE"
	EnvStackRoleARNs           = "SELFGUARD_STACK_ROLE_ARNS"
)

// Settings is one guard's configuration.
type Settings struct {
	Mode finding.Mode
	// TrustedProfiles are AWS Signer signing profile ARNs, or profile version
	// ARNs. A profile ARN trusts every version of that profile.
	TrustedProfiles []string
	// CodeSigningConfigARN is the CSC (in Enforce) the guard attaches to a
	// function without one, in enforce mode. Empty: it only alerts.
	CodeSigningConfigARN string
	// ExemptFunctions and ExemptRepositories are names or path.Match
	// patterns ("sandbox-*") the guards skip.
	ExemptFunctions    []string
	ExemptRepositories []string
	// GuardRoleARNs are the guards' own IAM role ARNs and GuardFunctions
	// the stack's own function names: an event is the guards' own write
	// only when its session issuer is exactly one of those roles and its
	// session is named after one of those functions (see IsGuard).
	GuardRoleARNs  []string
	GuardFunctions []string
	TopicARN       string
	LedgerTable    string
	// ApprovalTemplate is the approval rule template every repository must
	// have; RequiredApprovals, ApprovalPool and ProtectedBranches define it.
	ApprovalTemplate  string
	RequiredApprovals int
	ApprovalPool      []string
	ProtectedBranches []string
	// LambdaRate caps the guard's calls on Lambda's shared 15/s bucket,
	// all its running instances together.
	LambdaRate float64
	// SignerRate caps the calls to AWS Signer (is a signing job or profile
	// revoked), all of a function's running instances together. Under a
	// flood of events about many signed functions it bounds how fast the
	// guard gets through them (docs/hardening.md).
	SignerRate float64
	// Concurrency is the function's reserved concurrency: how many
	// instances share LambdaRate.
	Concurrency int
	// DeleteUntrustedVersions lets enforce mode delete a published version
	// whose code is not trusted and that no alias routes to: the only way
	// to make it uninvocable, and one that cannot be undone, hence off
	// unless chosen.
	DeleteUntrustedVersions bool
	// Exposure holds who may invoke the code: trusted accounts, the
	// organization and the exposure guard's exemptions.
	Exposure Exposure
	// TrustedLayerAccounts are the accounts, besides the function's own,
	// whose layers a function may use.
	TrustedLayerAccounts []string
	// TrustedLoaderVariables are loader variables with their exact values
	// ("NAME=value"), such as an observability wrapper, that a version may
	// set and still be trusted.
	TrustedLoaderVariables []string
	// SweepQueueURL is the sweep queue; the Lambda guard fans the functions
	// of a changed code signing config out to the sweep workers through it.
	SweepQueueURL string
	// Mutelist silences rules on resources, with a reason (mutelist.go).
	Mutelist []Mute
	// Clock, when set, is the time mutes expire by (tests); else time.Now.
	Clock func() time.Time
	// GuardFunctionARNs are all the stack's own function ARNs, exactly; the
	// guards never act on them (see integrity.go).
	GuardFunctionARNs []string
	// StackRoleARNs are all the stack's roles, the sweep's too: no other
	// function may run with one (rules.GuardRoleBorrowed).
	StackRoleARNs []string
	// GuardSigningProfile is the signing profile version ARN that signs the
	// stack's own functions; empty when they are not signing-enforced.
	GuardSigningProfile string
}

// Defaults used where a variable is unset.
const (
	DefaultApprovalTemplate  = "selfguard-required-review"
	DefaultRequiredApprovals = 1
	DefaultLambdaRate        = 5
	// DefaultSignerRate is far below Signer's per-API quotas; raise it to
	// what Service Quotas shows for the account.
	DefaultSignerRate = 5
	maxSignerRate     = 100
)

// FromEnv reads settings through getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Settings, error) {
	mode, err := finding.ParseMode(getenv(EnvMode))
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", EnvMode, err)
	}
	s := listsFromEnv(getenv)
	s.Mode = mode
	for _, step := range []func(func(string) string) error{s.readNumbers, s.readChoices, s.checkLists, s.readIntegrity} {
		if err := step(getenv); err != nil {
			return Settings{}, err
		}
	}
	return s, nil
}

// listsFromEnv reads the names, lists and ARNs, with their defaults.
func listsFromEnv(getenv func(string) string) Settings {
	s := Settings{
		TrustedProfiles:      List(getenv(EnvTrustedProfiles)),
		CodeSigningConfigARN: strings.TrimSpace(getenv(EnvCodeSigningConfigARN)),
		ExemptFunctions:      List(getenv(EnvExemptFunctions)),
		ExemptRepositories:   List(getenv(EnvExemptRepositories)),
		GuardRoleARNs:        List(getenv(EnvGuardRoleARNs)),
		GuardFunctions:       List(getenv(EnvGuardFunctions)),
		TopicARN:             strings.TrimSpace(getenv(EnvTopicARN)),
		LedgerTable:          strings.TrimSpace(getenv(EnvLedgerTable)),
		ApprovalTemplate:     strings.TrimSpace(getenv(EnvApprovalTemplate)),
		ApprovalPool:         List(getenv(EnvApprovalPool)),
		ProtectedBranches:    List(getenv(EnvProtectedBranches)),
		RequiredApprovals:    DefaultRequiredApprovals,
		LambdaRate:           DefaultLambdaRate,
		SignerRate:           DefaultSignerRate,
		Concurrency:          1,
		TrustedLayerAccounts: List(getenv(EnvTrustedLayerAccounts)),
		// Values may hold commas (JAVA_TOOL_OPTIONS), so entries are
		// separated by new lines or semicolons.
		TrustedLoaderVariables: Lines(getenv(EnvTrustedLoaderVars)),
		SweepQueueURL:          strings.TrimSpace(getenv(EnvSweepQueueURL)),
	}
	if s.ApprovalTemplate == "" {
		s.ApprovalTemplate = DefaultApprovalTemplate
	}
	if len(s.ProtectedBranches) == 0 {
		s.ProtectedBranches = []string{"main"}
	}
	return s
}

// readNumbers reads the approvals, rates and concurrency, each in range.
func (s *Settings) readNumbers(getenv func(string) string) error {
	var err error
	if v := strings.TrimSpace(getenv(EnvRequiredApprovals)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 25 {
			return fmt.Errorf("%s: %q is not a whole number from 1 to 25", EnvRequiredApprovals, v)
		}
		s.RequiredApprovals = n
	}
	if s.LambdaRate, err = rateFrom(getenv, EnvLambdaRate, DefaultLambdaRate, 15); err != nil {
		return err
	}
	if s.SignerRate, err = rateFrom(getenv, EnvSignerRate, DefaultSignerRate, maxSignerRate); err != nil {
		return err
	}
	if v := strings.TrimSpace(getenv(EnvConcurrency)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("%s: %q is not a whole number from 1 to 1000", EnvConcurrency, v)
		}
		s.Concurrency = n
	}
	return nil
}

// readChoices reads the deletion opt-in, the mutelist and the exposure
// settings.
func (s *Settings) readChoices(getenv func(string) string) error {
	switch v := strings.TrimSpace(getenv(EnvDeleteUntrustedVersions)); v {
	case "", "false":
	case "true":
		s.DeleteUntrustedVersions = true
	default:
		return fmt.Errorf("%s: %q is neither true nor false", EnvDeleteUntrustedVersions, v)
	}
	var err error
	if s.Mutelist, err = ParseMutelist(getenv(EnvMutelist)); err != nil {
		return fmt.Errorf("%s: %w", EnvMutelist, err)
	}
	s.Exposure, err = exposureFromEnv(getenv)
	return err
}

// checkLists refuses list entries that are not what their variable holds.
func (s *Settings) checkLists(func(string) string) error {
	for _, p := range append(append([]string{}, s.ExemptFunctions...), s.ExemptRepositories...) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("exemption pattern %q: %w", p, err)
		}
	}
	for _, a := range s.TrustedProfiles {
		if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":signer:") {
			return fmt.Errorf("%s: %q is not a signing profile ARN", EnvTrustedProfiles, a)
		}
	}
	for _, a := range s.TrustedLayerAccounts {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return fmt.Errorf("%s: %q is not a 12-digit account id", EnvTrustedLayerAccounts, a)
		}
	}
	for _, v := range s.TrustedLoaderVariables {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return fmt.Errorf("%s: %q is not NAME=value", EnvTrustedLoaderVars, v)
		}
	}
	for _, a := range s.GuardRoleARNs {
		if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":role/") {
			return fmt.Errorf("%s: %q is not an IAM role ARN", EnvGuardRoleARNs, a)
		}
	}
	for _, f := range s.GuardFunctions {
		if !isFunctionName(f) {
			return fmt.Errorf("%s: %q is not a function name", EnvGuardFunctions, f)
		}
	}
	return nil
}

// List splits a comma-separated value, dropping blanks.
func List(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Lines splits a value on new lines and semicolons, dropping blanks, for
// lists whose entries may hold commas.
func Lines(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// LayerAccountTrusted reports whether a layer of account may be used by a
// function of account own: its own account's, or a listed one's.
func (s Settings) LayerAccountTrusted(layerAccount, own string) bool {
	if layerAccount == "" || layerAccount == own || own == "" {
		return true
	}
	for _, a := range s.TrustedLayerAccounts {
		if a == layerAccount {
			return true
		}
	}
	return false
}

// LoaderVariableTrusted reports whether a loader variable with this exact
// value is listed in TrustedLoaderVariables.
func (s Settings) LoaderVariableTrusted(name, value string) bool {
	for _, v := range s.TrustedLoaderVariables {
		if v == name+"="+value {
			return true
		}
	}
	return false
}

// Trusted reports whether a signing profile version ARN is trusted: it is
// listed, or its profile is (a version ARN is the profile ARN plus "/version").
func (s Settings) Trusted(profileVersionARN string) bool {
	if profileVersionARN == "" {
		return false
	}
	for _, t := range s.TrustedProfiles {
		if profileVersionARN == t || strings.HasPrefix(profileVersionARN, t+"/") {
			return true
		}
	}
	return false
}

// FunctionExempt reports whether a function name matches an exemption.
func (s Settings) FunctionExempt(name string) bool { return matchAny(s.ExemptFunctions, name) }

// RepositoryExempt reports whether a repository name matches an exemption.
func (s Settings) RepositoryExempt(name string) bool { return matchAny(s.ExemptRepositories, name) }

// IsGuard reports whether a call was made by one of the stack's own
// functions: issuerARN (the session issuer) is exactly one of the guards'
// roles, and callerARN (userIdentity.arn,
// arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION) is a session of that
// role named after one of the stack's functions, as Lambda names an
// execution role's session. The role alone is not enough: whoever may pass
// the guard's role to Lambda can run a function of their own with it, and
// that function's session bears its own name.
func (s Settings) IsGuard(issuerARN, callerARN string) bool {
	if !contains(s.GuardRoleARNs, issuerARN) {
		return false
	}
	session, ok := strings.CutPrefix(callerARN, assumedRolePrefix(issuerARN))
	return ok && contains(s.GuardFunctions, session)
}

// assumedRolePrefix turns arn:P:iam::A:role/PATH/NAME into the prefix of its
// sessions' ARNs, arn:P:sts::A:assumed-role/NAME/ (a session ARN has no path).
func assumedRolePrefix(roleARN string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "\x00" // matches no ARN
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/"
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// InstanceRate is one running instance's share of LambdaRate, so that all
// instances of the function together stay under it.
func (s Settings) InstanceRate() float64 {
	if s.Concurrency < 1 {
		return s.LambdaRate
	}
	return s.LambdaRate / float64(s.Concurrency)
}

// rateFrom reads a calls-per-second setting: def when unset, else a number
// above 0 and at most most.
func rateFrom(getenv func(string) string, name string, def, most float64) (float64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0 && r <= most) { // NaN is neither
		return 0, fmt.Errorf("%s: %q is not a rate above 0 and at most %g per second", name, v, most)
	}
	return r, nil
}
