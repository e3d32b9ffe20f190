package orgaudit_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/localorg"
	"github.com/selfguard/selfguard/infra/org"
	"github.com/selfguard/selfguard/infra/orgaudit"
	"github.com/selfguard/selfguard/shared/settings"
)

// functions is a member account-region with n unsigned functions, each
// named after where it lives so a finding can be traced to its place.
func functions(n int) func(account, region string) *emulator.World {
	return func(account, region string) *emulator.World {
		w := &emulator.World{}
		for i := range n {
			name := fmt.Sprintf("fn-%s-%s-%d", account[len(account)-2:], region, i)
			w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
				Name: name, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}},
			})
		}
		w.Repos = repoemu.World{Repositories: []repoemu.Repository{{Name: fmt.Sprintf("fn-%s-%s-repo", account[len(account)-2:], region), DefaultBranch: "main"}}}
		return w
	}
}

func startOrg(t *testing.T, opts localorg.Options) *localorg.Org {
	t.Helper()
	org, err := localorg.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(org.Close)
	return org
}

// TestOrganizationAuditOfALocalOrganization audits 3 reachable members × 2
// regions × 5 functions, listed from Organizations, through the audit role
// assumed in each, and lists a member without the role, a suspended one
// and a region one member has not enabled as unreachable.
func TestOrganizationAuditOfALocalOrganization(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	noRole, suspended, optedOut := localorg.MemberID(3), localorg.MemberID(4), localorg.MemberID(2)
	org := startOrg(t, localorg.Options{
		Members: 5, World: functions(5),
		WithoutRole: []string{noRole}, Suspended: []string{suspended},
		Disabled: map[string][]string{optedOut: {"us-east-1"}},
	})
	base := org.AuditorConfig("eu-west-1")
	accounts, err := orgaudit.FromOrganizations(ctx, organizations.NewFromConfig(base), localorg.OUWorkloads)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 5 {
		t.Fatalf("the workloads OU (and its nested prod OU) lists %d accounts, want the 5 members", len(accounts))
	}
	var mu sync.Mutex
	var done []string
	res, err := orgaudit.Run(ctx, orgaudit.Options{
		Accounts: accounts, Regions: []string{"eu-west-1", "us-east-1"}, Role: localorg.DefaultRole, Base: base,
		Rate: 14, Settings: settings.Settings{},
		Progress: func(p orgaudit.Progress) {
			if p.Stage == orgaudit.StageDone {
				mu.Lock()
				done = append(done, p.Account+"/"+p.Region)
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Repositories, 5; got != want {
		t.Errorf("repositories evaluated = %d, want %d", got, want)
	}
	if got := res.Functions; got != 5*5 {
		t.Errorf("functions evaluated = %d, want 5 account-regions × 5", got)
	}
	if len(done) != 5 {
		t.Errorf("progress told of %d account-regions done, want 5: %v", len(done), done)
	}
	// Every finding is placed in the account and region its function is in.
	perPlace := map[string]int{}
	for _, it := range res.Items {
		want := fmt.Sprintf("fn-%s-%s-", it.Account[len(it.Account)-2:], it.Region)
		if !strings.HasPrefix(it.Finding.Resource, want) {
			t.Errorf("finding on %s reported in %s/%s", it.Finding.Resource, it.Account, it.Region)
		}
		if it.Finding.Rule == "lambda.unsigned-code" {
			perPlace[it.Account+"/"+it.Region]++
		}
	}
	if len(perPlace) != 5 {
		t.Errorf("unsigned-code findings came from %d account-regions, want 5: %v", len(perPlace), perPlace)
	}
	var unreachable []string
	for _, u := range res.Unreachable {
		unreachable = append(unreachable, u.Account+"/"+u.Region+": "+strings.SplitN(u.Reason, ":", 2)[0])
	}
	want := []string{
		optedOut + "/us-east-1: region not enabled in this account",
		noRole + "/: assume role",
		suspended + "/: account suspended",
	}
	sort.Strings(want)
	if !reflect.DeepEqual(unreachable, want) {
		t.Errorf("unreachable:\n got %q\nwant %q", unreachable, want)
	}
}

// TestAuditRoleAllowsEveryCallTheAuditMakes audits a local organization and
// holds every call the members' emulators answered to the actions
// infra/org/audit-role.yaml allows.
func TestAuditRoleAllowsEveryCallTheAuditMakes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lo := startOrg(t, localorg.Options{Members: 1, Regions: []string{"eu-west-1"}, World: functions(3)})
	allowed, err := org.AuditRoleActions()
	if err != nil {
		t.Fatal(err)
	}
	res, err := orgaudit.Run(ctx, orgaudit.Options{
		Accounts: []orgaudit.Account{{ID: lo.Members[0]}}, Role: localorg.DefaultRole, Base: lo.AuditorConfig("eu-west-1"), Rate: 14,
	})
	if err != nil || len(res.Unreachable) > 0 {
		t.Fatalf("audit: %v, unreachable %+v", err, res.Unreachable)
	}
	var called []string
	for _, srv := range lo.Emulators {
		for _, s := range srv.Env.Calls.Stats() {
			called = append(called, s.Service+":"+s.Operation)
		}
	}
	if len(called) < 5 {
		t.Fatalf("the emulators saw only %v", called)
	}
	for _, c := range append(called, "account:ListRegions") {
		if !slices.Contains(allowed, c) {
			t.Errorf("the audit called %s, which the audit role does not allow", c)
		}
	}
}
