package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/report"
)

// fakeSTS lets the role be assumed in every account but those denied.
type fakeSTS struct{ denied map[string]bool }

func (f fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	acct := strings.Split(*in.RoleArn, ":")[4]
	if f.denied[acct] {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole on resource: " + *in.RoleArn}
	}
	exp := time.Now().Add(time.Hour)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA" + acct), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp,
	}}, nil
}

// fakeRegions answers ListRegions from the account the key names.
type fakeRegions struct {
	enabled map[string][]string
	key     string
}

func (f fakeRegions) ListRegions(_ context.Context, in *account.ListRegionsInput, _ ...func(*account.Options)) (*account.ListRegionsOutput, error) {
	regions, ok := f.enabled[strings.TrimPrefix(f.key, "ASIA")]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no account:ListRegions"}
	}
	out := &account.ListRegionsOutput{}
	for _, r := range regions {
		out.Regions = append(out.Regions, accttypes.Region{RegionName: aws.String(r), RegionOptStatus: accttypes.RegionOptStatusEnabled})
	}
	return out, nil
}

// fakeOrgRun builds a runner whose account-region audit is fake: each
// finds one finding, or fails as failing says.
func fakeOrgRun(t *testing.T, opts Options, enabled map[string][]string, denied map[string]bool, failing map[string]error) *runner {
	t.Helper()
	opts.Role = "selfguard-audit"
	r, err := newRunner(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.sts = fakeSTS{denied: denied}
	r.regionsAPI = func(creds aws.CredentialsProvider) RegionsAPI {
		c, err := creds.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return fakeRegions{enabled: enabled, key: c.AccessKeyID}
	}
	r.audit = func(_ context.Context, tg target) (targetStats, error) {
		if err := failing[tg.account.ID+"/"+tg.region]; err != nil {
			return targetStats{functions: 3}, err
		}
		f := finding.Finding{Rule: "lambda.unsigned-code", Resource: "fn-" + tg.account.ID, Severity: finding.SeverityHigh}
		return targetStats{functions: 5, items: []report.Item{{Account: tg.account.ID, Region: tg.region, Finding: f}}}, nil
	}
	return r
}

func TestRunListsWhatItCannotReachAndAuditsTheRest(t *testing.T) {
	accounts := []Account{
		{ID: "111111111111", State: "ACTIVE"},
		{ID: "222222222222", State: "ACTIVE"},
		{ID: "333333333333", State: "SUSPENDED"},
		{ID: "444444444444"},
		{ID: "555555555555"},
	}
	enabled := map[string][]string{
		"111111111111": {"eu-west-1", "us-east-1"},
		"222222222222": {"us-east-1"}, // eu-west-1 not enabled
		"555555555555": {"eu-west-1", "us-east-1"},
	}
	denied := map[string]bool{"444444444444": true}
	failing := map[string]error{"555555555555/us-east-1": &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}}
	r := fakeOrgRun(t, Options{Accounts: accounts, Regions: []string{"eu-west-1", "us-east-1"}}, enabled, denied, failing)
	res := r.run(context.Background())

	want := []Unreachable{
		{Account: "222222222222", Region: "eu-west-1", Reason: "region not enabled in this account"},
		{Account: "333333333333", Reason: "account suspended"},
		{Account: "444444444444", Reason: "assume role: AccessDenied: not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role/selfguard-audit"},
		{Account: "555555555555", Region: "us-east-1", Reason: "incomplete after 3 functions and 0 repositories: UnrecognizedClientException: The security token included in the request is invalid."},
	}
	if !reflect.DeepEqual(res.Unreachable, want) {
		t.Errorf("unreachable:\n got %+v\nwant %+v", res.Unreachable, want)
	}
	if got := len(res.Items); got != 4 {
		t.Errorf("items = %d, want one from each of the 4 account-regions reached", got)
	}
	if !reflect.DeepEqual(res.Accounts, []string{"111111111111", "222222222222", "555555555555"}) {
		t.Errorf("accounts = %v", res.Accounts)
	}
	if res.Functions != 4*5+3 {
		t.Errorf("functions = %d, want the reached ones' and the incomplete one's", res.Functions)
	}
}

func TestRunFindsEachAccountsEnabledRegionsWhenNoneAreGiven(t *testing.T) {
	enabled := map[string][]string{"111111111111": {"eu-west-1"}, "222222222222": {"ap-southeast-1", "us-east-1"}}
	r := fakeOrgRun(t, Options{Accounts: []Account{{ID: "111111111111"}, {ID: "222222222222"}, {ID: "666666666666"}}}, enabled, nil, nil)
	res := r.run(context.Background())
	var got []string
	for _, it := range res.Items {
		got = append(got, it.Account+"/"+it.Region)
	}
	want := []string{"111111111111/eu-west-1", "222222222222/ap-southeast-1", "222222222222/us-east-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audited %v, want %v", got, want)
	}
	if len(res.Unreachable) != 1 || res.Unreachable[0].Account != "666666666666" || !strings.Contains(res.Unreachable[0].Reason, "list enabled regions") {
		t.Errorf("an account whose regions cannot be listed, none given, must be unreachable: %+v", res.Unreachable)
	}
}

func TestRunBoundsTheAccountRegionsInFlight(t *testing.T) {
	var accounts []Account
	enabled := map[string][]string{}
	for i := range 20 {
		id := fmt.Sprintf("%012d", i+1)
		accounts = append(accounts, Account{ID: id})
		enabled[id] = []string{"eu-west-1", "us-east-1", "us-west-2"}
	}
	r := fakeOrgRun(t, Options{Accounts: accounts, Parallel: 7}, enabled, nil, nil)
	var inFlight, peak atomic.Int64
	inner := r.audit
	r.audit = func(ctx context.Context, tg target) (targetStats, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		defer inFlight.Add(-1)
		return inner(ctx, tg)
	}
	var mu sync.Mutex
	stages := map[Stage]int{}
	last := 0
	r.opts.Progress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		stages[p.Stage]++
		if p.Done > last {
			last = p.Done
		}
	}
	res := r.run(context.Background())
	if got := peak.Load(); got > 7 || got < 2 {
		t.Errorf("peak account-regions in flight = %d, want at most 7 (and more than one)", got)
	}
	if len(res.Items) != 60 || stages[StageStart] != 60 || stages[StageDone] != 60 || last != 60 {
		t.Errorf("items %d, progress %v, last done %d; want 60 of each", len(res.Items), stages, last)
	}
}

func TestRunRefusesARateAboveTheQuota(t *testing.T) {
	for _, rate := range []float64{-1, 15.5} {
		if _, err := Run(context.Background(), Options{Accounts: []Account{{ID: "111111111111"}}, Rate: rate}); err == nil {
			t.Errorf("rate %v accepted", rate)
		}
	}
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Error("no accounts accepted")
	}
}

func TestReasonIsTheAWSErrorCodeAndMessage(t *testing.T) {
	err := fmt.Errorf("list functions: %w", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no lambda:ListFunctions"})
	if got := reason(err); got != "AccessDeniedException: no lambda:ListFunctions" {
		t.Errorf("reason = %q", got)
	}
	if got := reason(errors.New("dial tcp: refused")); got != "dial tcp: refused" {
		t.Errorf("reason = %q", got)
	}
}
