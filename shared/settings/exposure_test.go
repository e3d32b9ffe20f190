package settings

import (
	"reflect"
	"testing"

	"github.com/selfguard/selfguard/shared/rules"
)

func TestParseExemptionsReadsBothForms(t *testing.T) {
	want := []Exemption{
		{Rule: rules.PublicURL, Resource: "web", Reason: "the public website"},
		{Rule: rules.UntrustedAccount, Resource: "arn:aws:execute-api:eu-west-1:444455556666:*", Reason: "partner API"},
	}
	tests := map[string]string{
		"compact": "lambda.public-url:web=the public website; lambda.untrusted-account-invoke:arn:aws:execute-api:eu-west-1:444455556666:*=partner API;",
		"json": `[{"rule":"lambda.public-url","resource":"web","reason":"the public website"},
			{"rule":"lambda.untrusted-account-invoke","resource":"arn:aws:execute-api:eu-west-1:444455556666:*","reason":"partner API"}]`,
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseExemptions(v)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseExemptionsRefusesWhatWouldSilentlyExemptNothingOrEverything(t *testing.T) {
	tests := map[string]string{
		"no reason":              "lambda.public-url:web=",
		"no resource":            "lambda.public-url:=because",
		"no equals sign":         "lambda.public-url:web",
		"unknown rule":           "lambda.public-uri:web=typo",
		"rule of another guard":  "lambda.unsigned-code:web=not an exposure rule",
		"broken JSON":            `[{"rule":`,
		"JSON without a reason":  `[{"rule":"lambda.public-url","resource":"web"}]`,
		"nothing but separators": "lambda.public-url",
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := ParseExemptions(v); err == nil {
				t.Errorf("ParseExemptions(%q) = %+v, want an error", v, got)
			}
		})
	}
}

func TestExposureSettingsFromEnv(t *testing.T) {
	s, err := FromEnv(env(map[string]string{
		EnvTrustedAccounts: "444455556666, 777788889999", EnvOrganizationID: "o-a1b2c3d4e5",
		EnvExposureExemptions: "lambda.public-url:web=the public website", EnvAccount: "111122223333",
	}))
	if err != nil {
		t.Fatal(err)
	}
	e := s.Exposure
	if e.Account != "111122223333" || len(e.TrustedAccounts) != 2 || e.OrganizationID != "o-a1b2c3d4e5" || len(e.Exemptions) != 1 {
		t.Errorf("exposure settings = %+v", e)
	}
	for name, m := range map[string]map[string]string{
		"short account":    {EnvTrustedAccounts: "4444"},
		"own account name": {EnvAccount: "prod"},
		"account as ARN":   {EnvTrustedAccounts: "arn:aws:iam::444455556666:root"},
		"bad org id":       {EnvOrganizationID: "r-abcd"},
		"bad exemption":    {EnvExposureExemptions: "lambda.public-url:web"},
		"exempting typos":  {EnvExposureExemptions: "lambda.public:web=x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := FromEnv(env(m)); err == nil {
				t.Errorf("FromEnv(%v) accepted it", m)
			}
		})
	}
}

func TestTrustIsTheOwnAccountTheListedOnesAndTheConfiguredOrganization(t *testing.T) {
	e := Exposure{TrustedAccounts: []string{"444455556666"}, OrganizationID: "o-a1b2c3d4e5"}
	tests := []struct {
		name    string
		account string
		want    bool
	}{
		{"own account", "111122223333", true},
		{"listed account", "444455556666", true},
		{"any other account", "999999999999", false},
		{"no account at all", "", false},
	}
	for _, tt := range tests {
		if got := e.TrustedAccount("111122223333", tt.account); got != tt.want {
			t.Errorf("%s: TrustedAccount = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !e.TrustedOrganization("o-a1b2c3d4e5") || e.TrustedOrganization("o-zzzzzzzzzz") || (Exposure{}).TrustedOrganization("") {
		t.Error("only the configured organization is trusted")
	}
}

func TestExemptMatchesAnyNameTheFindingGoesBy(t *testing.T) {
	e := Exposure{Exemptions: []Exemption{
		{Rule: rules.PublicURL, Resource: "web*", Reason: "public site"},
		{Rule: rules.UntrustedAccount, Resource: "arn:aws:execute-api:eu-west-1:444455556666:*", Reason: "partner API"},
	}}
	if x, ok := e.Exempt(rules.PublicURL, "web-shop:live", "web-shop"); !ok || x.Reason != "public site" {
		t.Errorf("the URL of web-shop is not exempt: %+v %v", x, ok)
	}
	if _, ok := e.Exempt(rules.PublicInvoke, "web-shop"); ok {
		t.Error("an exemption of one rule exempted another")
	}
	if _, ok := e.Exempt(rules.UntrustedAccount, "pay#partner", "pay", "arn:aws:execute-api:eu-west-1:444455556666:abc123/*/POST/orders"); !ok {
		t.Error("the partner's API Gateway, by its source ARN, is not exempt")
	}
	if _, ok := e.Exempt(rules.UntrustedAccount, "pay#other", "pay", "arn:aws:execute-api:eu-west-1:999999999999:abc123/*"); ok {
		t.Error("another account's API Gateway is exempt")
	}
}

func TestWildcardIsIAMStyle(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"web", "web", true},
		{"web", "web-shop", false},
		{"web*", "web-shop", true},
		{"*", "", true},
		{"pay:*", "pay:prod#partner", true},
		{"arn:aws:execute-api:*:444455556666:*", "arn:aws:execute-api:eu-west-1:444455556666:abc/*/POST/x", true},
		{"arn:aws:execute-api:*:444455556666:*", "arn:aws:execute-api:eu-west-1:999999999999:abc/*", false},
		{"shared:?", "shared:3", true},
		{"shared:?", "shared:12", false},
		{"a*b*c", "aXXbYYbZZc", true},
		{"a*b*c", "aXXbYYbZZ", false},
		{"a*", "a*bc", true},
	}
	for _, tt := range tests {
		if got := Wildcard(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Wildcard(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
