package hubsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// BatchSize is the most findings one BatchImportFindings call takes.
const BatchSize = 100

// generatorPrefix marks selfguard's findings among all of Security Hub's.
const generatorPrefix = "selfguard/"

// API is the part of the Security Hub client hubsync uses.
type API interface {
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Permissions are the IAM actions Sync needs.
var Permissions = []string{"securityhub:GetFindings", "securityhub:BatchImportFindings"}

// Scope is the part of Security Hub a sync answers for: one account's
// findings in one region. Archive says the findings given are everything
// selfguard finds there now (a whole audit or sweep, not a filtered one), so
// that the active ones not among them are fixed.
type Scope struct {
	Account, Region string
	Archive         bool
	// Resource, when set, narrows the sync to one resource a guard judged
	// (a function or repository name): only findings on it, or on its
	// aliases and layers ("name:alias", "name/layer:3"), are archived.
	Resource string
}

// Result counts what a sync did.
type Result struct {
	Imported, Archived, Failed int
	// Failures are Security Hub's reasons for the findings it refused.
	Failures []string
}

// Sync imports findings and archives the fixed ones.
type Sync struct {
	API API
	Now func() time.Time
}

// Run imports findings (all of scope's account and region) and, when scope
// allows it, archives selfguard's active findings there that are not among
// them.
func (s Sync) Run(ctx context.Context, findings []shtypes.AwsSecurityFinding, scope Scope) (Result, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	stamp := aws.String(now().UTC().Format("2006-01-02T15:04:05.000Z"))
	known, err := s.active(ctx, scope)
	if err != nil {
		return Result{}, err
	}
	var batch []shtypes.AwsSecurityFinding
	seen := map[string]bool{}
	for _, f := range findings {
		id := aws.ToString(f.Id)
		seen[id] = true
		if old, ok := known[id]; ok {
			// Security Hub keeps a finding's creation; its first sighting is
			// the earlier import's.
			f.CreatedAt, f.FirstObservedAt = old.CreatedAt, firstOf(old)
		}
		f.UpdatedAt, f.LastObservedAt = stamp, stamp
		batch = append(batch, f)
	}
	archived := 0
	if scope.Archive {
		for id, old := range known {
			if seen[id] {
				continue
			}
			old.RecordState = shtypes.RecordStateArchived
			old.Compliance = &shtypes.Compliance{Status: shtypes.ComplianceStatusPassed}
			old.UpdatedAt = stamp
			old.Workflow, old.Note, old.UserDefinedFields, old.VerificationState = nil, nil, nil, ""
			batch = append(batch, old)
			archived++
		}
	}
	res, err := s.importAll(ctx, batch)
	res.Archived = archived
	res.Imported -= archived
	return res, err
}

func firstOf(f shtypes.AwsSecurityFinding) *string {
	if f.FirstObservedAt != nil {
		return f.FirstObservedAt
	}
	return f.CreatedAt
}

func (s Sync) importAll(ctx context.Context, fs []shtypes.AwsSecurityFinding) (Result, error) {
	var res Result
	for start := 0; start < len(fs); start += BatchSize {
		end := min(start+BatchSize, len(fs))
		out, err := s.API.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: fs[start:end]})
		if err != nil {
			return res, fmt.Errorf("import findings %d to %d: %w", start+1, end, err)
		}
		res.Imported += int(aws.ToInt32(out.SuccessCount))
		res.Failed += int(aws.ToInt32(out.FailedCount))
		for _, f := range out.FailedFindings {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %s %s", aws.ToString(f.Id), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage)))
		}
	}
	return res, nil
}

// active returns selfguard's active findings in scope, by id. The filters
// go to Security Hub; the same checks are made again here, so that nothing
// outside the scope is ever archived whatever the service answers.
func (s Sync) active(ctx context.Context, scope Scope) (map[string]shtypes.AwsSecurityFinding, error) {
	eq := func(v string) []shtypes.StringFilter {
		return []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String(v)}}
	}
	in := &securityhub.GetFindingsInput{
		Filters: &shtypes.AwsSecurityFindingFilters{
			AwsAccountId: eq(scope.Account),
			Region:       eq(scope.Region),
			RecordState:  eq(string(shtypes.RecordStateActive)),
			GeneratorId:  []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonPrefix, Value: aws.String(generatorPrefix)}},
		},
		MaxResults: aws.Int32(100),
	}
	if scope.Resource != "" {
		in.Filters.ProductFields = []shtypes.MapFilter{{Key: aws.String(resourceField), Value: aws.String(scope.Resource), Comparison: shtypes.MapFilterComparisonContains}}
	}
	out := map[string]shtypes.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(s.API, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read selfguard's findings in security hub: %w", err)
		}
		for _, f := range page.Findings {
			if aws.ToString(f.AwsAccountId) != scope.Account || f.RecordState != shtypes.RecordStateActive ||
				!strings.HasPrefix(aws.ToString(f.GeneratorId), generatorPrefix) || !inRegion(f, scope.Region) || !onResource(f, scope.Resource) {
				continue
			}
			out[aws.ToString(f.Id)] = f
		}
	}
	return out, nil
}

// resourceField is the product field report.ASFF names the resource in.
const resourceField = "selfguard/resource"

func onResource(f shtypes.AwsSecurityFinding, name string) bool {
	if name == "" {
		return true
	}
	r := f.ProductFields[resourceField]
	return r == name || strings.HasPrefix(r, name+":") || strings.HasPrefix(r, name+"/")
}

func inRegion(f shtypes.AwsSecurityFinding, region string) bool {
	if f.Region != nil {
		return aws.ToString(f.Region) == region
	}
	return strings.Contains(aws.ToString(f.ProductArn), ":securityhub:"+region+":")
}
