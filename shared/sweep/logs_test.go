package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/sweep"
)

// bodies is a queue that keeps each batch as SQS would carry it.
type bodies struct {
	mu  sync.Mutex
	out []string
}

func (q *bodies) Send(_ context.Context, b sweep.Batch) error {
	body, err := b.Encode()
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.out = append(q.out, body)
	q.mu.Unlock()
	return nil
}

// TestSweepWorkerLogsWhatItRepairs: the worker's repairs go through the
// event guards' own actions, whose lines read the logger from the context.
// The worker's handler must put its logger there, or every remediation of
// the sweep goes unlogged.
func TestSweepWorkerLogsWhatItRepairs(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, repairableWorld(), finding.ModeEnforce)
	runs := &sweep.MemoryRuns{}
	if err := runs.Start(ctx, "run-logs", time.Now()); err != nil {
		t.Fatal(err)
	}
	q := &bodies{}
	l := tb.lister()
	l.Queue = q
	st, err := l.List(ctx, "run-logs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Listed(ctx, "run-logs", st); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &sweep.WorkerHandler{Worker: *tb.worker(nil), Runs: runs, Findings: &ledger.Memory{},
		Notify: &sweep.Alerts{Sender: &sender{}, Account: account, Region: region, Mode: tb.cfg.Mode}, Log: zerolog.New(&logs)}
	var e events.SQSEvent
	for i, b := range q.out {
		e.Records = append(e.Records, events.SQSMessage{MessageId: string(rune('a' + i)), Body: b})
	}
	resp, err := h.Handle(ctx, e)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("worker: %v, failures %v", err, resp.BatchItemFailures)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["message"] == "remediation" || m["message"] == "repository action" {
			seen[m[logging.FieldResource].(string)+" "+m[logging.FieldAction].(string)+" "+m[logging.FieldOutcome].(string)] = true
		}
	}
	for _, want := range []string{"tampered lambda.restore-code done", "released-latest:live lambda.move-alias done", "unreviewed "} {
		found := false
		for k := range seen {
			if strings.HasPrefix(k, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no remediation line for %q; lines with an action: %v\nall:\n%s", want, seen, logs.String())
		}
	}
}
