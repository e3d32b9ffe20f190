package orgaudit

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
)

// RegionsAPI is the part of the Account Management client that says which
// regions an account has enabled.
type RegionsAPI interface {
	ListRegions(ctx context.Context, in *account.ListRegionsInput, optFns ...func(*account.Options)) (*account.ListRegionsOutput, error)
}

// enabledRegions lists the regions the calling account can use: those
// enabled by default and the opt-in regions it enabled. A disabled opt-in
// region refuses every call, so it is not audited.
func enabledRegions(ctx context.Context, api RegionsAPI) ([]string, error) {
	var out []string
	p := account.NewListRegionsPaginator(api, &account.ListRegionsInput{
		MaxResults:              aws.Int32(50),
		RegionOptStatusContains: []accttypes.RegionOptStatus{accttypes.RegionOptStatusEnabled, accttypes.RegionOptStatusEnabledByDefault},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list enabled regions: %w", err)
		}
		for _, r := range page.Regions {
			out = append(out, aws.ToString(r.RegionName))
		}
	}
	sort.Strings(out)
	return out, nil
}
