package orgaudit

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/selfguard/selfguard/infra/readonly"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/sweep"
)

// auditTarget runs the sweep's lister and worker, read-only, in one
// account-region with a rate limiter of its own: each account-region has
// its own 15/s Lambda bucket, so budgets do not add up across them.
func (r *runner) auditTarget(ctx context.Context, t target) (targetStats, error) {
	cfg := r.opts.Base.Copy()
	cfg.Region, cfg.Credentials = t.region, t.creds
	limiter := ratelimit.New(r.opts.Rate, nil)
	lam := lambda.NewFromConfig(cfg, limiter.LambdaOptions(), func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	cc := codecommit.NewFromConfig(cfg, func(o *codecommit.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	cg := codegurureviewer.NewFromConfig(cfg, func(o *codegurureviewer.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	set := r.opts.Settings
	set.Mode = finding.ModeMonitor
	col := &collector{account: t.account.ID, region: t.region, onItem: r.opts.OnItem}
	l := &sweep.Lister{Lambda: lam, Settings: set, SkipFunctions: r.opts.RepositoriesOnly}
	if !r.opts.FunctionsOnly {
		l.Repositories = cc
	}
	// No actors: the audit cannot act whatever the mode says.
	w := &sweep.Worker{Aliases: lam, Decide: decide.Decide, Repositories: repoguard.New(cc, cg, set), Settings: set, Sink: col}
	st, err := sweep.RunLocal(ctx, l, w, r.opts.Workers, "org-audit-"+t.account.ID+"-"+t.region)
	return targetStats{functions: st.Functions, repositories: st.Repositories, items: col.items}, err
}

// collector turns one account-region's sweep results into report items.
type collector struct {
	account, region string
	onItem          func(report.Item)
	mu              sync.Mutex
	items           []report.Item
}

func (c *collector) Result(_ context.Context, res sweep.Result) error {
	for _, f := range res.Decision.Findings {
		it := report.Item{Account: c.account, Region: c.region, Finding: f}
		for _, a := range res.Decision.Actions {
			for _, rule := range a.For {
				if rule == f.Rule {
					it.Actions = append(it.Actions, a)
					break
				}
			}
		}
		if c.onItem != nil {
			c.onItem(it)
			continue
		}
		c.mu.Lock()
		c.items = append(c.items, it)
		c.mu.Unlock()
	}
	return nil
}

// reason says in one line why a call failed: the AWS error code and
// message when there is one (AccessDenied, UnrecognizedClientException),
// else the error.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}
