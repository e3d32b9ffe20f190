package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/settings"
)

// Defaults.
const (
	// DefaultRate is the control-plane calls per second the audit takes
	// in each account-region, of Lambda's 15: what the guards and the
	// customer's deploys leave with the guards at their default 5.
	DefaultRate = 5
	// DefaultParallel bounds the account-regions audited at once. An
	// account-region mostly waits on its own rate budget, so many run
	// side by side for little memory each; the bound keeps memory flat
	// however large the organization.
	DefaultParallel = 128
	// DefaultRole is the audit role's name in infra/org/audit-role.yaml.
	DefaultRole = "selfguard-audit"
	// DefaultSessionName names the audit's role sessions in the members'
	// CloudTrail.
	DefaultSessionName = "selfguard-audit"
	// homeRegion is where account:ListRegions is asked when the base
	// configuration has no region.
	homeRegion = "us-east-1"
)

// Options configure an organization audit.
type Options struct {
	Accounts []Account
	// Regions are audited in every account; empty means each account's
	// enabled regions. A listed region an account has not enabled is
	// reported unreachable in that account.
	Regions []string
	// Role is the name of the read-only role assumed in each account
	// (infra/org/audit-role.yaml); empty audits with Base's credentials
	// as they are (one account, the caller's).
	Role string
	// Partition of the role ARNs (default "aws").
	Partition string
	// Base is the caller's SDK configuration (the management or security
	// account): its credentials assume the roles; its region is where
	// account:ListRegions is asked.
	Base aws.Config
	// Rate is the control-plane calls per second per account-region
	// (default DefaultRate, at most 15).
	Rate float64
	// Parallel bounds the account-regions audited at once (default
	// DefaultParallel).
	Parallel int
	// Workers evaluate functions at once within one account-region
	// (default 2).
	Workers int
	// Settings judge the findings (mode is forced to monitor).
	Settings                        settings.Settings
	FunctionsOnly, RepositoriesOnly bool
	// Progress, when set, is told when an account-region starts, ends or
	// is found unreachable. It may be called from several goroutines.
	Progress func(Progress)
	// OnItem, when set, receives each finding as it is made instead of the
	// result keeping it (a caller streaming, or counting, findings).
	OnItem func(report.Item)
}

// Progress is one step of the audit.
type Progress struct {
	Stage        Stage
	Account      string
	Region       string
	Functions    int
	Repositories int
	// Reason says why an account-region is unreachable.
	Reason string
	// Done counts the account-regions finished (reached or not) so far.
	Done int
}

// Stage names a progress step.
type Stage string

// Stages of an account-region.
const (
	StageStart       Stage = "start"
	StageDone        Stage = "done"
	StageUnreachable Stage = "unreachable"
)

// Run audits every account-region of opts and returns one result. Only a
// bad option fails it: whatever cannot be reached is in Unreachable.
func Run(ctx context.Context, opts Options) (*Result, error) {
	r, err := newRunner(opts)
	if err != nil {
		return nil, err
	}
	return r.run(ctx), nil
}

// target is one account-region to audit, with the account's credentials.
type target struct {
	account Account
	region  string
	creds   aws.CredentialsProvider
}

// targetStats is what auditing one account-region found.
type targetStats struct {
	functions, repositories int
	items                   []report.Item
}

type runner struct {
	opts Options
	sts  stscreds.AssumeRoleAPIClient
	// regionsAPI builds the Account Management client for an account's
	// credentials; audit runs one account-region. Tests replace both.
	regionsAPI func(creds aws.CredentialsProvider) RegionsAPI
	audit      func(ctx context.Context, t target) (targetStats, error)

	mu     sync.Mutex
	res    *Result
	done   int
	region map[string]bool
}

func newRunner(opts Options) (*runner, error) {
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.Rate < 0 || opts.Rate > 15 {
		return nil, fmt.Errorf("rate %v: want above 0 and at most 15 (Lambda's per account-region quota)", opts.Rate)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	if opts.FunctionsOnly && opts.RepositoriesOnly {
		return nil, errors.New("functions-only and repositories-only exclude each other")
	}
	if len(opts.Accounts) == 0 {
		return nil, errors.New("no accounts to audit")
	}
	r := &runner{opts: opts, sts: sts.NewFromConfig(opts.Base), region: map[string]bool{}}
	r.res = &Result{Report: &report.Report{GeneratedAt: time.Now().UTC()}}
	r.regionsAPI = func(creds aws.CredentialsProvider) RegionsAPI {
		cfg := opts.Base.Copy()
		cfg.Credentials = creds
		if cfg.Region == "" {
			cfg.Region = homeRegion
		}
		return account.NewFromConfig(cfg)
	}
	r.audit = r.auditTarget
	return r, nil
}

// run plans and audits the accounts: account workers assume each
// account's role and find its regions, then audit the regions side by
// side, all account-regions together bounded by opts.Parallel.
func (r *runner) run(ctx context.Context) *Result {
	accounts := make(chan Account)
	slots := make(chan struct{}, r.opts.Parallel)
	var wg sync.WaitGroup
	for range min(r.opts.Parallel, len(r.opts.Accounts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range accounts {
				r.account(ctx, a, slots)
			}
		}()
	}
	for _, a := range r.opts.Accounts {
		accounts <- a
	}
	close(accounts)
	wg.Wait()
	r.finish()
	return r.res
}

// account audits one account's regions.
func (r *runner) account(ctx context.Context, a Account, slots chan struct{}) {
	targets := r.plan(ctx, a)
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				r.unreachable(t.account.ID, t.region, fmt.Sprintf("not started: %v", ctx.Err()))
				return
			}
			defer func() { <-slots }()
			r.runTarget(ctx, t)
		}()
	}
	wg.Wait()
}

// plan assumes the account's role and lists its regions; what fails is
// reported unreachable and yields no targets.
func (r *runner) plan(ctx context.Context, a Account) []target {
	if !a.Active() {
		r.unreachable(a.ID, "", "account "+strings.ToLower(a.State))
		return nil
	}
	creds, err := r.credentials(ctx, a)
	if err != nil {
		r.unreachable(a.ID, "", "assume role: "+reason(err))
		return nil
	}
	enabled, lerr := enabledRegions(ctx, r.regionsAPI(creds))
	regions := r.opts.Regions
	switch {
	case len(regions) == 0 && lerr != nil:
		r.unreachable(a.ID, "", "list enabled regions: "+reason(lerr))
		return nil
	case len(regions) == 0:
		regions = enabled
	}
	var out []target
	for _, region := range regions {
		// A role without account:ListRegions still audits the regions
		// asked for; a region known to be off is not tried.
		if lerr == nil && !slices.Contains(enabled, region) {
			r.unreachable(a.ID, region, "region not enabled in this account")
			continue
		}
		out = append(out, target{account: a, region: region, creds: creds})
	}
	return out
}

// credentials assumes the audit role in the account (once, cached for all
// its regions), or hands back the caller's own without a role.
func (r *runner) credentials(ctx context.Context, a Account) (aws.CredentialsProvider, error) {
	if r.opts.Role == "" {
		return r.opts.Base.Credentials, nil
	}
	arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", r.opts.Partition, a.ID, r.opts.Role)
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(r.sts, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = DefaultSessionName
	}))
	if _, err := p.Retrieve(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (r *runner) runTarget(ctx context.Context, t target) {
	r.progress(Progress{Stage: StageStart, Account: t.account.ID, Region: t.region})
	st, err := r.audit(ctx, t)
	r.mu.Lock()
	r.res.Functions += st.functions
	r.res.Repositories += st.repositories
	r.res.Items = append(r.res.Items, st.items...)
	r.region[t.region] = true
	if err == nil {
		r.res.Accounts = appendOnce(r.res.Accounts, t.account.ID)
	}
	r.mu.Unlock()
	if err != nil {
		msg := reason(err)
		if st.functions+st.repositories > 0 {
			msg = fmt.Sprintf("incomplete after %d functions and %d repositories: %s", st.functions, st.repositories, msg)
		}
		r.unreachable(t.account.ID, t.region, msg)
		return
	}
	r.progress(Progress{Stage: StageDone, Account: t.account.ID, Region: t.region, Functions: st.functions, Repositories: st.repositories})
}

func (r *runner) unreachable(account, region, why string) {
	r.mu.Lock()
	r.res.Unreachable = append(r.res.Unreachable, Unreachable{Account: account, Region: region, Reason: why})
	r.mu.Unlock()
	r.progress(Progress{Stage: StageUnreachable, Account: account, Region: region, Reason: why})
}

func (r *runner) progress(p Progress) {
	if p.Stage != StageStart {
		r.mu.Lock()
		r.done++
		p.Done = r.done
		r.mu.Unlock()
	}
	if r.opts.Progress != nil {
		r.opts.Progress(p)
	}
}

// finish orders what the goroutines gathered, so output is stable.
func (r *runner) finish() {
	for region := range r.region {
		r.res.Regions = append(r.res.Regions, region)
	}
	sort.Strings(r.res.Regions)
	sort.Strings(r.res.Accounts)
	sort.Slice(r.res.Unreachable, func(i, j int) bool {
		a, b := r.res.Unreachable[i], r.res.Unreachable[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	r.res.Sort()
}

func appendOnce(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
