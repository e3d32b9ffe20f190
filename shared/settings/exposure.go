package settings

import (
	"fmt"
	"strings"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// Environment variables of the exposure guard, as template.yaml sets them.
const (
	EnvTrustedAccounts    = "SELFGUARD_TRUSTED_ACCOUNTS"
	EnvOrganizationID     = "SELFGUARD_ORGANIZATION_ID"
	EnvExposureExemptions = "SELFGUARD_EXPOSURE_EXEMPTIONS"
	// EnvAccount is the guards' own account (template.yaml sets it).
	EnvAccount = "SELFGUARD_ACCOUNT_ID"
)

// Exposure configures the exposure guard.
type Exposure struct {
	// Account is the account the guard watches: the owner of the
	// functions it reads. Trust is judged from it, never from an account a
	// policy's own text names.
	Account string
	// TrustedAccounts may be granted invoke, share layers and feed event
	// sources, besides the function's own account.
	TrustedAccounts []string
	// OrganizationID, when set, is trusted as a whole: a grant limited to
	// it (aws:PrincipalOrgID) is not an exposure.
	OrganizationID string
	// Exemptions are exposures meant to be: a public website's URL, a
	// partner's API Gateway. Never read from a tag on the resource.
	Exemptions []Exemption
}

// Exemption lets one rule pass on the resources its pattern matches.
type Exemption struct {
	Rule finding.RuleID `json:"rule"`
	// Resource is a pattern ("*" any run of characters, "?" one, as in
	// IAM) matched against a finding's
	// resource ("web", "pay:prod#partner", "shared:3"), its function or
	// layer name, and what a statement grants to (a principal, a source
	// ARN or account), so "arn:aws:execute-api:eu-west-1:444455556666:*"
	// exempts a partner's API Gateway.
	Resource string `json:"resource"`
	// Reason says why; it is required and goes into the logs.
	Reason string `json:"reason"`
}

// TrustedAccount reports whether an account may be granted access to a
// resource of account own: it is own or listed.
func (e Exposure) TrustedAccount(own, account string) bool {
	if account == "" {
		return false
	}
	if account == own {
		return true
	}
	for _, a := range e.TrustedAccounts {
		if a == account {
			return true
		}
	}
	return false
}

// TrustedOrganization reports whether a grant limited to organization id
// is trusted: it is the configured organization.
func (e Exposure) TrustedOrganization(id string) bool {
	return e.OrganizationID != "" && id == e.OrganizationID
}

// Exempt returns the exemption of rule that matches any of the names a
// finding goes by.
func (e Exposure) Exempt(rule finding.RuleID, names ...string) (Exemption, bool) {
	for _, x := range e.Exemptions {
		if x.Rule != rule {
			continue
		}
		for _, n := range names {
			if n == "" {
				continue
			}
			if Wildcard(x.Resource, n) {
				return x, true
			}
		}
	}
	return Exemption{}, false
}

func exposureFromEnv(getenv func(string) string) (Exposure, error) {
	e := Exposure{Account: strings.TrimSpace(getenv(EnvAccount)), TrustedAccounts: List(getenv(EnvTrustedAccounts)),
		OrganizationID: strings.TrimSpace(getenv(EnvOrganizationID))}
	if e.Account != "" && !isAccountID(e.Account) {
		return Exposure{}, fmt.Errorf("%s: %q is not a 12-digit account id", EnvAccount, e.Account)
	}
	for _, a := range e.TrustedAccounts {
		if !isAccountID(a) {
			return Exposure{}, fmt.Errorf("%s: %q is not a 12-digit account id", EnvTrustedAccounts, a)
		}
	}
	if e.OrganizationID != "" && !isOrganizationID(e.OrganizationID) {
		return Exposure{}, fmt.Errorf("%s: %q is not an organization id (o-...)", EnvOrganizationID, e.OrganizationID)
	}
	var err error
	if e.Exemptions, err = ParseExemptions(getenv(EnvExposureExemptions)); err != nil {
		return Exposure{}, fmt.Errorf("%s: %w", EnvExposureExemptions, err)
	}
	return e, nil
}

// ParseExemptions reads exemptions written either as JSON,
// [{"rule":"lambda.public-url","resource":"web","reason":"the public site"}],
// or compactly, "rule:resource=reason;rule:resource=reason". The resource
// may itself hold colons (an alias, an ARN); it ends at the first "=".
// Every exemption names an exposure rule, a valid pattern and a reason.
func ParseExemptions(v string) ([]Exemption, error) {
	out, err := parseEntries(v, "exemption", "rule:resource=reason", func(e entry) Exemption {
		return Exemption{Rule: finding.RuleID(e.rule), Resource: e.resource, Reason: e.reason}
	})
	if err != nil {
		return nil, err
	}
	for _, x := range out {
		if err := x.validate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (x Exemption) validate() error {
	r, ok := rules.Get(x.Rule)
	switch {
	case !ok:
		return fmt.Errorf("exemption of %q: no such rule", x.Rule)
	case r.Guardrail != rules.Exposure:
		return fmt.Errorf("exemption of %s: only exposure rules take exemptions here", x.Rule)
	case x.Resource == "":
		return fmt.Errorf("exemption of %s: no resource", x.Rule)
	case strings.TrimSpace(x.Reason) == "":
		return fmt.Errorf("exemption of %s on %s: a reason is required", x.Rule, x.Resource)
	}
	return nil
}

// Wildcard matches a name against an IAM-style pattern: "*" is any run of
// characters, slashes and colons included, "?" is any one character.
func Wildcard(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	// star and mark remember the last "*" and where it resumed, so that a
	// mismatch backtracks there: linear in practice, never exponential.
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(n) {
		switch {
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case i < len(p) && (p[i] == '?' || p[i] == n[j]):
			i++
			j++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
