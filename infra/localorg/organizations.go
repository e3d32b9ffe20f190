package localorg

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// organizationsPage is Organizations' largest page of accounts.
const organizationsPage = 20

type orgAccount struct {
	ID                                            string `json:"Id"`
	Arn, Email, Name, Status, State, JoinedMethod string
	JoinedTimestamp                               float64
}

type orgUnit struct {
	ID        string `json:"Id"`
	Arn, Name string
}

// parentOf says where each account sits: the management account in the
// root, the security account in OUSecurity, the first half of the members
// in OUWorkloads and the rest in OUProd (nested in OUWorkloads).
func (o *Org) parentOf(account string) string {
	switch account {
	case Management:
		return RootID
	case Security:
		return OUSecurity
	}
	if i := slices.Index(o.Members, account); i >= 0 && i < (len(o.Members)+1)/2 {
		return OUWorkloads
	}
	return OUProd
}

func (o *Org) accounts() []orgAccount {
	var out []orgAccount
	for _, id := range append([]string{Management, Security}, o.Members...) {
		state := "ACTIVE"
		if slices.Contains(o.opts.Suspended, id) {
			state = "SUSPENDED"
		}
		out = append(out, orgAccount{
			ID: id, Arn: "arn:aws:organizations::" + Management + ":account/" + OrgID + "/" + id,
			Email: "aws+" + id + "@example.com", Name: "account-" + id, Status: state, State: state,
			JoinedMethod: "CREATED", JoinedTimestamp: 1.7e9,
		})
	}
	return out
}

func ou(id, name string) orgUnit {
	return orgUnit{ID: id, Arn: "arn:aws:organizations::" + Management + ":ou/" + OrgID + "/" + id, Name: name}
}

// serveOrganizations answers the listings the audit uses, to the
// management account and to the security account (its delegated
// administrator); any other caller is denied, as a member is.
func (o *Org) serveOrganizations(w http.ResponseWriter, r *http.Request, caller string) {
	if caller != Management && caller != Security {
		awsproto.WriteJSON11Error(w, awsproto.Errorf(http.StatusBadRequest, "AccessDeniedException",
			"You don't have permissions to access this resource."))
		return
	}
	var in struct {
		ParentID  string `json:"ParentId"`
		NextToken string
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	_ = json.Unmarshal(body, &in)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128.")
	switch op {
	case "ListAccounts":
		writeAccounts(w, o.accounts(), in.NextToken)
	case "ListAccountsForParent":
		var under []orgAccount
		for _, a := range o.accounts() {
			if o.parentOf(a.ID) == in.ParentID {
				under = append(under, a)
			}
		}
		if !validParent(in.ParentID) {
			awsproto.WriteJSON11Error(w, awsproto.Errorf(http.StatusBadRequest, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified."))
			return
		}
		writeAccounts(w, under, in.NextToken)
	case "ListOrganizationalUnitsForParent":
		units := map[string][]orgUnit{
			RootID:      {ou(OUSecurity, "Security"), ou(OUWorkloads, "Workloads")},
			OUWorkloads: {ou(OUProd, "Prod")},
		}
		if !validParent(in.ParentID) {
			awsproto.WriteJSON11Error(w, awsproto.Errorf(http.StatusBadRequest, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified."))
			return
		}
		out := struct{ OrganizationalUnits []orgUnit }{units[in.ParentID]}
		if out.OrganizationalUnits == nil {
			out.OrganizationalUnits = []orgUnit{}
		}
		writeJSON11(w, out)
	default:
		awsproto.WriteJSON11Error(w, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "%s is not emulated", op))
	}
}

func validParent(id string) bool {
	return slices.Contains([]string{RootID, OUSecurity, OUWorkloads, OUProd}, id)
}

func writeAccounts(w http.ResponseWriter, all []orgAccount, token string) {
	from, _ := strconv.Atoi(token)
	if from > len(all) {
		from = len(all)
	}
	to := min(from+organizationsPage, len(all))
	out := struct {
		Accounts  []orgAccount
		NextToken string `json:",omitempty"`
	}{Accounts: all[from:to]}
	if out.Accounts == nil {
		out.Accounts = []orgAccount{}
	}
	if to < len(all) {
		out.NextToken = strconv.Itoa(to)
	}
	writeJSON11(w, out)
}

func writeJSON11(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
