package lambdaguard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// inbox keeps the alerts the handler sends.
type inbox struct {
	mu   sync.Mutex
	sent []alert.Alert
}

func (i *inbox) Send(_ context.Context, a alert.Alert) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.sent = append(i.sent, a)
	return nil
}

// run is one handler run of the Lambda guard on the emulator, with what it
// logged, alerted and recorded.
type run struct {
	logs   bytes.Buffer
	alerts inbox
	ledger ledger.Memory
}

// handle delivers the newest event of the emulator's trail to a pipeline
// handler running the bed's guard, as EventBridge would.
func (b *bed) handle(t *testing.T) *run {
	t.Helper()
	trail := b.srv.Env.Trail.Since(0)
	var e events.CloudWatchEvent
	if err := json.Unmarshal(trail[len(trail)-1].Event, &e); err != nil {
		t.Fatal(err)
	}
	r := &run{}
	h := &pipeline.Handler{Name: "lambda-guard", Evaluator: b.guard, Settings: b.guard.Settings,
		Alerter: &r.alerts, Ledger: &r.ledger, Logger: zerolog.New(&r.logs)}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	if err := h.Handle(ctx, e); err != nil {
		t.Fatalf("handle %s: %v", e.ID, err)
	}
	return r
}

// lines parses the run's log lines, failing on a key written twice in one
// line (JSON decoders keep the last one silently, and so do log queries).
func (r *run) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		m := map[string]any{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if _, dup := m[k.(string)]; dup {
				t.Errorf("key %q twice in %s", k, line)
			}
			m[k.(string)] = v
		}
		out = append(out, m)
	}
	return out
}

func (r *run) withMessage(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range r.lines(t) {
		if m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestRemediationsAreLoggedWithTheEvent runs a real handler on an unsigned
// overwrite: the remediation line, written deep in the guard's action, must
// reach the handler's log with the event's fields and the agreed names.
func TestRemediationsAreLoggedWithTheEvent(t *testing.T) {
	b := newBed(t)
	b.weakenCSC(t)
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("pay"), ZipFile: lambdaemu.ZipOf(map[string]string{"bootstrap": "backdoor 2"})}); err != nil {
		t.Fatal(err)
	}
	r := b.handle(t)
	rem := r.withMessage(t, "remediation")
	if len(rem) == 0 {
		t.Fatalf("no remediation line; the log was:\n%s", r.logs.String())
	}
	want := map[string]any{
		logging.FieldGuard: "lambda-guard", logging.FieldRequestID: "req-1", logging.FieldEventName: "UpdateFunctionCode20150331v2",
		logging.FieldActor: "mallory", logging.FieldSubject: "pay", logging.FieldResource: "pay",
		logging.FieldAction: "lambda.restore-code", logging.FieldOutcome: "done",
	}
	for k, v := range want {
		if rem[0][k] != v {
			t.Errorf("remediation line %s = %v, want %v (%v)", k, rem[0][k], v, rem[0])
		}
	}
	for _, k := range []string{logging.FieldEventID, logging.FieldDetail} {
		if s, _ := rem[0][k].(string); s == "" {
			t.Errorf("remediation line has no %s: %v", k, rem[0])
		}
	}
	for _, m := range r.lines(t) {
		if _, ok := m["status"]; ok {
			t.Errorf("line uses status, not outcome: %v", m)
		}
	}
	decided := false
	for _, m := range r.lines(t) {
		decided = decided || m[logging.FieldDecision] == "finding" && m[logging.FieldResource] == "pay"
	}
	if !decided {
		t.Errorf("no decision line on pay in\n%s", r.logs.String())
	}
}

// TestLogAlertAndLedgerTellWhatWasDone: a restore Lambda refuses (the
// trusted version's signature has expired) ends in containment. The
// decision line, the alert and the audit entry must all say so, each built
// from the same outcome, not one the plan and another the fallback.
func TestLogAlertAndLedgerTellWhatWasDone(t *testing.T) {
	b := newBed(t)
	b.srv.Env.Clock.Advance(2 * time.Hour) // version 1's signature has expired
	if _, err := b.as(emulator.ActorAttacker).UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("stale"), Description: aws.String("touched")}); err != nil {
		t.Fatal(err)
	}
	r := b.handle(t)
	const rule = "lambda.unsigned-code"
	const want = "lambda.contain done"

	var logged []string
	for _, m := range r.lines(t) {
		if m[logging.FieldDecision] == "finding" && m[logging.FieldRule] == rule {
			logged = append(logged, fmt.Sprint(m[logging.FieldAction], " ", m[logging.FieldOutcome]))
		}
	}
	if len(logged) != 1 || logged[0] != "[lambda.contain] [done]" {
		t.Errorf("decision line says %v, want [lambda.contain] [done]", logged)
	}
	var alerted []string
	for _, a := range r.alerts.sent {
		if string(a.Finding.Rule) == rule {
			attrs := alert.Format(a).Attributes
			alerted = append(alerted, attrs[alert.AttrAction]+" "+attrs[alert.AttrOutcome])
		}
	}
	if len(alerted) != 1 || alerted[0] != want {
		t.Errorf("alert says %v, want %q", alerted, want)
	}
	var recorded []string
	for _, e := range r.ledger.Entries() {
		if string(e.Finding.Rule) == rule {
			for _, a := range e.Actions {
				kind := string(a.Action.Kind)
				if a.Taken != nil {
					kind = string(a.Taken.Kind)
				}
				recorded = append(recorded, kind+" "+a.Status)
			}
		}
	}
	if len(recorded) != 1 || recorded[0] != want {
		t.Errorf("audit entry says %v, want %q", recorded, want)
	}
}
