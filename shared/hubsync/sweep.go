package hubsync

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/report"
)

// Sweep keeps Security Hub in step with the sweep: at the end of each run
// it imports every finding still open in the account and region, first
// seen when the ledger first saw it, and archives the ones the run closed.
// It is the sweep's Tracker.Hub.
type Sweep struct {
	Hub             Sync
	Account, Region string
}

// Sync implements the sweep's hook with the findings open after a run.
func (s Sweep) Sync(ctx context.Context, open []ledger.Open) error {
	r := &report.Report{GeneratedAt: time.Now().UTC()}
	for _, o := range open {
		r.Items = append(r.Items, report.Item{Account: s.Account, Region: s.Region, Finding: o.Finding})
	}
	fs := r.ASFF()
	for i, o := range open {
		if !o.FirstSeen.IsZero() {
			fs[i].FirstObservedAt = aws.String(o.FirstSeen.UTC().Format(report.ASFFTime))
		}
	}
	res, err := s.Hub.Run(ctx, fs, Scope{Account: s.Account, Region: s.Region, Archive: true})
	if err != nil {
		return fmt.Errorf("security hub: %w", err)
	}
	if res.Failed > 0 {
		return fmt.Errorf("security hub refused %d findings: %v", res.Failed, res.Failures)
	}
	return nil
}

// EnvEnabled is the variable template.yaml sets from its SecurityHub
// parameter: "true" when the sweep sends its findings to Security Hub.
const EnvEnabled = "SELFGUARD_SECURITY_HUB"

// Enabled reports whether the deployment sends its findings to Security Hub.
func Enabled(getenv func(string) string) bool { return getenv(EnvEnabled) == "true" }

// Guard keeps Security Hub in step with an event-driven guard: after each
// judgement of a resource it imports the resource's findings and archives
// the ones on it that are gone. It is the pipeline's Handler.Hub.
type Guard struct {
	Hub Sync
}

// Judged implements the pipeline's hook for one judged resource.
func (g Guard) Judged(ctx context.Context, account, region, resource string, findings []finding.Finding) error {
	r := &report.Report{GeneratedAt: time.Now().UTC()}
	for _, f := range findings {
		r.Items = append(r.Items, report.Item{Account: account, Region: region, Finding: f})
	}
	res, err := g.Hub.Run(ctx, r.ASFF(), Scope{Account: account, Region: region, Archive: true, Resource: resource})
	if err != nil {
		return fmt.Errorf("security hub: %w", err)
	}
	if res.Failed > 0 {
		return fmt.Errorf("security hub refused %d findings: %v", res.Failed, res.Failures)
	}
	return nil
}
