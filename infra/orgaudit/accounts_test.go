package orgaudit

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func TestParseAccounts(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Account
		err      string
	}{
		{"ids with names, comments and blanks", "# prod\n111111111111 payments\n\n222222222222,shared services\n",
			[]Account{{ID: "111111111111", Name: "payments"}, {ID: "222222222222", Name: "shared services"}}, ""},
		{"an account listed twice is audited once", "111111111111\n111111111111 again\n", []Account{{ID: "111111111111"}}, ""},
		{"a short id is refused with its line", "111111111111\n12345\n", nil, "line 2"},
		{"an ARN is not an id", "arn:aws:iam::111111111111:root\n", nil, "12-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAccounts(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// fakeOrg is an organization tree: parent id to child OU ids and accounts.
// Pages hold one item, so every listing pages.
type fakeOrg struct {
	ous      map[string][]string
	accounts map[string][]orgtypes.Account
	calls    []string
}

func (f *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls = append(f.calls, "ListAccounts")
	var all []orgtypes.Account
	for _, p := range []string{"r-root", "ou-a", "ou-b"} {
		all = append(all, f.accounts[p]...)
	}
	items, next := page(all, in.NextToken)
	return &organizations.ListAccountsOutput{Accounts: items, NextToken: next}, nil
}

func (f *fakeOrg) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.calls = append(f.calls, "ListAccountsForParent "+*in.ParentId)
	items, next := page(f.accounts[*in.ParentId], in.NextToken)
	return &organizations.ListAccountsForParentOutput{Accounts: items, NextToken: next}, nil
}

func (f *fakeOrg) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	var ous []orgtypes.OrganizationalUnit
	for _, id := range f.ous[*in.ParentId] {
		ous = append(ous, orgtypes.OrganizationalUnit{Id: aws.String(id)})
	}
	items, next := page(ous, in.NextToken)
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: items, NextToken: next}, nil
}

func page[T any](all []T, token *string) ([]T, *string) {
	i := 0
	if token != nil {
		i = len(*token)
	}
	if i >= len(all) {
		return nil, nil
	}
	var next *string
	if i+1 < len(all) {
		next = aws.String(strings.Repeat("x", i+1))
	}
	return all[i : i+1], next
}

func acct(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), Name: aws.String("n" + id[:1]), State: state}
}

func TestFromOrganizations(t *testing.T) {
	org := &fakeOrg{
		ous: map[string][]string{"r-root": {"ou-a"}, "ou-a": {"ou-b"}},
		accounts: map[string][]orgtypes.Account{
			"r-root": {acct("100000000001", orgtypes.AccountStateActive)},
			"ou-a":   {acct("200000000002", orgtypes.AccountStateActive), acct("300000000003", orgtypes.AccountStateSuspended)},
			"ou-b":   {{Id: aws.String("400000000004"), Status: orgtypes.AccountStatusActive}},
		},
	}
	ids := func(as []Account) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID+"/"+a.State)
		}
		return out
	}
	tests := []struct {
		name, parent string
		want         []string
	}{
		{"the whole organization, every page", "", []string{"100000000001/ACTIVE", "200000000002/ACTIVE", "300000000003/SUSPENDED", "400000000004/ACTIVE"}},
		{"an OU and the OUs nested in it", "ou-a", []string{"200000000002/ACTIVE", "300000000003/SUSPENDED", "400000000004/ACTIVE"}},
		{"a leaf OU", "ou-b", []string{"400000000004/ACTIVE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromOrganizations(context.Background(), org, tt.parent)
			if err != nil || !reflect.DeepEqual(ids(got), tt.want) {
				t.Fatalf("got %v, %v; want %v", ids(got), err, tt.want)
			}
		})
	}
}
