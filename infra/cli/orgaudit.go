package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/selfguard/selfguard/infra/orgaudit"
	"github.com/selfguard/selfguard/shared/report"
	"github.com/selfguard/selfguard/shared/settings"
)

// ExitUnreachable is audit's exit code when some account-regions of an
// organization audit could not be audited (and no finding reached
// --fail-on): the rest was audited and reported.
const ExitUnreachable = 4

// orgOptions are audit's organization flags.
type orgOptions struct {
	accountsFrom, ou, role string
	parallel               int
}

func orgFlags(fs *flag.FlagSet) *orgOptions {
	o := &orgOptions{}
	fs.StringVar(&o.accountsFrom, "accounts-from", "", "audit many accounts: \"organizations\" (every account, or --ou's) or a file of account ids")
	fs.StringVar(&o.ou, "ou", "", "with --accounts-from organizations: only this root or OU id, nested OUs included")
	fs.StringVar(&o.role, "role", orgaudit.DefaultRole, "role assumed in each account (infra/org/audit-role.yaml)")
	fs.IntVar(&o.parallel, "parallel", orgaudit.DefaultParallel, "account-regions audited at once")
	return o
}

// runOrgAudit audits every account-region of an organization, each with
// its own --rate budget, and exits 1 on findings at --fail-on, else 4 if
// any account-region was unreachable.
func runOrgAudit(ctx context.Context, o auditOptions, org orgOptions, cfg settings.Settings, stdout, stderr io.Writer) int {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	base, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && base.Region == "" {
		if len(o.regions) == 0 {
			err = errors.New("no region: pass --region or set AWS_REGION")
		} else {
			// Organizations and STS are asked from the first region audited.
			base.Region = o.regions[0]
		}
	}
	var accounts []orgaudit.Account
	if err == nil {
		accounts, err = orgAccounts(ctx, org, base)
	}
	if err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", err)
		return ExitError
	}
	var done atomic.Int64
	res, err := orgaudit.Run(ctx, orgaudit.Options{
		Accounts: accounts, Regions: o.regions, Role: org.role, Base: base, Rate: o.rate, Parallel: org.parallel,
		Workers: o.workers, Settings: cfg, FunctionsOnly: o.functionsOnly, RepositoriesOnly: o.repositoriesOnly,
		Progress: func(p orgaudit.Progress) {
			if p.Stage != orgaudit.StageStart && isTerminal(stderr) {
				fmt.Fprintf(stderr, "\r\033[Kaudited %d account-regions (%s %s/%s)", done.Add(1), p.Stage, p.Account, p.Region)
			}
		},
	})
	if isTerminal(stderr) {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", err)
		return ExitUsage
	}
	res.Filter(o.rules, o.resources)
	res.Sort()
	if err := o.out.write(stdout, func(w io.Writer) error { return res.Write(w, o.format) }); err != nil {
		fmt.Fprintf(stderr, "selfguard audit: %v\n", err)
		return ExitError
	}
	if o.format != report.FormatTable {
		// JSON carries them too; ASFF cannot, so they are told here.
		_ = res.WriteUnreachable(stderr)
	}
	min, on, _ := o.out.threshold()
	switch {
	case on && res.CountAtLeast(min) > 0:
		return ExitFindings
	case len(res.Unreachable) > 0:
		return ExitUnreachable
	}
	return ExitOK
}

func orgAccounts(ctx context.Context, org orgOptions, base aws.Config) ([]orgaudit.Account, error) {
	if org.accountsFrom == "organizations" {
		return orgaudit.FromOrganizations(ctx, organizations.NewFromConfig(base), org.ou)
	}
	if org.ou != "" {
		return nil, errors.New("--ou needs --accounts-from organizations")
	}
	f, err := os.Open(org.accountsFrom)
	if err != nil {
		return nil, fmt.Errorf("accounts file: %w", err)
	}
	defer f.Close()
	return orgaudit.ParseAccounts(f)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
