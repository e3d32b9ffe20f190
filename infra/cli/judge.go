package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/selfguard/selfguard/shared/settings"
)

// ParameterEnv maps each template.yaml parameter that shapes a judgement to
// the environment variable the template gives the guards for it. A test
// holds it to template.yaml's own Environment.
var ParameterEnv = map[string]string{
	"Mode":                      settings.EnvMode,
	"TrustedSigningProfileArns": settings.EnvTrustedProfiles,
	"CodeSigningConfigArn":      settings.EnvCodeSigningConfigARN,
	"ExemptFunctions":           settings.EnvExemptFunctions,
	"ExemptRepositories":        settings.EnvExemptRepositories,
	"Mutelist":                  settings.EnvMutelist,
	"ApprovalTemplateName":      settings.EnvApprovalTemplate,
	"RequiredApprovals":         settings.EnvRequiredApprovals,
	"ApprovalPool":              settings.EnvApprovalPool,
	"ProtectedBranches":         settings.EnvProtectedBranches,
	"LambdaRate":                settings.EnvLambdaRate,
	"SignerRate":                settings.EnvSignerRate,
	"DeleteUntrustedVersions":   settings.EnvDeleteUntrustedVersions,
	"TrustedAccounts":           settings.EnvTrustedAccounts,
	"OrganizationId":            settings.EnvOrganizationID,
	"ExposureExemptions":        settings.EnvExposureExemptions,
	"TrustedLayerAccounts":      settings.EnvTrustedLayerAccounts,
	"TrustedLoaderVariables":    settings.EnvTrustedLoaderVars,
	// The stack's own functions are judged by this profile alone.
	"GuardSigningProfileVersionArn": settings.EnvGuardSigningProfile,
}

// WarnNoTrustedProfile is what audit and evaluate say when they judge with
// no trusted signing profile: every signed function then looks untrusted.
const WarnNoTrustedProfile = "judged with no trusted signing profile: all signed code is reported as untrusted " +
	"(pass --stack NAME to judge as the deployed selfguard does, --config FILE, or --trusted-profiles ARN)"

// judgeFlags say which settings audit and evaluate judge with: the deployed
// stack's parameters, a parameters file, or flags, in that order of
// precedence from lowest to highest. Without --stack or --config the
// SELFGUARD_* environment variables (as the guards read them) are the base.
type judgeFlags struct {
	stack, config, configEnv string
	trusted, exemptFns       listFlag
	exemptRepos              listFlag
	set                      listFlag
}

func (j *judgeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&j.stack, "stack", "", "judge with the parameters of this deployed selfguard stack (CloudFormation), in each region")
	fs.StringVar(&j.config, "config", "", "judge with the parameters in this file: samconfig.toml, a CloudFormation parameters JSON file, or KEY=VALUE lines")
	fs.StringVar(&j.configEnv, "config-env", "default", "the samconfig.toml environment --config reads")
	fs.Var(&j.trusted, "trusted-profiles", "trusted signing profile ARNs (repeatable or comma-separated; overrides --stack and --config)")
	fs.Var(&j.exemptFns, "exempt-functions", "function names or patterns to skip (overrides --stack and --config)")
	fs.Var(&j.exemptRepos, "exempt-repositories", "repository names or patterns to skip (overrides --stack and --config)")
	fs.Var(&j.set, "set", "any other template parameter, as Parameter=Value (repeatable)")
}

func (j *judgeFlags) check() error {
	if j.stack != "" && j.config != "" {
		return errors.New("--stack and --config exclude each other")
	}
	for _, kv := range j.set {
		k, _, ok := strings.Cut(kv, "=")
		if _, known := ParameterEnv[k]; !ok || !known {
			return fmt.Errorf("--set %q: want Parameter=Value with one of %s", kv, strings.Join(parameterNames(), ", "))
		}
	}
	return nil
}

// source says where the settings come from, for the report's header.
func (j *judgeFlags) source(region string) string {
	switch {
	case j.stack != "":
		return "stack " + j.stack + " (" + region + ")"
	case j.config != "":
		return "file " + j.config
	}
	return "environment and flags"
}

// StackAPI is the part of the CloudFormation client audit reads a stack with.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// settings resolves the settings to judge with; stacks is consulted only
// with --stack.
func (j *judgeFlags) settings(ctx context.Context, stacks StackAPI) (settings.Settings, error) {
	params := map[string]string{}
	base := os.Getenv
	switch {
	case j.stack != "":
		p, err := StackParameters(ctx, stacks, j.stack)
		if err != nil {
			return settings.Settings{}, err
		}
		params, base = p, func(string) string { return "" }
	case j.config != "":
		p, err := ReadParameters(j.config, j.configEnv)
		if err != nil {
			return settings.Settings{}, err
		}
		params, base = p, func(string) string { return "" }
	}
	for _, kv := range j.set {
		k, v, _ := strings.Cut(kv, "=")
		params[k] = v
	}
	if len(j.trusted) > 0 {
		params["TrustedSigningProfileArns"] = strings.Join(j.trusted, ",")
	}
	if len(j.exemptFns) > 0 {
		params["ExemptFunctions"] = strings.Join(j.exemptFns, ",")
	}
	if len(j.exemptRepos) > 0 {
		params["ExemptRepositories"] = strings.Join(j.exemptRepos, ",")
	}
	return SettingsFromParameters(params, base)
}

// SettingsFromParameters reads settings as the guards would from the
// environment template.yaml gives them for these parameter values; a
// variable no parameter sets comes from base.
func SettingsFromParameters(params map[string]string, base func(string) string) (settings.Settings, error) {
	env := map[string]string{}
	for p, v := range params {
		if name, ok := ParameterEnv[p]; ok {
			env[name] = v
		}
	}
	cfg, err := settings.FromEnv(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return base(k)
	})
	if err != nil {
		return settings.Settings{}, fmt.Errorf("settings: %w", err)
	}
	return cfg, nil
}

// StackParameters returns a deployed stack's parameter values.
func StackParameters(ctx context.Context, api StackAPI, stack string) (map[string]string, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("read stack %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("read stack %s: no such stack", stack)
	}
	params := map[string]string{}
	for _, p := range out.Stacks[0].Parameters {
		v := aws.ToString(p.ParameterValue)
		if p.ResolvedValue != nil {
			v = aws.ToString(p.ResolvedValue)
		}
		params[aws.ToString(p.ParameterKey)] = v
	}
	return params, nil
}

func parameterNames() []string {
	names := make([]string, 0, len(ParameterEnv))
	for n := range ParameterEnv {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
