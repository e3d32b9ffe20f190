package act

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/settings"
)

const profile = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"

// fakeLambda is a hand-written Lambda that keeps a little state and
// records every call.
type fakeLambda struct {
	mu       sync.Mutex
	calls    []string
	gone     bool
	latest   types.FunctionConfiguration
	versions map[string]types.FunctionConfiguration
	location string
	csc      string
	reserved *int32
	// signOnDeploy is the profile version Lambda records on UpdateFunctionCode
	// ("" as when no code signing config is attached).
	signOnDeploy string
	updateErr    error
	zip          []byte
	layers       []string
	alias        *lambda.UpdateAliasInput
	// inProgressFor keeps an update InProgress for that long after it was
	// made, as Lambda's asynchronous updates are; 0 finishes it at once.
	inProgressFor time.Duration
	updatedAt     time.Time
	// raced is a trusted package someone deploys right after the guard's
	// update, before its verification read.
	raced []byte
	// deleteErr answers DeleteFunction; deleted lists the versions deleted.
	deleteErr error
	deleted   []string
}

func (f *fakeLambda) DeleteFunction(_ context.Context, in *lambda.DeleteFunctionInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	f.record("DeleteFunction:" + aws.ToString(in.Qualifier))
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	if _, ok := f.versions[aws.ToString(in.Qualifier)]; !ok {
		return nil, f.notFound()
	}
	delete(f.versions, aws.ToString(in.Qualifier))
	f.deleted = append(f.deleted, aws.ToString(in.Qualifier))
	return &lambda.DeleteFunctionOutput{}, nil
}

// status is $LATEST's LastUpdateStatus now; the caller holds f.mu.
func (f *fakeLambda) status() types.LastUpdateStatus {
	if f.inProgressFor > 0 && time.Since(f.updatedAt) < f.inProgressFor {
		return types.LastUpdateStatusInProgress
	}
	return types.LastUpdateStatusSuccessful
}

func (f *fakeLambda) record(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeLambda) notFound() error {
	return &types.ResourceNotFoundException{Message: aws.String("Function not found")}
}

func (f *fakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	f.record("GetFunction:" + aws.ToString(in.Qualifier))
	if f.gone {
		return nil, f.notFound()
	}
	q := aws.ToString(in.Qualifier)
	if q == "" || q == "$LATEST" {
		c := f.latest
		f.mu.Lock()
		c.LastUpdateStatus = f.status()
		f.mu.Unlock()
		return &lambda.GetFunctionOutput{Configuration: &c}, nil
	}
	v, ok := f.versions[q]
	if !ok {
		return nil, f.notFound()
	}
	return &lambda.GetFunctionOutput{Configuration: &v, Code: &types.FunctionCodeLocation{Location: aws.String(f.location)}}, nil
}

func (f *fakeLambda) GetFunctionCodeSigningConfig(_ context.Context, in *lambda.GetFunctionCodeSigningConfigInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionCodeSigningConfigOutput, error) {
	f.record("GetFunctionCodeSigningConfig")
	if f.gone {
		return nil, f.notFound()
	}
	return &lambda.GetFunctionCodeSigningConfigOutput{CodeSigningConfigArn: aws.String(f.csc), FunctionName: in.FunctionName}, nil
}

func (f *fakeLambda) checkRev(rev *string) error {
	if f.gone {
		return f.notFound()
	}
	if rev != nil && *rev != aws.ToString(f.latest.RevisionId) {
		return &types.PreconditionFailedException{Message: aws.String("The RevisionId provided does not match the latest RevisionId")}
	}
	return nil
}

func (f *fakeLambda) UpdateFunctionCode(_ context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	f.record("UpdateFunctionCode")
	if err := f.checkRev(in.RevisionId); err != nil {
		return nil, err
	}
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	f.zip = in.ZipFile
	sum := sha256.Sum256(in.ZipFile)
	f.latest.CodeSha256 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	f.latest.SigningProfileVersionArn = optional(f.signOnDeploy)
	f.latest.RevisionId = aws.String(aws.ToString(f.latest.RevisionId) + "+")
	if f.raced != nil {
		f.latest.CodeSha256 = aws.String(shaOf(f.raced))
		f.latest.SigningProfileVersionArn = aws.String(profile + "/v1")
		f.latest.RevisionId = aws.String("ci")
	}
	f.mu.Lock()
	f.updatedAt = time.Now()
	st := f.status()
	f.mu.Unlock()
	return &lambda.UpdateFunctionCodeOutput{LastUpdateStatus: st}, nil
}

func (f *fakeLambda) UpdateFunctionConfiguration(_ context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	f.record("UpdateFunctionConfiguration")
	if err := f.checkRev(in.RevisionId); err != nil {
		return nil, err
	}
	if in.Layers != nil {
		f.layers = in.Layers
		f.latest.Layers = nil
		for _, l := range in.Layers {
			f.latest.Layers = append(f.latest.Layers, types.Layer{Arn: aws.String(l), SigningProfileVersionArn: aws.String(profile + "/v1")})
		}
	}
	if in.Handler != nil {
		f.latest.Handler = in.Handler
	}
	if in.Runtime != "" {
		f.latest.Runtime = in.Runtime
	}
	if in.Environment != nil {
		f.latest.Environment = &types.EnvironmentResponse{Variables: in.Environment.Variables}
	}
	f.latest.RevisionId = aws.String(aws.ToString(f.latest.RevisionId) + "c")
	f.latest.LastUpdateStatus = types.LastUpdateStatusSuccessful
	return &lambda.UpdateFunctionConfigurationOutput{}, nil
}

func (f *fakeLambda) UpdateAlias(_ context.Context, in *lambda.UpdateAliasInput, _ ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	f.record("UpdateAlias")
	if f.gone {
		return nil, f.notFound()
	}
	f.alias = in
	return &lambda.UpdateAliasOutput{}, nil
}

func (f *fakeLambda) PutFunctionConcurrency(ctx context.Context, in *lambda.PutFunctionConcurrencyInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error) {
	f.record("PutFunctionConcurrency")
	if err := ctx.Err(); err != nil {
		return nil, err // as the SDK does with a context that ended
	}
	if f.gone {
		return nil, f.notFound()
	}
	f.reserved = in.ReservedConcurrentExecutions
	return &lambda.PutFunctionConcurrencyOutput{}, nil
}

func (f *fakeLambda) PutFunctionCodeSigningConfig(_ context.Context, in *lambda.PutFunctionCodeSigningConfigInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionCodeSigningConfigOutput, error) {
	f.record("PutFunctionCodeSigningConfig")
	if f.gone {
		return nil, f.notFound()
	}
	f.csc = aws.ToString(in.CodeSigningConfigArn)
	return &lambda.PutFunctionCodeSigningConfigOutput{}, nil
}

var trustedZip = []byte("PK\x03\x04 signed package of version 3")

func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// world returns a fake with unsigned code in $LATEST, trusted version 3
// served from a presigned-like URL, and the action restoring it.
func world(t *testing.T) (*fakeLambda, finding.Action) {
	t.Helper()
	code := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("expired") != "" {
			http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.StatusForbidden)
			return
		}
		_, _ = w.Write(trustedZip)
	}))
	t.Cleanup(code.Close)
	f := &fakeLambda{
		latest: types.FunctionConfiguration{FunctionName: aws.String("pay"), Version: aws.String("$LATEST"),
			RevisionId: aws.String("r1"), CodeSha256: aws.String("BAD"), PackageType: types.PackageTypeZip,
			LastUpdateStatus: types.LastUpdateStatusSuccessful},
		versions: map[string]types.FunctionConfiguration{"3": {Version: aws.String("3"), CodeSha256: aws.String(shaOf(trustedZip)),
			PackageType: types.PackageTypeZip, SigningProfileVersionArn: aws.String(profile + "/v1")}},
		location:     code.URL + "/code/pay-3.zip",
		signOnDeploy: profile + "/v1",
	}
	a := finding.Action{Kind: rules.ActionRestoreCode, For: []finding.RuleID{rules.UnsignedCode}, Resource: "pay",
		Params: map[string]string{decide.ParamFunction: "pay", decide.ParamVersion: "3",
			decide.ParamRevisionID: "r1", decide.ParamReserved: "10"}}
	return f, a
}

func remediator(f *fakeLambda) *Remediator {
	r := New(f, settings.Settings{TrustedProfiles: []string{profile}})
	r.WaitMin, r.WaitMax, r.WaitTimeout = 5*time.Millisecond, 20*time.Millisecond, 2*time.Second
	return r
}

func TestRestoreCode(t *testing.T) {
	cases := []struct {
		name      string
		arrange   func(f *fakeLambda, a *finding.Action, r *Remediator)
		status    pipeline.OutcomeStatus
		taken     finding.ActionKind
		contained bool
		conflict  bool
		message   string
	}{
		{name: "trusted code is restored and verified", status: pipeline.OutcomeDone, taken: rules.ActionRestoreCode},
		{name: "restored code without a recorded signature is contained, never restored again",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { f.signOnDeploy = "" },
			status:  pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "not trusted"},
		{name: "an expired presigned location ends in containment",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { f.location += "?expired=1" },
			status:  pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "HTTP 403"},
		{name: "a package over the upload limit ends in containment",
			arrange: func(_ *fakeLambda, _ *finding.Action, r *Remediator) { r.MaxCodeSize = 8 },
			status:  pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "upload limit"},
		{name: "a package whose sha256 differs from Lambda's is not deployed",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) {
				v := f.versions["3"]
				v.CodeSha256 = aws.String("other")
				f.versions["3"] = v
			},
			status: pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "sha256"},
		{name: "a signature Lambda rejects ends in containment",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) {
				f.updateErr = &types.CodeVerificationFailedException{Message: aws.String("signature expired")}
			},
			status: pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "signature expired"},
		{name: "a container image version cannot be restored",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) {
				v := f.versions["3"]
				v.PackageType = types.PackageTypeImage
				f.versions["3"] = v
			},
			status: pipeline.OutcomeDone, taken: rules.ActionContain, contained: true},
		{name: "a newer deploy (412) is never clobbered",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { f.latest.RevisionId = aws.String("r2") },
			status:  pipeline.OutcomeFailed, conflict: true},
		{name: "an update in progress (409) is a conflict too",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) {
				f.updateErr = &types.ResourceConflictException{Message: aws.String("An update is in progress")}
			},
			status: pipeline.OutcomeFailed, conflict: true},
		{name: "a deleted function needs nothing",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { f.gone = true },
			status:  pipeline.OutcomeNotNeeded},
		{name: "a trusted deploy between the restore and its verification is judged again, never contained",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { f.raced = []byte("CI's signed release 4") },
			status:  pipeline.OutcomeFailed, conflict: true},
		{name: "a failed restore over code that is trusted by now is judged again, never contained",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) {
				f.updateErr = &types.CodeVerificationFailedException{Message: aws.String("signature expired")}
				f.latest.SigningProfileVersionArn = aws.String(profile + "/v1")
			},
			status: pipeline.OutcomeFailed, conflict: true},
		{name: "a deleted target version ends in containment",
			arrange: func(f *fakeLambda, _ *finding.Action, _ *Remediator) { delete(f.versions, "3") },
			status:  pipeline.OutcomeDone, taken: rules.ActionContain, contained: true, message: "gone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, a := world(t)
			r := remediator(f)
			if tc.arrange != nil {
				tc.arrange(f, &a, r)
			}
			o := r.Do(context.Background(), a)
			if o.Status != tc.status {
				t.Fatalf("status = %s (%s, %v), want %s; calls %v", o.Status, o.Message, o.Err, tc.status, f.calls)
			}
			if tc.taken != "" && (o.Taken == nil || o.Taken.Kind != tc.taken) {
				t.Errorf("taken = %+v, want %s", o.Taken, tc.taken)
			}
			if got := f.reserved != nil && *f.reserved == 0; got != tc.contained {
				t.Errorf("contained = %v, want %v; calls %v", got, tc.contained, f.calls)
			}
			if tc.contained && !strings.Contains(o.Taken.Undo, "--reserved-concurrent-executions 10") {
				t.Errorf("containment undo %q does not restore the previous reserved concurrency", o.Taken.Undo)
			}
			if errors.Is(o.Err, ErrConflict) != tc.conflict {
				t.Errorf("conflict = %v, want %v (err %v)", !tc.conflict, tc.conflict, o.Err)
			}
			if tc.conflict && f.raced == nil && aws.ToString(f.latest.CodeSha256) != "BAD" {
				t.Errorf("conflicting deploy was overwritten")
			}
			if tc.message != "" && !strings.Contains(o.Message, tc.message) {
				t.Errorf("message %q lacks %q", o.Message, tc.message)
			}
			if tc.status == pipeline.OutcomeDone && tc.taken == rules.ActionRestoreCode && string(f.zip) != string(trustedZip) {
				t.Errorf("deployed %q, want version 3's package", f.zip)
			}
		})
	}
}

// TestRestoreReadsOnceAfterAnUpdateInProgress checks the restore's reads:
// the target version once (for its code location) and, after the update,
// one verification read once the update had time to finish, not a read
// that can only see it in progress.
func TestRestoreReadsOnceAfterAnUpdateInProgress(t *testing.T) {
	for _, tc := range []struct {
		name          string
		inProgressFor time.Duration
		want          string
	}{
		{"an update Lambda finishes asynchronously", 3 * time.Millisecond,
			"GetFunction:3 UpdateFunctionCode GetFunction:"},
		{"an update finished at once (moto)", 0,
			"GetFunction:3 UpdateFunctionCode GetFunction:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, a := world(t)
			f.inProgressFor = tc.inProgressFor
			o := remediator(f).Do(context.Background(), a)
			if o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != rules.ActionRestoreCode {
				t.Fatalf("outcome %+v; calls %v", o, f.calls)
			}
			if got := strings.Join(f.calls, " "); got != tc.want {
				t.Errorf("calls = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMoveAliasRemovesWeights(t *testing.T) {
	f, _ := world(t)
	a := finding.Action{Kind: rules.ActionMoveAlias, Resource: "pay:prod", Params: map[string]string{
		decide.ParamFunction: "pay", decide.ParamAlias: "prod", decide.ParamVersion: "3", decide.ParamRevisionID: "ar1"}}
	o := remediator(f).Do(context.Background(), a)
	if o.Status != pipeline.OutcomeDone {
		t.Fatalf("status %s: %v", o.Status, o.Err)
	}
	in := f.alias
	if aws.ToString(in.FunctionVersion) != "3" || aws.ToString(in.RevisionId) != "ar1" || in.RoutingConfig == nil || len(in.RoutingConfig.AdditionalVersionWeights) != 0 {
		t.Errorf("UpdateAlias input = %+v, want version 3, revision ar1, weights cleared", in)
	}
}

func TestAttachCSC(t *testing.T) {
	const ours = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"
	cases := []struct {
		name    string
		current string
		status  pipeline.OutcomeStatus
		put     bool
	}{
		{"attached where none was", "", pipeline.OutcomeDone, true},
		{"already attached: not needed", ours, pipeline.OutcomeNotNeeded, false},
		{"someone attached another meanwhile: conflict", "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-2", pipeline.OutcomeFailed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := world(t)
			f.csc = tc.current
			a := finding.Action{Kind: rules.ActionAttachCSC, Resource: "pay", Params: map[string]string{
				decide.ParamFunction: "pay", decide.ParamCSC: ours, decide.ParamPreviousCSC: ""}}
			o := remediator(f).Do(context.Background(), a)
			if o.Status != tc.status {
				t.Fatalf("status %s (%v), want %s", o.Status, o.Err, tc.status)
			}
			put := strings.Contains(strings.Join(f.calls, ","), "PutFunctionCodeSigningConfig")
			if put != tc.put {
				t.Errorf("PutFunctionCodeSigningConfig called = %v, want %v", put, tc.put)
			}
		})
	}
}

func TestAConfigurationRestorePutsBackTheLayers(t *testing.T) {
	f, _ := world(t)
	v := f.versions["3"]
	v.Layers = []types.Layer{{Arn: aws.String("arn:aws:lambda:eu-west-1:111122223333:layer:shared:3"), SigningProfileVersionArn: aws.String(profile + "/v1")}}
	f.versions["3"] = v
	f.latest.CodeSha256 = v.CodeSha256
	a := finding.Action{Kind: rules.ActionRestoreConfiguration, Resource: "pay", Params: map[string]string{
		decide.ParamFunction: "pay", decide.ParamVersion: "3", decide.ParamRevisionID: "r1"}}
	o := remediator(f).Do(context.Background(), a)
	if o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != rules.ActionRestoreConfiguration {
		t.Fatalf("outcome %+v", o)
	}
	if len(f.layers) != 1 || !strings.HasSuffix(f.layers[0], ":layer:shared:3") {
		t.Errorf("layers set = %v", f.layers)
	}
}

func TestPlannedContainRechecksRevision(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rev       string
		contained bool
	}{
		{"same revision: contained", "r1", true},
		{"newer deploy meanwhile: left alone", "r0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := world(t)
			a := decide.ContainAction("pay", "", nil, "no trusted version")
			a.Params[decide.ParamRevisionID] = tc.rev
			o := remediator(f).Do(context.Background(), a)
			if got := f.reserved != nil && *f.reserved == 0; got != tc.contained {
				t.Errorf("contained = %v, want %v (%+v)", got, tc.contained, o)
			}
			if !tc.contained && !errors.Is(o.Err, ErrConflict) {
				t.Errorf("err = %v, want a conflict", o.Err)
			}
		})
	}
}

func TestPermissionsCoverEveryKind(t *testing.T) {
	for _, k := range []finding.ActionKind{rules.ActionMoveAlias, rules.ActionRestoreCode,
		rules.ActionRestoreConfiguration, rules.ActionContain, rules.ActionAttachCSC, rules.ActionDeleteVersion} {
		if len(Permissions[k]) == 0 {
			t.Errorf("no permissions declared for %s", k)
		}
	}
}

// TestAWaitLeavesTimeToContain: an update that never finishes must not
// take all the time left: the restore then cannot be verified, and the
// containment it falls back to needs time to be carried out.
func TestAWaitLeavesTimeToContain(t *testing.T) {
	f, a := world(t)
	f.inProgressFor = time.Hour
	r := remediator(f)
	r.WaitTimeout = 2 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	o := r.Do(ctx, a)
	if o.Status != pipeline.OutcomeDone || o.Taken == nil || o.Taken.Kind != rules.ActionContain {
		t.Fatalf("outcome %+v (%v), want the unverified restore contained; calls %v", o, o.Err, f.calls)
	}
	if f.reserved == nil || *f.reserved != 0 {
		t.Errorf("reserved concurrency %v, want 0", f.reserved)
	}
}

func TestWaitBudget(t *testing.T) {
	if got := WaitBudget(context.Background(), time.Minute); got != time.Minute {
		t.Errorf("without a deadline: %v, want the maximum", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got := WaitBudget(ctx, time.Minute); got > 5*time.Second || got < 4*time.Second {
		t.Errorf("10 s before the deadline: %v, want half the time left", got)
	}
	if got := WaitBudget(ctx, time.Second); got != time.Second {
		t.Errorf("a short wait: %v, want it whole", got)
	}
}
