package act

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// ErrStaleRelease means a remembered restore target is gone or no longer
// the trusted code remembered of it. It is a conflict: the guard forgets
// the release and decides again on a listing of the versions.
var ErrStaleRelease = fmt.Errorf("remembered release is stale: %w", ErrConflict)

// staleTarget checks a remembered target as GetFunction just read it (src,
// err): a version that is gone, holds other code than remembered or is not
// trusted now is not restored from. done is false when the repair may go
// on, and always for a target found by listing, which the decision read.
func (r *Remediator) staleTarget(a finding.Action, src *lambda.GetFunctionOutput, err error) (pipeline.Outcome, bool) {
	want, ok := a.Params[decide.ParamRemembered]
	if !ok {
		return pipeline.Outcome{}, false
	}
	fn, version := a.Params[decide.ParamFunction], a.Params[decide.ParamVersion]
	why := ""
	switch {
	case isNotFound(err):
		why = "is gone"
	case err != nil:
		return pipeline.Outcome{}, false // the caller fails as for any target
	case src.Configuration == nil:
		why = "has no configuration"
	case aws.ToString(src.Configuration.CodeSha256) != want:
		why = "holds sha256 " + aws.ToString(src.Configuration.CodeSha256) + ", not " + want
	default:
		if v := decide.VersionVerdict(observe.CodeOf(*src.Configuration), r.Settings); !v.Trusted {
			why = "is not trusted now (" + v.Why + ")"
		}
	}
	if why == "" {
		return pipeline.Outcome{}, false
	}
	return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
		Err: fmt.Errorf("version %s of %s %s: %w", version, fn, why, ErrStaleRelease)}, true
}
