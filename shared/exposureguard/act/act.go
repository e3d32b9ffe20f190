package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/exposureguard/decide"
	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
)

// ErrConflict means the resource changed since it was read (412
// PreconditionFailedException, 409 ResourceConflictException, or 400
// ResourceInUseException for a mapping being changed).
var ErrConflict = errors.New("changed since it was read")

// API is the part of the Lambda client the Remediator uses.
type API interface {
	RemovePermission(ctx context.Context, in *lambda.RemovePermissionInput, optFns ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error)
	GetFunctionUrlConfig(ctx context.Context, in *lambda.GetFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
	UpdateFunctionUrlConfig(ctx context.Context, in *lambda.UpdateFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionUrlConfigOutput, error)
	RemoveLayerVersionPermission(ctx context.Context, in *lambda.RemoveLayerVersionPermissionInput, optFns ...func(*lambda.Options)) (*lambda.RemoveLayerVersionPermissionOutput, error)
	UpdateEventSourceMapping(ctx context.Context, in *lambda.UpdateEventSourceMappingInput, optFns ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error)
	PutFunctionRecursionConfig(ctx context.Context, in *lambda.PutFunctionRecursionConfigInput, optFns ...func(*lambda.Options)) (*lambda.PutFunctionRecursionConfigOutput, error)
}

// Remediator carries out actions.
type Remediator struct {
	API API
}

// Do carries out one action and says how it ended.
func (r *Remediator) Do(ctx context.Context, a finding.Action) pipeline.Outcome {
	var o pipeline.Outcome
	switch a.Kind {
	case rules.ActionRemovePermission:
		o = r.removePermission(ctx, a)
	case rules.ActionURLRequireIAM:
		o = r.requireIAM(ctx, a)
	case rules.ActionURLCorsNoCredentials:
		o = r.corsNoCredentials(ctx, a)
	case rules.ActionRemoveLayerPermission:
		o = r.removeLayerPermission(ctx, a)
	case rules.ActionDisableMapping:
		o = r.disableMapping(ctx, a)
	case rules.ActionRecursionTerminate:
		o = r.terminateRecursion(ctx, a)
	default:
		o = pipeline.Failed(a, fmt.Errorf("unknown action kind %q", a.Kind))
	}
	o.Action = a
	o.Log(ctx)
	return o
}

func (r *Remediator) removePermission(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	_, err := r.API.RemovePermission(ctx, &lambda.RemovePermissionInput{
		FunctionName: aws.String(p[decide.ParamFunction]), StatementId: aws.String(p[decide.ParamStatementID]),
		Qualifier: optional(p[decide.ParamQualifier]), RevisionId: optional(p[decide.ParamRevisionID]),
	})
	if o, done := classify(a, "remove permission", err); done {
		return o
	}
	return pipeline.Done(a, "removed statement "+p[decide.ParamStatementID]+": "+p[decide.ParamStatement])
}

// currentURL reads the URL an action is about; ok false with a not-needed
// outcome when it is gone.
func (r *Remediator) currentURL(ctx context.Context, a finding.Action) (*lambda.GetFunctionUrlConfigOutput, pipeline.Outcome, bool) {
	p := a.Params
	out, err := r.API.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{
		FunctionName: aws.String(p[decide.ParamFunction]), Qualifier: optional(p[decide.ParamQualifier])})
	if o, done := classify(a, "get function URL", err); done {
		return nil, o, false
	}
	return out, pipeline.Outcome{}, true
}

func (r *Remediator) requireIAM(ctx context.Context, a finding.Action) pipeline.Outcome {
	cur, o, ok := r.currentURL(ctx, a)
	if !ok {
		return o
	}
	if cur.AuthType == types.FunctionUrlAuthTypeAwsIam {
		return pipeline.NotNeeded(a, "the URL already requires IAM")
	}
	p := a.Params
	_, err := r.API.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: aws.String(p[decide.ParamFunction]), Qualifier: optional(p[decide.ParamQualifier]),
		AuthType: types.FunctionUrlAuthTypeAwsIam,
	})
	if o, done := classify(a, "update function URL", err); done {
		return o
	}
	return pipeline.Done(a, "the function URL "+aws.ToString(cur.FunctionUrl)+" now requires IAM (AuthType AWS_IAM)")
}

func (r *Remediator) corsNoCredentials(ctx context.Context, a finding.Action) pipeline.Outcome {
	var prev snapshot.Cors
	if err := json.Unmarshal([]byte(a.Params[decide.ParamPreviousCors]), &prev); err != nil {
		return pipeline.Failed(a, fmt.Errorf("previous CORS: %w", err))
	}
	cur, o, ok := r.currentURL(ctx, a)
	if !ok {
		return o
	}
	if !sameCors(corsOf(cur.Cors), prev) {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("CORS of the URL: %w", ErrConflict), Message: "the URL's CORS changed since it was read"}
	}
	p := a.Params
	_, err := r.API.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: aws.String(p[decide.ParamFunction]), Qualifier: optional(p[decide.ParamQualifier]),
		Cors: &types.Cors{AllowCredentials: aws.Bool(false), AllowHeaders: prev.AllowHeaders, AllowMethods: prev.AllowMethods,
			AllowOrigins: prev.AllowOrigins, ExposeHeaders: prev.ExposeHeaders, MaxAge: aws.Int32(prev.MaxAge)},
	})
	if o, done := classify(a, "update function URL CORS", err); done {
		return o
	}
	return pipeline.Done(a, "CORS of "+aws.ToString(cur.FunctionUrl)+" no longer allows credentials")
}

// sameCors compares CORS settings as the decision encoded them: an empty
// list is no list.
func sameCors(a, b snapshot.Cors) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func corsOf(c *types.Cors) snapshot.Cors {
	if c == nil {
		return snapshot.Cors{}
	}
	return snapshot.Cors{AllowCredentials: aws.ToBool(c.AllowCredentials), AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: aws.ToInt32(c.MaxAge)}
}

func (r *Remediator) removeLayerPermission(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	v, err := strconv.ParseInt(p[decide.ParamLayerVersion], 10, 64)
	if err != nil {
		return pipeline.Failed(a, fmt.Errorf("layer version %q: %w", p[decide.ParamLayerVersion], err))
	}
	_, err = r.API.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{
		LayerName: aws.String(p[decide.ParamLayer]), VersionNumber: aws.Int64(v),
		StatementId: aws.String(p[decide.ParamStatementID]), RevisionId: optional(p[decide.ParamRevisionID]),
	})
	if o, done := classify(a, "remove layer version permission", err); done {
		return o
	}
	return pipeline.Done(a, "removed statement "+p[decide.ParamStatementID]+": "+p[decide.ParamStatement])
}

func (r *Remediator) disableMapping(ctx context.Context, a finding.Action) pipeline.Outcome {
	_, err := r.API.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID: aws.String(a.Params[decide.ParamUUID]), Enabled: aws.Bool(false)})
	if o, done := classify(a, "disable event source mapping", err); done {
		return o
	}
	return pipeline.Done(a, "event source mapping "+a.Params[decide.ParamUUID]+" disabled")
}

func (r *Remediator) terminateRecursion(ctx context.Context, a finding.Action) pipeline.Outcome {
	_, err := r.API.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{
		FunctionName: aws.String(a.Params[decide.ParamFunction]), RecursiveLoop: types.RecursiveLoopTerminate})
	if o, done := classify(a, "put recursion config", err); done {
		return o
	}
	return pipeline.Done(a, "recursive loops of "+a.Params[decide.ParamFunction]+" are stopped again")
}

// classify turns an error into an outcome: gone is not-needed; a changed
// resource is a failure matching ErrConflict.
func classify(a finding.Action, what string, err error) (pipeline.Outcome, bool) {
	if err == nil {
		return pipeline.Outcome{}, false
	}
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return pipeline.NotNeeded(a, a.Resource+" is gone"), true
	}
	var pf *types.PreconditionFailedException
	var rc *types.ResourceConflictException
	var ru *types.ResourceInUseException
	if errors.As(err, &pf) || errors.As(err, &rc) || errors.As(err, &ru) {
		err = fmt.Errorf("%s: %w: %w", what, ErrConflict, err)
		return pipeline.Failed(a, err), true
	}
	return pipeline.Failed(a, fmt.Errorf("%s: %w", what, err)), true
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
