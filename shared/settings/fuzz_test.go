package settings

import (
	"strings"
	"testing"
)

// FuzzFromEnv: any environment either gives valid settings or an error;
// valid settings are never enforce unless enforce was asked for.
func FuzzFromEnv(f *testing.F) {
	f.Add("enforce", "arn:aws:signer:eu-west-1:1:/signing-profiles/p", "sandbox-*", "2", "5")
	f.Add("", "", "[", "0", "99")
	f.Add("MONITOR", "arn:aws:signer:x", "a,b,,c", "25", "0.5")
	f.Fuzz(func(t *testing.T, mode, profiles, exempt, approvals, rate string) {
		env := map[string]string{EnvMode: mode, EnvTrustedProfiles: profiles, EnvExemptFunctions: exempt,
			EnvRequiredApprovals: approvals, EnvLambdaRate: rate}
		s, err := FromEnv(func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if s.Mode == "enforce" && strings.ToLower(strings.TrimSpace(mode)) != "enforce" {
			t.Fatalf("mode %q turned enforcement on", mode)
		}
		if s.RequiredApprovals < 1 || s.LambdaRate <= 0 || s.LambdaRate > 15 {
			t.Fatalf("out-of-range settings accepted: %+v", s)
		}
		for _, p := range s.ExemptFunctions {
			_ = s.FunctionExempt(p)
		}
	})
}

// FuzzIsGuard: whatever identity a record claims, it is the guard's own only
// with one of the guards' roles as issuer and a session named after one of
// the stack's functions.
func FuzzIsGuard(f *testing.F) {
	const role = "arn:aws:iam::1:role/sg"
	s := Settings{GuardRoleARNs: []string{role}, GuardFunctions: []string{"sg-fn"}}
	f.Add(role, "arn:aws:sts::1:assumed-role/sg/sg-fn")
	f.Add(role, "arn:aws:sts::1:assumed-role/sg/other")
	f.Add("arn:aws:iam::1:role/", "arn:aws:sts::1:assumed-role//sg-fn")
	f.Fuzz(func(t *testing.T, issuer, caller string) {
		if s.IsGuard(issuer, caller) && (issuer != role || caller != "arn:aws:sts::1:assumed-role/sg/sg-fn") {
			t.Fatalf("IsGuard(%q, %q) = true", issuer, caller)
		}
	})
}

// FuzzParseExemptions: any value either parses into exemptions that each
// name an exposure rule, a resource and a reason, or errs.
func FuzzParseExemptions(f *testing.F) {
	f.Add("lambda.public-url:web=the public site")
	f.Add(`[{"rule":"lambda.public-invoke","resource":"pay#*","reason":"x"}]`)
	f.Add("lambda.public-url:a:b=c=d;;lambda.recursion-allowed:*=loops on purpose")
	f.Add("=;:")
	f.Fuzz(func(t *testing.T, v string) {
		xs, err := ParseExemptions(v)
		if err != nil {
			return
		}
		for _, x := range xs {
			if x.Rule == "" || x.Resource == "" || strings.TrimSpace(x.Reason) == "" {
				t.Fatalf("incomplete exemption accepted: %+v", x)
			}
		}
	})
}
