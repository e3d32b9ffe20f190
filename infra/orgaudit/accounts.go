package orgaudit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Account is one AWS account to audit.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// State is Organizations' account state (ACTIVE, SUSPENDED,
	// PENDING_CLOSURE, ...); empty, as from a file, counts as active.
	State string `json:"state,omitempty"`
}

// Active says whether the account can be audited at all: a suspended or
// closing account refuses every call.
func (a Account) Active() bool {
	return a.State == "" || a.State == string(orgtypes.AccountStateActive)
}

// OrganizationsAPI is the part of the Organizations client the account
// listing uses (management account or delegated administrator).
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
}

// OrganizationsPermissions are the IAM actions FromOrganizations needs in
// the account that lists.
var OrganizationsPermissions = []string{
	"organizations:ListAccounts",
	"organizations:ListAccountsForParent",
	"organizations:ListOrganizationalUnitsForParent",
}

// FromOrganizations lists the organization's accounts: all of them when
// parent is empty, else those under parent (a root or OU id), in nested OUs
// too.
func FromOrganizations(ctx context.Context, api OrganizationsAPI, parent string) ([]Account, error) {
	if parent == "" {
		var out []Account
		p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list accounts: %w", err)
			}
			out = appendAccounts(out, page.Accounts)
		}
		return out, nil
	}
	var out []Account
	// Breadth first over the OU tree; an OU is listed once however deep.
	for queue := []string{parent}; len(queue) > 0; queue = queue[1:] {
		id := queue[0]
		ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(id)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list accounts of %s: %w", id, err)
			}
			out = appendAccounts(out, page.Accounts)
		}
		op := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(id)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list organizational units of %s: %w", id, err)
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, aws.ToString(ou.Id))
			}
		}
	}
	return out, nil
}

func appendAccounts(out []Account, accts []orgtypes.Account) []Account {
	for _, a := range accts {
		// State replaces the deprecated Status; older answers have only Status.
		state := string(a.State)
		if state == "" {
			state = string(a.Status)
		}
		out = append(out, Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), State: state})
	}
	return out
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// ParseAccounts reads an account file: one account a line, its 12-digit
// id, then optionally a comma or blanks and a name; blank lines and lines
// beginning with # are skipped. An account listed twice is audited once.
func ParseAccounts(r io.Reader) ([]Account, error) {
	var out []Account
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, name, _ := strings.Cut(strings.Replace(line, ",", " ", 1), " ")
		if !accountID.MatchString(id) {
			return nil, fmt.Errorf("accounts line %d: %q is not a 12-digit account id", n, id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, Account{ID: id, Name: strings.TrimSpace(name)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	return out, nil
}
