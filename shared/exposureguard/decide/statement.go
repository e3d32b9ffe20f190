package decide

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/settings"
)

// Through says how a grant can be used.
type Through string

// The ways a grant can be used.
const (
	// Directly: any way the action allows.
	Directly Through = ""
	// OpenURL: only through a function URL with AuthType NONE
	// (lambda:FunctionUrlAuthType NONE).
	OpenURL Through = "url-none"
	// AnyURL: only through a function URL (lambda:InvokedViaFunctionUrl).
	AnyURL Through = "url"
)

// Grant is what one statement gives away.
type Grant struct {
	// Public: anyone, or any account's resources of a service, may use it.
	Public bool
	// Untrusted are the accounts and organizations outside trust it names.
	Untrusted []string
	// Through says whether only a function URL can use it.
	Through Through
	// Why explains the verdict in words.
	Why string
	// Grantees are what the statement grants to (principals, source ARNs
	// and accounts, organizations): exemptions may name them.
	Grantees []string
}

// Exposes reports whether the grant reaches beyond trust.
func (g Grant) Exposes() bool { return g.Public || len(g.Untrusted) > 0 }

// limit is what one limiting condition key pins a grant to.
type limit struct {
	key     string
	parties []string // accounts, organizations, or a token
	values  []string // as the condition writes them
	trusted bool
}

// accountRE and orgRE compile on first use, not at every cold start.
var (
	accountRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{12}$`) })
	orgRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^o-[a-z0-9]{10,32}$`) })
)

// Judge says what a statement of a resource of account own gives away.
func Judge(st snapshot.Statement, own string, cfg settings.Exposure) Grant {
	if !st.Allows() {
		return Grant{}
	}
	var g Grant
	limits := limitsOf(st.Conditions, own, cfg)
	g.Through = through(st.Conditions)
	var trustedLimit *limit
	for i := range limits {
		g.Grantees = append(append(g.Grantees, limits[i].values...), limits[i].parties...)
		if limits[i].trusted && trustedLimit == nil {
			trustedLimit = &limits[i]
		}
	}
	var wide []string // principals open to everyone or a whole service
	untrusted := map[string]bool{}
	for _, p := range principalsOf(st) {
		g.Grantees = append(g.Grantees, p.Value)
		switch {
		case p.Type == snapshot.Anyone:
			wide = append(wide, "anyone")
		case p.Type == snapshot.PrincipalSvc:
			wide = append(wide, "any account's "+p.Value)
		case p.Type == snapshot.PrincipalAWS:
			a := accountOf(p.Value)
			switch {
			case a == "":
				wide = append(wide, "anyone ("+p.Value+")")
			case cfg.TrustedAccount(own, a) || trustedLimit != nil:
			default:
				untrusted["account "+a] = true
			}
		default:
			if trustedLimit == nil {
				untrusted[p.Type+" "+p.Value] = true
			}
		}
	}
	switch {
	case len(wide) > 0 && trustedLimit != nil:
		// Pinned to trusted parties.
	case len(wide) > 0 && len(limits) > 0:
		for _, l := range limits {
			for _, p := range l.parties {
				if !trustedParty(p, own, cfg) {
					untrusted[partyName(p)] = true
				}
			}
		}
		g.Why = strings.Join(wide, ", ") + ", limited by " + keysOf(limits) + " to parties that are not trusted"
	case len(wide) > 0:
		g.Public = true
		g.Why = strings.Join(wide, ", ") + ", with no condition limiting it to a source account, ARN or organization"
	}
	for u := range untrusted {
		g.Untrusted = append(g.Untrusted, u)
	}
	sort.Strings(g.Untrusted)
	if !g.Public && len(g.Untrusted) > 0 && g.Why == "" {
		g.Why = strings.Join(g.Untrusted, ", ") + ", not trusted"
	}
	return g
}

// principalsOf returns whom a statement grants: with NotPrincipal, anyone.
func principalsOf(st snapshot.Statement) []snapshot.Principal {
	if st.NotPrincipal {
		return []snapshot.Principal{{Type: snapshot.Anyone, Value: "*"}}
	}
	return st.Principals
}

// accountOf returns the account of an AWS principal (an account id or an
// IAM ARN), or "" when it is not one fixed account.
func accountOf(v string) string {
	if accountRE().MatchString(v) {
		return v
	}
	if a := lambdaarn.Account(v); accountRE().MatchString(a) {
		return a
	}
	return ""
}

// positive reports whether an operator, when it holds, means the key is
// present and matched: not negated, not satisfied by an absent key.
func positive(op string) bool {
	op = strings.ToLower(op)
	if strings.HasPrefix(op, "forallvalues:") || strings.HasSuffix(op, "ifexists") {
		return false
	}
	op = strings.TrimPrefix(op, "foranyvalue:")
	switch op {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike":
		return true
	}
	return false
}

func fixed(v string) bool { return !strings.ContainsAny(v, "*?$") }

// limitsOf returns the conditions that pin a grant to parties.
func limitsOf(conds []snapshot.Condition, own string, cfg settings.Exposure) []limit {
	var out []limit
	for _, c := range conds {
		if !positive(c.Operator) || len(c.Values) == 0 {
			continue
		}
		key := strings.ToLower(c.Key)
		var parties []string
		ok := true
		for _, v := range c.Values {
			p := party(key, v)
			if p == "" {
				ok = false
				break
			}
			parties = append(parties, p)
		}
		if !ok || parties == nil {
			continue
		}
		l := limit{key: c.Key, parties: parties, values: c.Values, trusted: true}
		for _, p := range parties {
			l.trusted = l.trusted && trustedParty(p, own, cfg)
		}
		out = append(out, l)
	}
	return out
}

// party returns the party a limiting key's value pins: an account id, an
// organization id, "token:..."; "" when the key does not limit or the
// value is not fixed.
func party(key, v string) string {
	switch key {
	case "aws:sourceaccount", "aws:principalaccount":
		if accountRE().MatchString(v) {
			return v
		}
	case "aws:sourcearn", "aws:principalarn":
		if a := lambdaarn.Account(v); accountRE().MatchString(a) {
			return a
		}
	case "aws:principalorgid", "aws:sourceorgid":
		if orgRE().MatchString(v) {
			return v
		}
	case "aws:principalorgpaths", "aws:sourceorgpaths":
		if org, _, _ := strings.Cut(v, "/"); orgRE().MatchString(org) {
			return org
		}
	case "lambda:eventsourcetoken":
		if v != "" && fixed(v) {
			return "token:" + v
		}
	}
	return ""
}

func trustedParty(p, own string, cfg settings.Exposure) bool {
	switch {
	case strings.HasPrefix(p, "token:"):
		return true
	case strings.HasPrefix(p, "o-"):
		return cfg.TrustedOrganization(p)
	}
	return cfg.TrustedAccount(own, p)
}

func partyName(p string) string {
	if strings.HasPrefix(p, "o-") {
		return "organization " + p
	}
	return "account " + p
}

func keysOf(ls []limit) string {
	ks := make([]string, len(ls))
	for i, l := range ls {
		ks[i] = l.key
	}
	return strings.Join(ks, ", ")
}

// through says whether a statement only works through a function URL.
func through(conds []snapshot.Condition) Through {
	t := Directly
	for _, c := range conds {
		if len(c.Values) != 1 {
			continue
		}
		op, key, v := strings.ToLower(c.Operator), strings.ToLower(c.Key), c.Values[0]
		switch {
		case key == "lambda:functionurlauthtype" && (op == "stringequals" || op == "stringequalsignorecase") && strings.EqualFold(v, "NONE"):
			return OpenURL
		case key == "lambda:invokedviafunctionurl" && op == "bool" && strings.EqualFold(v, "true"):
			t = AnyURL
		}
	}
	return t
}
