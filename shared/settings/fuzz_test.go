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
