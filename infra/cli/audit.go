package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfguard/selfguard/infra/readonly"
	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/settings"
	"github.com/selfguard/selfguard/shared/sweep"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, settings.List(v)...)
	return nil
}

type auditOptions struct {
	format                          report.Format
	out                             outputFlags
	regions, rules, resources       listFlag
	profile                         string
	functionsOnly, repositoriesOnly bool
	rate                            float64
	workers                         int
	judge                           judgeFlags
	importHub                       bool
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var o auditOptions
	format := fs.String("format", "table", "output: "+strings.Join(report.Formats(), ", "))
	o.out.register(fs, "high")
	fs.Var(&o.regions, "region", "region to audit (repeatable or comma-separated; default: the SDK's)")
	fs.StringVar(&o.profile, "profile", "", "shared config profile (default: the SDK's)")
	fs.Var(&o.rules, "rule", "only report these rules (patterns, repeatable)")
	fs.Var(&o.resources, "resource", "only report these resources (name patterns, repeatable)")
	fs.BoolVar(&o.functionsOnly, "functions-only", false, "audit Lambda functions only")
	fs.BoolVar(&o.repositoriesOnly, "repositories-only", false, "audit CodeCommit repositories only")
	fs.Float64Var(&o.rate, "rate", settings.DefaultLambdaRate, "Lambda control-plane calls per second to spend (of the account's 15)")
	fs.IntVar(&o.workers, "workers", 2, "functions evaluated at once")
	org := orgFlags(fs)
	fs.BoolVar(&o.importHub, "import", false, "also import the findings into AWS Security Hub (BatchImportFindings) and archive selfguard's findings that are fixed")
	o.judge.register(fs)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	var err error
	if o.format, err = report.ParseFormat(*format); err == nil {
		err = o.out.check()
	}
	if err == nil && o.functionsOnly && o.repositoriesOnly {
		err = errors.New("--functions-only and --repositories-only exclude each other")
	}
	if err == nil && (o.rate <= 0 || o.rate > 15) {
		err = fmt.Errorf("--rate %v: want above 0 and at most 15", o.rate)
	}
	if err == nil {
		err = o.judge.check()
	}
	if err == nil && o.judge.stack == "" {
		// Settings that do not come from a stack are checked before any call.
		_, err = o.judge.settings(ctx, nil)
	}
	if err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", err)
		return ExitUsage
	}
	if org.accountsFrom != "" {
		if o.judge.stack != "" {
			fmt.Fprintln(stderr, "selfguard audit: --stack reads one account's stack; with --accounts-from pass --config or the flags")
			return ExitUsage
		}
		cfg, _ := o.judge.settings(ctx, nil)
		// Audit never repairs, whatever SELFGUARD_MODE says.
		cfg.Mode = finding.ModeMonitor
		if len(cfg.TrustedProfiles) == 0 {
			fmt.Fprintf(stderr, "selfguard audit: warning: %s\n", WarnNoTrustedProfile)
		}
		return runOrgAudit(ctx, o, *org, cfg, stdout, stderr)
	}
	info := o.out.info(stderr)
	rep, err := audit(ctx, o, newProgress(info), o.out.debug(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", explain(err))
		return ExitError
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(info, "selfguard audit: warning: %s\n", w)
	}
	rep.Filter(o.rules, o.resources)
	rep.Sort()
	if o.importHub {
		if err := importFindings(ctx, o, rep, info); err != nil {
			fmt.Fprintf(stderr, "selfguard audit: %v\n", explain(err))
			return ExitError
		}
	}
	if err := o.out.write(stdout, func(w io.Writer) error { return rep.Write(w, o.format) }); err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", err)
		return ExitError
	}
	if min, on, _ := o.out.threshold(); on && rep.CountAtLeast(min) > 0 {
		return ExitFindings
	}
	return ExitOK
}

func audit(ctx context.Context, o auditOptions, prog *progress, debug io.Writer) (*report.Report, error) {
	rep := &report.Report{GeneratedAt: time.Now().UTC()}
	regions := []string(o.regions)
	if len(regions) == 0 {
		regions = []string{""}
	}
	accounts := map[string]bool{}
	for _, region := range regions {
		opts := []func(*config.LoadOptions) error{}
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		if o.profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(o.profile))
		}
		awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("aws config: %w", err)
		}
		if awsCfg.Region == "" {
			return nil, errors.New("no region: pass --region or set AWS_REGION")
		}
		cfg, err := o.judge.settings(ctx, cloudformation.NewFromConfig(awsCfg, func(o *cloudformation.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) }))
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", awsCfg.Region, err)
		}
		// Audit never repairs, whatever the mode says.
		cfg.Mode = finding.ModeMonitor
		rep.JudgedWith = append(rep.JudgedWith, o.judge.source(awsCfg.Region))
		fmt.Fprintf(debug, "selfguard audit: %s: judging with the settings of %s: %d trusted signing profiles, exempt functions %v, repositories %v\n",
			awsCfg.Region, o.judge.source(awsCfg.Region), len(cfg.TrustedProfiles), cfg.ExemptFunctions, cfg.ExemptRepositories)
		if len(cfg.TrustedProfiles) == 0 {
			rep.Warn(WarnNoTrustedProfile)
		}
		for _, m := range cfg.Mutelist {
			if m.Expired(cfg.Now()) {
				rep.Warn(fmt.Sprintf("mute %s expired after %s: its findings are reported again", m, m.Expires))
			}
		}
		limiter := ratelimit.New(o.rate, nil)
		lam := lambda.NewFromConfig(awsCfg, limiter.LambdaOptions(), func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		cc := codecommit.NewFromConfig(awsCfg, func(o *codecommit.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		cg := codegurureviewer.NewFromConfig(awsCfg, func(o *codegurureviewer.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		col := &collector{region: awsCfg.Region}
		l := &sweep.Lister{Lambda: lam, Exposure: lam, Settings: cfg, SkipFunctions: o.repositoriesOnly, OnFunction: prog.function}
		if !o.functionsOnly {
			l.Repositories = cc
		}
		// No actors: audit cannot act whatever happens to the mode.
		sg := signer.NewFromConfig(awsCfg, deps.SignerOptions(os.Getenv), func(o *signer.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		w := &sweep.Worker{Aliases: lam, Decide: decide.Decide, Repositories: repoguard.New(cc, cg, cfg), Settings: cfg, Sink: col,
			Exposure: exposureguard.New(lam, cfg), Signatures: observe.NewSignatures(sg, cfg)}
		prog.region(awsCfg.Region)
		st, err := sweep.RunLocal(ctx, l, w, o.workers, "audit-"+rep.GeneratedAt.Format("20060102T150405Z"))
		prog.done()
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", awsCfg.Region, err)
		}
		account := col.account
		if account == "" {
			account = callerAccount(ctx, awsCfg)
		}
		accounts[account] = true
		rep.Functions += st.Functions
		rep.Repositories += st.Repositories
		rep.Regions = append(rep.Regions, awsCfg.Region)
		for _, it := range col.items {
			it.Account = account
			rep.Items = append(rep.Items, it)
		}
		for _, m := range col.muted {
			m.Account = account
			rep.Muted = append(rep.Muted, m)
		}
	}
	for a := range accounts {
		rep.Accounts = append(rep.Accounts, a)
	}
	return rep, nil
}

// callerAccount asks STS which account the credentials belong to, for
// regions where no finding's ARN said so.
func callerAccount(ctx context.Context, cfg aws.Config) string {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || out.Account == nil {
		return "unknown"
	}
	return *out.Account
}

// collector turns sweep results into report items.
type collector struct {
	region  string
	mu      sync.Mutex
	items   []report.Item
	muted   []report.MutedItem
	account string
}

func (c *collector) Result(_ context.Context, r sweep.Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range r.Decision.Findings {
		if c.account == "" {
			c.account = lambdaarn.Account(f.ARN)
		}
		it := report.Item{Region: c.region, Finding: f}
		for _, a := range r.Decision.Actions {
			for _, rule := range a.For {
				if rule == f.Rule {
					it.Actions = append(it.Actions, a)
					break
				}
			}
		}
		c.items = append(c.items, it)
	}
	for _, m := range r.Decision.Muted {
		c.muted = append(c.muted, report.MutedItem{Region: c.region, Muted: m})
	}
	return nil
}

// progress draws a one-line counter on stderr, only when it is a terminal.
type progress struct {
	w     io.Writer
	on    bool
	n     atomic.Int64
	where atomic.Value
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{w: stderr}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) region(r string) {
	p.where.Store(r)
	p.n.Store(0)
}

func (p *progress) function(string) {
	n := p.n.Add(1)
	if p.on && n%10 == 1 {
		r, _ := p.where.Load().(string)
		fmt.Fprintf(p.w, "\r\033[Kauditing %s: %d functions listed", r, n)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
