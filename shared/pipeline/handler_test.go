package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/settings"
)

const (
	guardRole     = "arn:aws:iam::123456789012:role/selfguard-code-guard"
	guardFunction = "selfguard-code-guard" // Lambda names the role's session after the function
	impostorRole  = "arn:aws:iam::123456789012:role/selfguard-code-guard-copy"
)

// fakeEvaluator records the calls the pipeline makes and answers with a
// fixed decision.
type fakeEvaluator struct {
	mu          sync.Mutex
	subjects    []cloudtrail.Record
	evaluated   []Subject
	acted       []finding.Action
	decision    finding.Decision
	evalErr     error
	panicIn     string
	actStatus   OutcomeStatus
	actErr      error
	subjectsErr error
	// block makes Evaluate wait for its context to end, as a read does
	// that AWS does not answer.
	block bool
	// deadlines are the deadlines of the contexts Evaluate was given.
	deadlines []time.Time
}

func (f *fakeEvaluator) Subjects(_ context.Context, rec cloudtrail.Record) ([]Subject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subjects = append(f.subjects, rec)
	if f.panicIn == "subjects" {
		panic("subjects blew up")
	}
	if f.subjectsErr != nil {
		return nil, f.subjectsErr
	}
	var req struct {
		FunctionName string `json:"functionName"`
	}
	if err := rec.Request(&req); err != nil {
		return nil, &Permanent{Reason: "request parameters", Err: err}
	}
	if req.FunctionName == "" {
		return nil, nil
	}
	return []Subject{{Type: finding.ResourceFunction, Name: req.FunctionName}}, nil
}

func (f *fakeEvaluator) Evaluate(ctx context.Context, s Subject) (finding.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evaluated = append(f.evaluated, s)
	if d, ok := ctx.Deadline(); ok {
		f.deadlines = append(f.deadlines, d)
	}
	if f.block {
		<-ctx.Done()
		return finding.Decision{}, ctx.Err()
	}
	if f.panicIn == "evaluate" {
		var m map[string]int
		m["nil map"]++ //lint:ignore SA5000 a real runtime panic is the point
	}
	return f.decision, f.evalErr
}

func (f *fakeEvaluator) Act(_ context.Context, _ Subject, a finding.Action) Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acted = append(f.acted, a)
	if f.panicIn == "act" {
		panic("act blew up")
	}
	st := f.actStatus
	if st == "" {
		st = OutcomeDone
	}
	return Outcome{Action: a, Status: st, Err: f.actErr}
}

type fakeAlerter struct {
	mu   sync.Mutex
	sent []alert.Alert
	err  error
}

func (a *fakeAlerter) Send(_ context.Context, al alert.Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.sent = append(a.sent, al)
	return nil
}

// fakeLedger is the in-memory ledger with failures on demand and a record
// of releases. Like a DynamoDB client, it fails once its context is done.
type fakeLedger struct {
	*ledger.Memory
	claimErr  error
	recordErr error
	released  []string
	completed []string
}

func (l *fakeLedger) Claim(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if l.claimErr != nil {
		return false, l.claimErr
	}
	return l.Memory.Claim(ctx, id)
}

func (l *fakeLedger) Record(ctx context.Context, e ledger.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.recordErr != nil {
		return l.recordErr
	}
	return l.Memory.Record(ctx, e)
}

func (l *fakeLedger) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.released = append(l.released, id)
	return l.Memory.Release(ctx, id)
}

func (l *fakeLedger) Complete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.completed = append(l.completed, id)
	return l.Memory.Complete(ctx, id)
}

type rig struct {
	h     *Handler
	ev    *fakeEvaluator
	al    *fakeAlerter
	lg    *fakeLedger
	logs  *bytes.Buffer
	event events.CloudWatchEvent
}

var unsigned = finding.Decision{
	Findings: []finding.Finding{{Rule: "unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction, Resource: "payments-api", Summary: "unsigned code deployed"}},
	Actions: []finding.Action{{Kind: "contain", For: []finding.RuleID{"unsigned-code"}, Resource: "payments-api",
		Summary: "set reserved concurrency to 0", Undo: "aws lambda delete-function-concurrency --function-name payments-api"}},
}

func newRig(mode finding.Mode) *rig {
	logs := &bytes.Buffer{}
	r := &rig{
		ev:   &fakeEvaluator{decision: unsigned},
		al:   &fakeAlerter{},
		lg:   &fakeLedger{Memory: &ledger.Memory{}},
		logs: logs,
	}
	r.h = &Handler{
		Name:      "code-guard",
		Evaluator: r.ev,
		Settings:  settings.Settings{Mode: mode, GuardRoleARNs: []string{guardRole}, GuardFunctions: []string{guardFunction}},
		Alerter:   r.al,
		Ledger:    r.lg,
		Logger:    zerolog.New(logs),
		Now:       func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}
	r.event = event(record(impostorRole, nil))
	return r
}

// record builds a CloudTrail record of an UpdateFunctionCode call by a
// session of role; edit adjusts it.
func record(role string, edit func(map[string]any)) map[string]any {
	return recordBy(role, "session", edit)
}

// recordBy is record by a session of role with the given name, as Lambda
// names a function's session after the function.
func recordBy(role, session string, edit func(map[string]any)) map[string]any {
	rec := map[string]any{
		"eventVersion": "1.08", "eventTime": "2026-03-01T11:59:58Z",
		"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionCode20150331v2",
		"awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15.0",
		"requestParameters": map[string]any{"functionName": "payments-api", "publish": true},
		"responseElements":  map[string]any{"functionName": "payments-api"},
		"requestID":         "req-ct-1", "eventID": "ev-1", "readOnly": false,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "123456789012",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "arn": strings.Replace(strings.Replace(role, ":iam:", ":sts:", 1), ":role/", ":assumed-role/", 1) + "/" + session,
			"accountId":      "123456789012",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": role, "userName": role[strings.LastIndex(role, "/")+1:]}},
		},
	}
	if edit != nil {
		edit(rec)
	}
	return rec
}

func event(rec any) events.CloudWatchEvent {
	detail, _ := json.Marshal(rec)
	return events.CloudWatchEvent{
		Version: "0", ID: "bus-1", DetailType: cloudtrail.DetailType, Source: "aws.lambda",
		AccountID: "123456789012", Region: "eu-west-1", Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Detail: detail,
	}
}

func (r *rig) handle(t *testing.T) error {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	return r.h.Handle(ctx, r.event)
}

func (r *rig) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func (r *rig) logged(t *testing.T, field, value string) bool {
	for _, m := range r.logLines(t) {
		if m[field] == value {
			return true
		}
	}
	return false
}

func TestHandleIgnores(t *testing.T) {
	tests := []struct {
		name   string
		rec    map[string]any
		reason string
	}{
		{"the guard's own write, by exact role ARN and its function's session", recordBy(guardRole, guardFunction, nil), ReasonOwnWrite},
		{"a failed call", record(impostorRole, func(m map[string]any) { m["errorCode"] = "AccessDenied" }), ReasonFailedCall},
		{"a read-only call", record(impostorRole, func(m map[string]any) { m["readOnly"] = true; m["eventName"] = "GetFunction20150331v2" }), ReasonReadOnly},
		{"an event naming no resource of this guard", record(impostorRole, func(m map[string]any) { m["requestParameters"] = map[string]any{} }), ReasonNoSubjects},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			r.event = event(tt.rec)
			if err := r.handle(t); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(r.ev.evaluated) != 0 || len(r.ev.acted) != 0 || len(r.al.sent) != 0 || len(r.lg.Entries()) != 0 {
				t.Fatalf("ignored event had effects: evaluated %v, acted %v, alerts %d", r.ev.evaluated, r.ev.acted, len(r.al.sent))
			}
			lines := r.logLines(t)
			if len(lines) != 1 || lines[0]["reason"] != tt.reason || lines[0]["event_id"] != "ev-1" {
				t.Errorf("want one log line with reason %q, got %v", tt.reason, lines)
			}
		})
	}
}

func TestHandleLookAlikesAreJudged(t *testing.T) {
	tests := []struct {
		name string
		rec  map[string]any
	}{
		{"a role named like the guard's, in a session named like its function", recordBy(impostorRole, guardFunction, nil)},
		// iam:PassRole to Lambda lets a developer run her own function with
		// the guard's role; Lambda names its session after her function.
		{"the guard's role passed to another function", recordBy(guardRole, "innocent-looking", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			r.event = event(tt.rec)
			if err := r.handle(t); err != nil {
				t.Fatal(err)
			}
			if len(r.ev.evaluated) != 1 || len(r.ev.acted) != 1 || len(r.al.sent) != 1 {
				t.Fatalf("a look-alike escaped: evaluated %d, acted %d, alerts %d", len(r.ev.evaluated), len(r.ev.acted), len(r.al.sent))
			}
		})
	}
}

func TestHandleByMode(t *testing.T) {
	tests := []struct {
		name       string
		mode       finding.Mode
		wantActs   int
		wantStatus alert.Status
	}{
		{"monitor changes nothing and says what enforce would do", finding.ModeMonitor, 0, alert.StatusPlanned},
		{"an unset mode is monitor", "", 0, alert.StatusPlanned},
		{"enforce acts and reports the outcome", finding.ModeEnforce, 1, alert.StatusDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(tt.mode)
			if err := r.handle(t); err != nil {
				t.Fatal(err)
			}
			if len(r.ev.acted) != tt.wantActs {
				t.Fatalf("acted %d times, want %d", len(r.ev.acted), tt.wantActs)
			}
			if len(r.al.sent) != 1 {
				t.Fatalf("%d alerts, want 1", len(r.al.sent))
			}
			a := r.al.sent[0]
			if len(a.Actions) != 1 || a.Actions[0].Status != tt.wantStatus || a.Actions[0].Action.Undo == "" {
				t.Errorf("alert actions %+v", a.Actions)
			}
			if a.Event.ID != "ev-1" || a.Event.Actor != "selfguard-code-guard-copy/session" || a.Event.ActorARN != impostorRole ||
				a.Event.SourceIP != "203.0.113.9" || a.Account != "123456789012" || a.Region != "eu-west-1" {
				t.Errorf("alert event %+v account %s region %s", a.Event, a.Account, a.Region)
			}
			entries := r.lg.Entries()
			if len(entries) != 1 || entries[0].Finding.Rule != "unsigned-code" || entries[0].Actions[0].Status != string(tt.wantStatus) {
				t.Errorf("ledger entries %+v", entries)
			}
			if len(r.lg.completed) != 1 || len(r.lg.released) != 0 {
				t.Errorf("claim completed %v released %v", r.lg.completed, r.lg.released)
			}
			var decision map[string]any
			for _, m := range r.logLines(t) {
				if m["decision"] == "finding" {
					decision = m
				}
			}
			wantMode := string(tt.mode)
			if wantMode == "" {
				wantMode = "monitor"
			}
			want := map[string]any{"event_id": "ev-1", "event_name": "UpdateFunctionCode20150331v2", "operation": "UpdateFunctionCode",
				"actor": "selfguard-code-guard-copy/session", "source_ip": "203.0.113.9", "resource": "payments-api",
				"rule": "unsigned-code", "severity": "high", "mode": wantMode, "request_id": "lambda-req-1", "guard": "code-guard"}
			for k, v := range want {
				if decision[k] != v {
					t.Errorf("decision log %s = %v, want %v (line %v)", k, decision[k], v, decision)
				}
			}
			if acts, _ := decision["action"].([]any); len(acts) != 1 || acts[0] != "contain" {
				t.Errorf("decision log action = %v", decision["action"])
			}
			if outs, _ := decision["outcome"].([]any); len(outs) != 1 || outs[0] != string(tt.wantStatus) {
				t.Errorf("decision log outcome = %v", decision["outcome"])
			}
		})
	}
}

func TestHandleDuplicateDeliveryActsOnce(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	for i := 0; i < 3; i++ {
		if err := r.handle(t); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.ev.evaluated) != 1 || len(r.ev.acted) != 1 || len(r.al.sent) != 1 {
		t.Fatalf("three deliveries gave %d evaluations, %d actions, %d alerts; want 1 each", len(r.ev.evaluated), len(r.ev.acted), len(r.al.sent))
	}
	if !r.logged(t, "reason", ReasonDuplicate) {
		t.Error("duplicate not logged")
	}
}

func TestHandlePermanentErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		name  string
		event events.CloudWatchEvent
		edit  func(*fakeEvaluator)
	}{
		{"another detail type", func() events.CloudWatchEvent {
			e := event(record(impostorRole, nil))
			e.DetailType = "Scheduled Event"
			return e
		}(), nil},
		{"a detail that is not a CloudTrail record", event(map[string]any{"hello": "world"}), nil},
		{"request parameters of the wrong shape", event(record(impostorRole, func(m map[string]any) { m["requestParameters"] = []int{1} })), nil},
		{"an evaluator that says the subject can never be judged", event(record(impostorRole, nil)),
			func(f *fakeEvaluator) { f.evalErr = &Permanent{Reason: "not a function ARN"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			r.event = tt.event
			if tt.edit != nil {
				tt.edit(r.ev)
			}
			if err := r.handle(t); err != nil {
				t.Fatalf("Handle returned %v; a permanent error must return nil", err)
			}
			if !r.logged(t, "reason", ReasonPermanent) {
				t.Errorf("permanent error not logged with its reason:\n%s", r.logs)
			}
			if len(r.ev.acted) != 0 || len(r.al.sent) != 0 {
				t.Errorf("acted %d, alerts %d", len(r.ev.acted), len(r.al.sent))
			}
		})
	}
}

func TestHandleTransientErrorsReleaseTheClaim(t *testing.T) {
	boom := errors.New("ThrottlingException: rate exceeded")
	tests := []struct {
		name string
		edit func(*rig)
	}{
		{"the evaluator cannot read AWS", func(r *rig) { r.ev.evalErr = boom }},
		{"SNS is unavailable", func(r *rig) { r.al.err = boom }},
		{"the audit write fails", func(r *rig) { r.lg.recordErr = boom }},
		{"the action fails", func(r *rig) { r.ev.actStatus, r.ev.actErr = OutcomeFailed, boom }},
		{"the evaluator panics", func(r *rig) { r.ev.panicIn = "evaluate" }},
		{"the action panics", func(r *rig) { r.ev.panicIn = "act" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			tt.edit(r)
			err := r.handle(t)
			if err == nil {
				t.Fatal("Handle returned nil; a transient failure must be retried")
			}
			if len(r.lg.released) != 1 || len(r.lg.completed) != 0 {
				t.Fatalf("claim released %v completed %v", r.lg.released, r.lg.completed)
			}
			// The retry, with the fault gone, is not mistaken for a duplicate.
			*r.ev = fakeEvaluator{decision: unsigned}
			r.al.err, r.lg.recordErr = nil, nil
			if err := r.handle(t); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if len(r.ev.evaluated) != 1 || len(r.lg.completed) != 1 {
				t.Errorf("retry evaluated %d, completed %v", len(r.ev.evaluated), r.lg.completed)
			}
		})
	}
}

func TestHandlePanicBecomesError(t *testing.T) {
	for _, where := range []string{"subjects", "evaluate", "act"} {
		t.Run(where, func(t *testing.T) {
			r := newRig(finding.ModeEnforce)
			r.ev.panicIn = where
			err := r.handle(t)
			var p *PanicError
			if !errors.As(err, &p) {
				t.Fatalf("Handle returned %v, want a PanicError", err)
			}
		})
	}
}

func TestHandleClaimFailureIsRetried(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.lg.claimErr = errors.New("dynamodb unavailable")
	if err := r.handle(t); err == nil {
		t.Fatal("Handle returned nil without a claim")
	}
	if len(r.ev.evaluated) != 0 {
		t.Error("evaluated without a claim")
	}
}

func TestHandleRefusedActionIsNotRetried(t *testing.T) {
	r := newRig(finding.ModeEnforce)
	r.ev.actStatus = OutcomeRefused
	if err := r.handle(t); err != nil {
		t.Fatal(err)
	}
	if len(r.al.sent) != 1 || r.al.sent[0].Actions[0].Status != alert.StatusRefused {
		t.Errorf("alerts %+v", r.al.sent)
	}
}

func TestEvaluateChangesNothing(t *testing.T) {
	ev := &fakeEvaluator{decision: unsigned}
	_, rec, err := cloudtrail.ParseEnvelope(mustJSON(t, event(record(impostorRole, nil))))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(context.Background(), ev, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Subject.Name != "payments-api" || len(got[0].Decision.Findings) != 1 {
		t.Fatalf("decisions %+v", got)
	}
	if len(ev.acted) != 0 {
		t.Errorf("Evaluate acted: %v", ev.acted)
	}
	ev.panicIn = "evaluate"
	if _, err := Evaluate(context.Background(), ev, rec); err == nil {
		t.Error("a panic in Evaluate was swallowed")
	}
}

// TestHandleRealRecord runs a CloudTrail record captured from AWS through
// the pipeline.
func TestHandleRealRecord(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail", "lambda-UpdateFunctionCode20150331v2.stratus-red-team.record.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("test data absent: %v", err)
		}
		t.Fatal(err)
	}
	r := newRig(finding.ModeMonitor)
	r.event = event(json.RawMessage(raw))
	if err := r.handle(t); err != nil {
		t.Fatal(err)
	}
	if len(r.ev.evaluated) != 1 || r.ev.evaluated[0].Name != "arn:aws:lambda:ap-westeast-2r:266106314375:function:stratus-red-team-olc-func-vayhjqkdav" {
		t.Fatalf("evaluated %+v", r.ev.evaluated)
	}
	if len(r.al.sent) != 1 || r.al.sent[0].Event.ID != "4672b74f-2466-4784-b3fb-5b4db904a995" || r.al.sent[0].Account != "266106314375" {
		t.Errorf("alerts %+v", r.al.sent)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
