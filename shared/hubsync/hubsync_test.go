package hubsync

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/selfguard/selfguard/infra/moto"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/rules"
)

var motoServer *moto.Server

func TestMain(m *testing.M) { os.Exit(moto.Run(m, &motoServer)) }

const (
	acct   = "123456789012" // moto's account
	region = "eu-west-1"
)

func reportOf(n int, at time.Time) *report.Report {
	r := &report.Report{GeneratedAt: at}
	for i := 0; i < n; i++ {
		r.Items = append(r.Items, report.Item{Account: acct, Region: region,
			Finding: rules.Finding(rules.UnsignedCode, fmt.Sprintf("fn-%03d", i), "", "unsigned code in $LATEST", "")})
	}
	return r
}

func byID(t *testing.T, api *securityhub.Client) map[string]shtypes.AwsSecurityFinding {
	t.Helper()
	out := map[string]shtypes.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(api, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			out[aws.ToString(f.Id)] = f
		}
	}
	return out
}

func TestImportInBatchesThenArchiveWhatIsFixed(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	api := securityhub.NewFromConfig(motoServer.Config(region))
	ctx := context.Background()
	// Someone else's finding in the same hub: never touched.
	other := reportOf(1, time.Now()).ASFF()[0]
	other.Id, other.GeneratorId = aws.String("scanner/1"), aws.String("scanner/check")
	if _, err := api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{other}}); err != nil {
		t.Fatal(err)
	}

	first := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	sync := Sync{API: api, Now: func() time.Time { return first }}
	res, err := sync.Run(ctx, reportOf(150, first).ASFF(), Scope{Account: acct, Region: region, Archive: true})
	if err != nil || res.Imported != 150 || res.Archived != 0 || res.Failed != 0 {
		t.Fatalf("first import: %+v, %v", res, err)
	}

	// Next day fn-000 is fixed; the rest are still found.
	later := first.Add(24 * time.Hour)
	sync.Now = func() time.Time { return later }
	now := reportOf(150, later)
	now.Items = now.Items[1:]
	res, err = sync.Run(ctx, now.ASFF(), Scope{Account: acct, Region: region, Archive: true})
	if err != nil || res.Imported != 149 || res.Archived != 1 {
		t.Fatalf("second import: %+v, %v", res, err)
	}

	got := byID(t, api)
	fixed := got[report.ASFFID(reportOf(1, first).Items[0])]
	if fixed.RecordState != shtypes.RecordStateArchived || fixed.Compliance == nil || fixed.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("the fixed finding is %s, compliance %+v; want ARCHIVED and PASSED", fixed.RecordState, fixed.Compliance)
	}
	open := got[report.ASFFID(now.Items[0])]
	if open.RecordState != shtypes.RecordStateActive || aws.ToString(open.FirstObservedAt) != "2026-11-01T09:00:00.000Z" ||
		aws.ToString(open.LastObservedAt) != "2026-11-02T09:00:00.000Z" || aws.ToString(open.CreatedAt) != "2026-11-01T09:00:00.000Z" {
		t.Errorf("a still-open finding: state %s first %s last %s created %s", open.RecordState,
			aws.ToString(open.FirstObservedAt), aws.ToString(open.LastObservedAt), aws.ToString(open.CreatedAt))
	}
	if o := got["scanner/1"]; o.RecordState != shtypes.RecordStateActive {
		t.Errorf("another product's finding was archived: %s", o.RecordState)
	}
}

func TestAFilteredRunArchivesNothing(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	api := securityhub.NewFromConfig(motoServer.Config("us-west-2"))
	ctx := context.Background()
	r := &report.Report{GeneratedAt: time.Now(), Items: []report.Item{
		{Account: acct, Region: "us-west-2", Finding: rules.Finding(rules.UnsignedCode, "a", "", "s", "")},
		{Account: acct, Region: "us-west-2", Finding: finding.Finding{Rule: rules.AliasLatest, Severity: finding.SeverityHigh, Resource: "b:live", ResourceType: finding.ResourceAlias}},
	}}
	if _, err := (Sync{API: api}).Run(ctx, r.ASFF(), Scope{Account: acct, Region: "us-west-2", Archive: true}); err != nil {
		t.Fatal(err)
	}
	r.Items = r.Items[:1]
	res, err := (Sync{API: api}).Run(ctx, r.ASFF(), Scope{Account: acct, Region: "us-west-2"})
	if err != nil || res.Archived != 0 {
		t.Errorf("a run that did not see everything archived %d (%v)", res.Archived, err)
	}
}

// TestAGuardArchivesOnlyTheResourceItJudged: after a guard judged one
// function clean, that function's findings (and its alias's) are archived;
// another function's stay active.
func TestAGuardArchivesOnlyTheResourceItJudged(t *testing.T) {
	if motoServer == nil {
		t.Skip("moto_server not installed and CI unset")
	}
	const reg = "ap-southeast-2"
	api := securityhub.NewFromConfig(motoServer.Config(reg))
	ctx := context.Background()
	g := Guard{Hub: Sync{API: api}}
	pay := []finding.Finding{rules.Finding(rules.UnsignedCode, "pay", "", "s", ""), rules.Finding(rules.AliasLatest, "pay:live", "", "s", "")}
	if err := g.Judged(ctx, acct, reg, "pay", pay); err != nil {
		t.Fatal(err)
	}
	if err := g.Judged(ctx, acct, reg, "payroll", []finding.Finding{rules.Finding(rules.UnsignedCode, "payroll", "", "s", "")}); err != nil {
		t.Fatal(err)
	}
	if err := g.Judged(ctx, acct, reg, "pay", nil); err != nil {
		t.Fatal(err)
	}
	states := map[string]shtypes.RecordState{}
	for id, f := range byID(t, api) {
		if aws.ToString(f.Region) == reg {
			states[id[strings.LastIndex(id, "/")+1:]] = f.RecordState
		}
	}
	want := map[string]shtypes.RecordState{"pay": shtypes.RecordStateArchived, "pay:live": shtypes.RecordStateArchived, "payroll": shtypes.RecordStateActive}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("%s is %s, want %s (all: %v)", k, states[k], v, states)
		}
	}
}
