package act

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// ParamConfiguration is set on a done delete-version action (Taken): the
// deleted version's configuration as JSON, environment variable values
// left out, so that the ledger keeps what cannot be read back.
const ParamConfiguration = "configuration"

// deleteVersion deletes a published version that is still the untrusted
// one the decision judged. Lambda refuses while an alias references it
// (409): a conflict, decided again. The deletion cannot be undone, so the
// outcome keeps the version's code SHA256 and configuration.
func (r *Remediator) deleteVersion(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	fn, v := p[decide.ParamFunction], p[decide.ParamVersion]
	cur, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)})
	if isNotFound(err) {
		return pipeline.NotNeeded(a, "version "+v+" of "+fn+" is gone already")
	}
	if o, done := classify(a, "get version", err); done {
		return o
	}
	if cur.Configuration == nil {
		return pipeline.Failed(a, fmt.Errorf("get version %s:%s: no configuration", fn, v))
	}
	c := observe.CodeOf(*cur.Configuration)
	switch {
	case c.CodeSha256 != p[decide.ParamCodeSha256]:
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("version %s of %s holds sha256 %s, not the judged %s: %w", v, fn, c.CodeSha256, p[decide.ParamCodeSha256], ErrConflict)}
	case decide.VersionVerdict(c, r.Settings).Trusted:
		return pipeline.NotNeeded(a, "version "+v+" of "+fn+" is trusted")
	}
	_, err = r.API.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)})
	if isNotFound(err) {
		return pipeline.NotNeeded(a, "version "+v+" of "+fn+" is gone already")
	}
	if o, done := classify(a, "delete version", err); done {
		return o
	}
	taken := a
	taken.Params = map[string]string{}
	for k, val := range a.Params {
		taken.Params[k] = val
	}
	taken.Params[ParamConfiguration] = configurationJSON(cur.Configuration)
	return pipeline.Outcome{Action: a, Status: pipeline.OutcomeDone, Taken: &taken,
		Message: "version " + v + " of " + fn + " deleted; it was " + describeConfiguration(cur.Configuration)}
}

// configurationJSON is the version's configuration for the ledger, with
// the values of its environment variables (secrets, often) left out.
func configurationJSON(fc *types.FunctionConfiguration) string {
	c := *fc
	if c.Environment != nil {
		env := *c.Environment
		env.Variables = redacted(env.Variables)
		c.Environment = &env
	}
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	return string(b)
}

func redacted(vars map[string]string) map[string]string {
	out := make(map[string]string, len(vars))
	for k := range vars {
		out[k] = "(not kept)"
	}
	return out
}

// describeConfiguration says in one line what the alert must keep of a
// version that is gone: its code, signature, layers and how it ran.
func describeConfiguration(fc *types.FunctionConfiguration) string {
	parts := []string{
		"sha256 " + orDefault(aws.ToString(fc.CodeSha256), "none"),
		fmt.Sprintf("%d bytes", fc.CodeSize),
		"signing profile version " + orDefault(aws.ToString(fc.SigningProfileVersionArn), "none"),
		"runtime " + orDefault(string(fc.Runtime), "none"),
		"handler " + orDefault(aws.ToString(fc.Handler), "none"),
		"role " + orDefault(aws.ToString(fc.Role), "none"),
		fmt.Sprintf("memory %d MB, timeout %d s", aws.ToInt32(fc.MemorySize), aws.ToInt32(fc.Timeout)),
		"published " + orDefault(aws.ToString(fc.LastModified), "unknown"),
	}
	var layers []string
	for _, l := range fc.Layers {
		layers = append(layers, aws.ToString(l.Arn))
	}
	if len(layers) > 0 {
		parts = append(parts, "layers "+strings.Join(layers, ", "))
	}
	if fc.Environment != nil && len(fc.Environment.Variables) > 0 {
		var names []string
		for k := range fc.Environment.Variables {
			names = append(names, k)
		}
		sort.Strings(names)
		parts = append(parts, "environment variables "+strings.Join(names, ", ")+" (values not kept)")
	}
	if d := aws.ToString(fc.Description); d != "" {
		parts = append(parts, fmt.Sprintf("description %q", d))
	}
	return strings.Join(parts, "; ")
}
