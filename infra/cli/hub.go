package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/selfguard/selfguard/infra/readonly"
	"github.com/selfguard/selfguard/shared/hubsync"
	"github.com/selfguard/selfguard/shared/report"
)

// hubOnly lets the Security Hub client make the two calls an import needs:
// audit writes nowhere else.
var hubOnly = readonly.Allow("GetFindings", "BatchImportFindings")

// importFindings imports the report's findings into Security Hub, region by
// region. It archives selfguard's findings that are no longer found only
// when the audit saw everything (no --rule, --resource or scope flag):
// otherwise an unseen finding may still be open.
func importFindings(ctx context.Context, o auditOptions, rep *report.Report, stderr io.Writer) error {
	whole := len(o.rules) == 0 && len(o.resources) == 0 && !o.functionsOnly && !o.repositoriesOnly
	for _, region := range rep.Regions {
		awsCfg, err := loadAWS(ctx, region, o.profile)
		if err != nil {
			return err
		}
		part := &report.Report{GeneratedAt: rep.GeneratedAt}
		account := ""
		for _, it := range rep.Items {
			if it.Region == region {
				part.Items = append(part.Items, it)
				account = it.Account
			}
		}
		if account == "" && len(rep.Accounts) == 1 {
			account = rep.Accounts[0]
		}
		sync := hubsync.Sync{API: securityhub.NewFromConfig(awsCfg, func(o *securityhub.Options) { o.APIOptions = append(o.APIOptions, hubOnly) })}
		res, err := sync.Run(ctx, part.ASFF(), hubsync.Scope{Account: account, Region: region, Archive: whole && account != ""})
		if err != nil {
			return fmt.Errorf("security hub %s: %w", region, err)
		}
		fmt.Fprintf(stderr, "security hub %s: %d imported, %d archived as fixed, %d refused\n", region, res.Imported, res.Archived, res.Failed)
		for _, f := range res.Failures {
			fmt.Fprintf(stderr, "  refused %s\n", f)
		}
		if res.Failed > 0 {
			return fmt.Errorf("security hub %s refused %d findings", region, res.Failed)
		}
	}
	return nil
}
