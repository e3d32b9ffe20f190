package act

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// restoreVersion restores the trusted version's code and then, when the
// decision found its configuration differing too, its layers, handler,
// runtime and loader variables: one repair, each write conditional on the
// revision it follows, each waited for and verified.
func (r *Remediator) restoreVersion(ctx context.Context, a finding.Action) pipeline.Outcome {
	o := r.restoreCode(ctx, a)
	if a.Params[decide.ParamConfiguration] != "1" || o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != a.Kind {
		return o
	}
	c := r.configure(ctx, a, "")
	switch {
	case c.Status == pipeline.OutcomeDone:
		t := *o.Taken
		t.Undo = c.Taken.Undo + " && " + o.Taken.Undo
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeDone, Taken: &t, Message: o.Message + "; " + c.Message}
	case c.Status == pipeline.OutcomeNotNeeded:
		o.Message += "; " + c.Message
		return o
	}
	c.Message = o.Message + "; but " + c.Message
	return c
}

// restoreConfiguration restores the trusted version's configuration on
// $LATEST, if $LATEST is still the revision the decision judged.
func (r *Remediator) restoreConfiguration(ctx context.Context, a finding.Action) pipeline.Outcome {
	return r.configure(ctx, a, a.Params[decide.ParamRevisionID])
}

// configure puts the trusted version's layers, handler, runtime and loader
// variables on $LATEST. revision, when set, is the $LATEST revision the
// decision judged; without it (after a code restore) $LATEST must hold the
// trusted version's code.
func (r *Remediator) configure(ctx context.Context, a finding.Action, revision string) pipeline.Outcome {
	fn, version := a.Params[decide.ParamFunction], a.Params[decide.ParamVersion]
	src, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(version)})
	if o, stale := r.staleTarget(a, src, err); stale {
		return o
	}
	switch {
	case isNotFound(err) && !r.exists(ctx, fn):
		return pipeline.NotNeeded(a, "function "+fn+" is gone")
	case isNotFound(err) || err == nil && src.Configuration == nil:
		return r.contain(ctx, a, fn, "trusted version "+version+" is gone")
	case err != nil:
		return pipeline.Failed(a, fmt.Errorf("get trusted version %s:%s: %w", fn, version, err))
	}
	cur, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if o, done := classify(a, "get function", err); done {
		return o
	}
	if cur.Configuration == nil {
		return pipeline.Failed(a, fmt.Errorf("get function %s: no configuration", fn))
	}
	target, latest := observe.CodeOf(*src.Configuration), observe.CodeOf(*cur.Configuration)
	if o, stale := r.stale(a, fn, revision, latest, target); stale {
		return o
	}
	if latest.EnvironmentError != "" {
		return r.contain(ctx, a, fn, "the environment of $LATEST cannot be read ("+latest.EnvironmentError+")")
	}
	summary, undo := decide.ConfigurationChangeIn(a.Params[decide.ParamRegion], fn, latest, target)
	if summary == "" {
		return pipeline.NotNeeded(a, "the configuration of "+fn+" $LATEST is already version "+version+"'s")
	}
	up, err := r.API.UpdateFunctionConfiguration(ctx, configurationInput(fn, latest, target, *cur.Configuration))
	if o, done := classify(a, "update function configuration", err); done {
		if o.Status == pipeline.OutcomeNotNeeded || errors.Is(o.Err, ErrConflict) {
			return o
		}
		return r.contain(ctx, a, fn, "restoring the configuration of version "+version+" failed: "+errText(err))
	}
	after, err := r.wait(ctx, fn, up.LastUpdateStatus)
	if err != nil {
		return r.contain(ctx, a, fn, "the configuration restore did not complete: "+err.Error())
	}
	if why := r.unverified(observe.CodeOf(*after), target, latest.CodeSha256, lambdaarn.Account(aws.ToString(cur.Configuration.FunctionArn))); why != "" {
		return r.contain(ctx, a, fn, "after the configuration restore "+why)
	}
	t := a
	t.Undo = undo
	return pipeline.Outcome{Action: a, Status: pipeline.OutcomeDone, Taken: &t,
		Message: fmt.Sprintf("configuration of %s $LATEST restored from trusted version %s: %s", fn, version, summary)}
}

// stale reports a $LATEST that is not the one the repair was planned on.
func (r *Remediator) stale(a finding.Action, fn, revision string, latest, target snapshot.Code) (pipeline.Outcome, bool) {
	switch {
	case revision != "" && latest.RevisionID != revision:
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("$LATEST of %s is now revision %s: %w", fn, latest.RevisionID, ErrConflict)}, true
	case revision == "" && latest.CodeSha256 != target.CodeSha256:
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("$LATEST of %s holds sha256 %s after the code restore: %w", fn, latest.CodeSha256, ErrConflict)}, true
	}
	return pipeline.Outcome{}, false
}

// unverified says why $LATEST, read after the restore, does not run what
// the trusted version runs, or "".
func (r *Remediator) unverified(got, target snapshot.Code, sha, account string) string {
	switch {
	case got.CodeSha256 != sha:
		return "$LATEST holds sha256 " + got.CodeSha256 + ", not " + sha
	case !decide.SameConfiguration(got, target):
		summary, _ := decide.ConfigurationChange("", got, target)
		return "$LATEST still differs from the trusted version: " + summary
	}
	for _, l := range got.Layers {
		if v := decide.LayerTrust(l, account, r.Settings); !v.Trusted {
			return v.Why
		}
	}
	return ""
}

// configurationInput is the write that gives latest target's layers,
// handler, runtime and loader variables; every other variable of latest is
// kept as it is.
func configurationInput(fn string, latest, target snapshot.Code, cur types.FunctionConfiguration) *lambda.UpdateFunctionConfigurationInput {
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), RevisionId: cur.RevisionId}
	if latest.Handler != target.Handler {
		in.Handler = aws.String(target.Handler)
	}
	if latest.Runtime != target.Runtime {
		in.Runtime = types.Runtime(target.Runtime)
	}
	prev, next := arns(latest.Layers), arns(target.Layers)
	if fmt.Sprint(prev) != fmt.Sprint(next) {
		in.Layers = next
	}
	have, want := decide.Loaders(latest), decide.Loaders(target)
	if fmt.Sprint(have) != fmt.Sprint(want) {
		vars := make(map[string]string, len(latest.Environment))
		for k, v := range latest.Environment {
			if !decide.IsLoaderVariable(k) {
				vars[k] = v
			}
		}
		for k, v := range want {
			vars[k] = v
		}
		in.Environment = &types.Environment{Variables: vars}
	}
	return in
}

func arns(ls []snapshot.Layer) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ARN)
	}
	return out
}
