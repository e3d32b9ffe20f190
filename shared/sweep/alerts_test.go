package sweep_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/sweep"
)

func unsignedResult() sweep.Result {
	return sweep.Result{
		Subject: pipeline.Subject{Type: finding.ResourceFunction, Name: "payments-api"},
		Decision: finding.Decision{Findings: []finding.Finding{{
			Rule: "lambda.unsigned-code", Severity: finding.SeverityHigh, ResourceType: finding.ResourceFunction,
			Resource: "payments-api", Summary: "code is not signed",
		}}},
	}
}

func TestTrackerAlertsReachTheTopicsSubscriber(t *testing.T) {
	ctx := context.Background()
	m := motoClients(t)
	table := m.table(t)
	topic, inbox := m.topic(t)
	runs := &sweep.Runs{DB: m.db, Table: table}
	tr := &sweep.Tracker{
		Run: "run-1", Mode: finding.ModeMonitor, Findings: ledger.NewTable(m.db, table), Runs: runs,
		Notify: &sweep.Alerts{Sender: &alert.Publisher{Client: m.sns, TopicARN: topic}, Account: account, Region: region, Mode: finding.ModeMonitor},
	}
	if err := runs.Start(ctx, "run-1", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Listed(ctx, "run-1", sweep.ListStats{Batches: 1, Functions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Result(ctx, unsignedResult()); err != nil {
		t.Fatal(err)
	}
	if err := tr.BatchDone(ctx, 0); err != nil {
		t.Fatal(err)
	}
	got := m.notifications(t, inbox)
	if len(got) != 2 {
		t.Fatalf("%d notifications, want the finding's alert and the summary: %+v", len(got), got)
	}
	byKind := map[string]notification{}
	for _, n := range got {
		byKind[n.attr(alert.AttrKind)] = n
	}
	f, s := byKind["finding"], byKind["summary"]
	checks := []struct {
		name, got, want string
	}{
		{"finding severity", f.attr(alert.AttrSeverity), "high"},
		{"finding rule", f.attr(alert.AttrRule), "lambda.unsigned-code"},
		{"finding resource", f.attr(alert.AttrResource), "payments-api"},
		{"finding mode", f.attr(alert.AttrMode), "monitor"},
		{"finding account", f.attr(alert.AttrAccount), account},
		{"summary severity", s.attr(alert.AttrSeverity), "high"},
		{"summary region", s.attr(alert.AttrRegion), region},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(f.Subject, "payments-api") || !strings.Contains(f.Message, sweep.EventName) {
		t.Errorf("finding alert subject %q, body:\n%s", f.Subject, f.Message)
	}
	if !strings.Contains(s.Subject, "1 open after sweep finding") {
		t.Errorf("summary subject %q", s.Subject)
	}
}

// flaky fails the first n alerts, then passes them to the real publisher.
type flaky struct {
	alert.Publisher
	fails atomic.Int64
}

func (f *flaky) Send(ctx context.Context, a alert.Alert) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("sns: throttled")
	}
	return f.Publisher.Send(ctx, a)
}

func TestAnAlertThatFailedIsSentOnceByTheRetry(t *testing.T) {
	ctx := context.Background()
	m := motoClients(t)
	table := m.table(t)
	topic, inbox := m.topic(t)
	ledgers := map[string]sweep.Findings{"dynamodb": ledger.NewTable(m.db, table), "memory": &ledger.Memory{}}
	for impl, l := range ledgers {
		t.Run(impl, func(t *testing.T) {
			send := &flaky{Publisher: alert.Publisher{Client: m.sns, TopicARN: topic}}
			send.fails.Store(1)
			tr := &sweep.Tracker{
				Run: "run-" + impl, Mode: finding.ModeMonitor, Findings: l, Runs: &sweep.MemoryRuns{},
				Notify: &sweep.Alerts{Sender: send, Account: account, Region: region, Mode: finding.ModeMonitor},
			}
			if err := tr.Result(ctx, unsignedResult()); err == nil {
				t.Fatal("the failed alert was not reported: the batch would not be retried")
			}
			for i := 0; i < 3; i++ { // the retry, then later redeliveries
				if err := tr.Result(ctx, unsignedResult()); err != nil {
					t.Fatalf("delivery %d: %v", i+2, err)
				}
			}
			got := m.notifications(t, inbox)
			if len(got) != 1 {
				t.Fatalf("%d alerts reached the subscriber, want exactly 1", len(got))
			}
			open, err := l.OpenFindings(ctx)
			if err != nil || len(open) != 1 {
				t.Fatalf("open findings %+v, %v; want the finding still open", open, err)
			}
		})
	}
}
