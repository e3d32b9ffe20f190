package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/hubsync"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/sweep"
)

// TestTheSweepSendsAndResolvesItsFindingsInSecurityHub: with a Hub, a run
// that finds unsigned code makes an active Security Hub finding, and the
// next run, which no longer finds it, archives it as passed.
func TestTheSweepSendsAndResolvesItsFindingsInSecurityHub(t *testing.T) {
	ctx := context.Background()
	m := motoClients(t)
	table := m.table(t)
	hub := securityhub.NewFromConfig(motoServer.Config(region))
	runs := &sweep.Runs{DB: m.db, Table: table}
	run := func(name string, started time.Time, results ...sweep.Result) {
		t.Helper()
		tr := &sweep.Tracker{
			Run: name, Mode: finding.ModeMonitor, Findings: ledger.NewTable(m.db, table), Runs: runs,
			Notify: &sweep.Alerts{Sender: noAlerts{}, Account: account, Region: region, Mode: finding.ModeMonitor},
			Hub:    hubsync.Sweep{Hub: hubsync.Sync{API: hub}, Account: account, Region: region},
		}
		if err := runs.Start(ctx, name, started); err != nil {
			t.Fatal(err)
		}
		if _, err := runs.Listed(ctx, name, sweep.ListStats{Batches: 1, Functions: 1}); err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if err := tr.Result(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.BatchDone(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	state := func() (shtypes.RecordState, shtypes.ComplianceStatus) {
		t.Helper()
		out, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Findings {
			if aws.ToString(f.Id) == "selfguard/"+account+"/"+region+"/lambda.unsigned-code/function/payments-api" {
				return f.RecordState, f.Compliance.Status
			}
		}
		return "", ""
	}

	run("run-hub-1", time.Now().Add(-time.Hour), unsignedResult())
	if rs, cs := state(); rs != shtypes.RecordStateActive || cs != shtypes.ComplianceStatusFailed {
		t.Fatalf("after the first run: %s %s, want ACTIVE FAILED", rs, cs)
	}
	run("run-hub-2", time.Now())
	if rs, cs := state(); rs != shtypes.RecordStateArchived || cs != shtypes.ComplianceStatusPassed {
		t.Errorf("after the fix: %s %s, want ARCHIVED PASSED", rs, cs)
	}
}

// noAlerts drops the sweep's alerts: this test watches Security Hub.
type noAlerts struct{}

func (noAlerts) Send(context.Context, alert.Alert) error          { return nil }
func (noAlerts) SendSummary(context.Context, alert.Summary) error { return nil }
