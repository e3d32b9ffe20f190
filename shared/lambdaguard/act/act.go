package act

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/settings"
)

// MaxZipSize is Lambda's limit for a zip uploaded directly (ZipFile): code
// larger than that cannot be restored without S3, so it is contained instead.
const MaxZipSize = 50 * 1024 * 1024

// errNoTime means too little time is left before the deadline to wait.
var errNoTime = errors.New("too little time left to wait")

// ErrConflict means the resource changed since the snapshot (412
// PreconditionFailedException or 409 ResourceConflictException).
var ErrConflict = errors.New("changed since it was read")

// API is the part of the Lambda client the Remediator uses.
type API interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionCodeSigningConfig(ctx context.Context, in *lambda.GetFunctionCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionCodeSigningConfigOutput, error)
	UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, optFns ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
	PutFunctionConcurrency(ctx context.Context, in *lambda.PutFunctionConcurrencyInput, optFns ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error)
	PutFunctionCodeSigningConfig(ctx context.Context, in *lambda.PutFunctionCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.PutFunctionCodeSigningConfigOutput, error)
	DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, optFns ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
}

// Permissions are the IAM actions each action kind needs. A restore may end
// in containment, so it needs that permission too.
var Permissions = map[finding.ActionKind][]string{
	rules.ActionMoveAlias:            {"lambda:UpdateAlias"},
	rules.ActionRestoreCode:          {"lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency"},
	rules.ActionRestoreConfiguration: {"lambda:GetFunction", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency"},
	rules.ActionContain:              {"lambda:PutFunctionConcurrency"},
	rules.ActionAttachCSC:            {"lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig"},
	rules.ActionDeleteVersion:        {"lambda:GetFunction", "lambda:DeleteFunction"},
}

// fetchTimeout bounds the download of a package from its presigned URL.
const fetchTimeout = 60 * time.Second

// WaitBudget is how long a wait may take: at most max, and at most half the
// time left before ctx's deadline, so that what follows the wait (the
// verification read, the fallback to containment, a re-read after a
// conflict) always has as long as the wait had.
func WaitBudget(ctx context.Context, max time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if half := time.Until(d) / 2; half < max {
			return half
		}
	}
	return max
}

// Remediator carries out actions.
type Remediator struct {
	API API
	// Settings decide what is trusted when a restore is verified.
	Settings settings.Settings
	// HTTP fetches code from GetFunction's presigned Code.Location.
	HTTP *http.Client
	// MaxCodeSize bounds a fetched package; 0 means MaxZipSize.
	MaxCodeSize int64
	// WaitMin, WaitMax and WaitTimeout tune the FunctionUpdatedV2 waiter;
	// every wait is also held to WaitBudget.
	WaitMin, WaitMax, WaitTimeout time.Duration
}

// New returns a Remediator with sensible waits and a bounded HTTP client.
func New(api API, cfg settings.Settings) *Remediator {
	return &Remediator{
		API: api, Settings: cfg,
		HTTP:    &http.Client{Timeout: fetchTimeout},
		WaitMin: 200 * time.Millisecond, WaitMax: 3 * time.Second, WaitTimeout: 2 * time.Minute,
	}
}

// Do carries out one action and says how it ended.
func (r *Remediator) Do(ctx context.Context, a finding.Action) pipeline.Outcome {
	var o pipeline.Outcome
	switch a.Kind {
	case rules.ActionMoveAlias:
		o = r.moveAlias(ctx, a)
	case rules.ActionRestoreCode:
		o = r.restoreVersion(ctx, a)
	case rules.ActionRestoreConfiguration:
		o = r.restoreConfiguration(ctx, a)
	case rules.ActionContain:
		o = r.plannedContain(ctx, a)
	case rules.ActionAttachCSC:
		o = r.attachCSC(ctx, a)
	case rules.ActionDeleteVersion:
		o = r.deleteVersion(ctx, a)
	default:
		o = pipeline.Failed(a, fmt.Errorf("unknown action kind %q", a.Kind))
	}
	o.Action = a
	o.Log(ctx)
	return o
}

func (r *Remediator) moveAlias(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	_, err := r.API.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String(p[decide.ParamFunction]),
		Name:            aws.String(p[decide.ParamAlias]),
		FunctionVersion: aws.String(p[decide.ParamVersion]),
		RevisionId:      optional(p[decide.ParamRevisionID]),
		// An empty map removes every additional weight.
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	})
	if o, done := classify(a, "update alias", err); done {
		return o
	}
	return pipeline.Done(a, "alias "+p[decide.ParamAlias]+" now points at version "+p[decide.ParamVersion])
}

func (r *Remediator) restoreCode(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	fn, version := p[decide.ParamFunction], p[decide.ParamVersion]
	src, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(version)})
	if o, stale := r.staleTarget(a, src, err); stale {
		return o
	}
	switch {
	case isNotFound(err) && !r.exists(ctx, fn):
		return pipeline.NotNeeded(a, "function "+fn+" is gone")
	case isNotFound(err):
		return r.contain(ctx, a, fn, "trusted version "+version+" is gone")
	case err != nil:
		return pipeline.Failed(a, fmt.Errorf("get trusted version %s:%s: %w", fn, version, err))
	}
	if src.Configuration == nil || src.Configuration.PackageType == types.PackageTypeImage || src.Code == nil || aws.ToString(src.Code.Location) == "" {
		return r.contain(ctx, a, fn, "version "+version+" has no zip package to restore")
	}
	wantSha := aws.ToString(src.Configuration.CodeSha256)
	zip, err := r.fetch(ctx, aws.ToString(src.Code.Location), wantSha)
	if err != nil {
		return r.contain(ctx, a, fn, "the code of version "+version+" cannot be fetched: "+err.Error())
	}
	// The decision's RevisionId makes the write conditional: if $LATEST
	// changed since it was read, Lambda answers 412 and Act decides again,
	// so no read is needed here to check it.
	up, err := r.API.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(fn), ZipFile: zip, RevisionId: optional(p[decide.ParamRevisionID]),
	})
	if o, done := classify(a, "update function code", err); done {
		if o.Status == pipeline.OutcomeNotNeeded || errors.Is(o.Err, ErrConflict) {
			return o
		}
		return r.contain(ctx, a, fn, "restoring version "+version+" failed: "+errText(err))
	}
	cfg, err := r.wait(ctx, fn, up.LastUpdateStatus)
	if err != nil {
		return r.contain(ctx, a, fn, "the restore of version "+version+" did not complete: "+err.Error())
	}
	c := observe.CodeOf(*cfg)
	if c.CodeSha256 != wantSha {
		// Someone deployed after the restore and before this read (CI's
		// signed release, or the attacker again): what is there now is
		// judged afresh, never contained on sight.
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("after the restore of version %s $LATEST of %s holds sha256 %s, not %s: %w", version, fn, c.CodeSha256, wantSha, ErrConflict)}
	}
	if v := decide.CodeVerdict(c, r.Settings); !v.Trusted {
		return r.contain(ctx, a, fn, "the restored code of version "+version+" is not trusted in $LATEST ("+v.Why+
			"; without a code signing config Lambda verifies and records no signature)")
	}
	return pipeline.Done(a, fmt.Sprintf("$LATEST of %s restored from trusted version %s (sha256 %s)", fn, version, wantSha))
}

// plannedContain contains a function after checking that $LATEST is still
// the one the decision judged.
func (r *Remediator) plannedContain(ctx context.Context, a finding.Action) pipeline.Outcome {
	fn := a.Params[decide.ParamFunction]
	if rev := a.Params[decide.ParamRevisionID]; rev != "" {
		cur, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if o, done := classify(a, "get function", err); done {
			return o
		}
		if cur.Configuration != nil && aws.ToString(cur.Configuration.RevisionId) != rev {
			return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
				Err: fmt.Errorf("$LATEST of %s is now revision %s: %w", fn, aws.ToString(cur.Configuration.RevisionId), ErrConflict)}
		}
	}
	return r.contain(ctx, a, fn, "")
}

// contain sets reserved concurrency 0. from is the action being carried
// out; why, when set, says why a restore fell back to containment. A
// fallback never contains a function whose $LATEST is trusted now (a
// trusted deploy landed meanwhile): that is a conflict, decided again.
func (r *Remediator) contain(ctx context.Context, from finding.Action, fn, why string) pipeline.Outcome {
	if why != "" {
		if o, trusted := r.trustedNow(ctx, from, fn); trusted {
			return o
		}
	}
	prev := from.Params[decide.ParamReserved]
	ca := decide.ContainActionIn(from.Params[decide.ParamRegion], fn, prev, from.For, orDefault(why, "as planned"))
	if why == "" && from.Kind == rules.ActionContain {
		ca.Summary = from.Summary // the decision's reason, for the alert
	}
	if prev == "0" {
		o := pipeline.NotNeeded(from, fn+" is already contained (reserved concurrency 0)")
		o.Taken = &ca
		return o
	}
	_, err := r.API.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(fn), ReservedConcurrentExecutions: aws.Int32(0),
	})
	if err != nil {
		if isNotFound(err) {
			return pipeline.NotNeeded(from, "function "+fn+" is gone")
		}
		return pipeline.Outcome{Action: from, Status: pipeline.OutcomeFailed, Err: fmt.Errorf("contain %s: %w", fn, err),
			Message: orDefault(why, "containment failed")}
	}
	msg := fn + " contained: reserved concurrency 0, no version runs"
	if why != "" {
		msg = why + "; " + msg
	}
	return pipeline.Outcome{Action: from, Status: pipeline.OutcomeDone, Taken: &ca, Message: msg}
}

// trustedNow reads $LATEST before a fallback containment; if its code and
// layers are trusted, it answers a conflict so that the guard decides again
// on what is there now (the level rules never contain trusted code).
func (r *Remediator) trustedNow(ctx context.Context, from finding.Action, fn string) (pipeline.Outcome, bool) {
	cur, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil || cur.Configuration == nil {
		return pipeline.Outcome{}, false // contain: when in doubt, stop it
	}
	if st := cur.Configuration.LastUpdateStatus; st != "" && st != types.LastUpdateStatusSuccessful {
		return pipeline.Outcome{}, false // an update not finished (or failed) is not verified code
	}
	c := observe.CodeOf(*cur.Configuration)
	if !decide.VersionVerdict(c, r.Settings).Trusted {
		return pipeline.Outcome{}, false
	}
	return pipeline.Outcome{Action: from, Status: pipeline.OutcomeFailed,
		Err: fmt.Errorf("$LATEST of %s now holds trusted code (sha256 %s): %w", fn, c.CodeSha256, ErrConflict)}, true
}

func (r *Remediator) attachCSC(ctx context.Context, a finding.Action) pipeline.Outcome {
	p := a.Params
	fn, arn := p[decide.ParamFunction], p[decide.ParamCSC]
	cur, err := r.API.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(fn)})
	if o, done := classify(a, "get function code signing config", err); done {
		return o
	}
	switch now := aws.ToString(cur.CodeSigningConfigArn); {
	case now == arn:
		return pipeline.NotNeeded(a, fn+" already has code signing config "+arn)
	case now != p[decide.ParamPreviousCSC]:
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("code signing config of %s is now %q: %w", fn, now, ErrConflict)}
	}
	_, err = r.API.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{
		FunctionName: aws.String(fn), CodeSigningConfigArn: aws.String(arn),
	})
	if o, done := classify(a, "put function code signing config", err); done {
		return o
	}
	return pipeline.Done(a, "code signing config "+arn+" attached to "+fn)
}

// fetch downloads a package from a presigned URL, bounded in size, and checks
// it against the sha256 Lambda reported for it.
func (r *Remediator) fetch(ctx context.Context, url, wantSha string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, WaitBudget(ctx, fetchTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	client := r.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get code: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get code: HTTP %d (a presigned location is valid for 10 minutes)", resp.StatusCode)
	}
	limit := r.MaxCodeSize
	if limit <= 0 {
		limit = MaxZipSize
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("package of %d bytes exceeds the %d-byte direct upload limit", resp.ContentLength, limit)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read code: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("package exceeds the %d-byte direct upload limit", limit)
	}
	sum := sha256.Sum256(buf.Bytes())
	if got := base64.StdEncoding.EncodeToString(sum[:]); wantSha != "" && got != wantSha {
		return nil, fmt.Errorf("fetched package has sha256 %s, Lambda reports %s", got, wantSha)
	}
	return buf.Bytes(), nil
}

// wait waits for the function's last update to finish and returns its
// configuration as read afterwards: the verification read, never skipped.
// status is the update call's own answer. The SDK waiter reads at once;
// after an update that answered InProgress (as Lambda's do) that read
// could only see it in progress, so the first read comes after WaitMin,
// when the waiter's second one would have.
func (r *Remediator) wait(ctx context.Context, fn string, status types.LastUpdateStatus) (*types.FunctionConfiguration, error) {
	minDelay := orDuration(r.WaitMin, 200*time.Millisecond)
	if status == types.LastUpdateStatusInProgress {
		t := time.NewTimer(minDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for update of %s: %w", fn, ctx.Err())
		case <-t.C:
		}
	}
	limit := WaitBudget(ctx, orDuration(r.WaitTimeout, 2*time.Minute))
	if limit < minDelay {
		return nil, fmt.Errorf("wait for update of %s: %w", fn, errNoTime)
	}
	w := lambda.NewFunctionUpdatedV2Waiter(r.API, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay = minDelay
		o.MaxDelay = min(orDuration(r.WaitMax, 3*time.Second), limit)
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, limit)
	if err != nil {
		return nil, fmt.Errorf("wait for update of %s: %w", fn, err)
	}
	if out.Configuration == nil {
		return nil, fmt.Errorf("wait for update of %s: no configuration", fn)
	}
	return out.Configuration, nil
}

func (r *Remediator) exists(ctx context.Context, fn string) bool {
	_, err := r.API.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	return !isNotFound(err)
}

// classify turns an API error into an outcome: gone → not needed, 412/409 →
// conflict, anything else → failed. done is false when err is nil.
func classify(a finding.Action, what string, err error) (pipeline.Outcome, bool) {
	if err == nil {
		return pipeline.Outcome{}, false
	}
	if isNotFound(err) {
		return pipeline.NotNeeded(a, a.Resource+" is gone"), true
	}
	var pf *types.PreconditionFailedException
	var rc *types.ResourceConflictException
	if errors.As(err, &pf) || errors.As(err, &rc) {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed,
			Err: fmt.Errorf("%s: %w: %w", what, ErrConflict, err)}, true
	}
	return pipeline.Failed(a, fmt.Errorf("%s: %w", what, err)), true
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func errText(err error) string {
	if err == nil {
		return "no configuration returned"
	}
	return err.Error()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
