package settings

import (
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnvDefaultsToMonitor(t *testing.T) {
	s, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != finding.ModeMonitor || s.RequiredApprovals != 1 || s.ApprovalTemplate != DefaultApprovalTemplate ||
		len(s.ProtectedBranches) != 1 || s.ProtectedBranches[0] != "main" || s.LambdaRate != DefaultLambdaRate {
		t.Errorf("defaults: %+v", s)
	}
}

func TestFromEnvRejectsBadSettings(t *testing.T) {
	tests := map[string]map[string]string{
		"unknown mode":            {EnvMode: "strict"},
		"zero approvals":          {EnvRequiredApprovals: "0"},
		"rate above the quota":    {EnvLambdaRate: "20"},
		"broken exemption":        {EnvExemptFunctions: "sandbox-["},
		"profile that is no ARN":  {EnvTrustedProfiles: "my-profile"},
		"guard role that is user": {EnvGuardRoleARNs: "arn:aws:iam::1:user/guard"},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := FromEnv(env(m)); err == nil {
				t.Errorf("FromEnv(%v) accepted bad settings", m)
			}
		})
	}
}

func TestTrustedMatchesProfileOrExactVersion(t *testing.T) {
	s := Settings{TrustedProfiles: []string{
		"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release",
		"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/hotfix/v2",
	}}
	tests := []struct {
		arn  string
		want bool
	}{
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/a1b2", true},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/releaser/a1b2", false},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/hotfix/v2", true},
		{"arn:aws:signer:eu-west-1:111122223333:/signing-profiles/hotfix/v1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.Trusted(tt.arn); got != tt.want {
			t.Errorf("Trusted(%q) = %v, want %v", tt.arn, got, tt.want)
		}
	}
}

func TestExemptionsAndGuardIdentity(t *testing.T) {
	s := Settings{ExemptFunctions: []string{"sandbox-*", "legacy"}, GuardRoleARNs: []string{"arn:aws:iam::1:role/selfguard"}}
	if !s.FunctionExempt("sandbox-42") || !s.FunctionExempt("legacy") || s.FunctionExempt("payments") {
		t.Error("function exemptions do not match as configured")
	}
	if !s.IsGuard("arn:aws:iam::1:role/selfguard") || s.IsGuard("arn:aws:iam::1:role/selfguard-copy") {
		t.Error("guard identity must be an exact ARN match")
	}
}

func TestInstancesShareTheRate(t *testing.T) {
	s, err := FromEnv(env(map[string]string{EnvLambdaRate: "6", EnvConcurrency: "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.InstanceRate(); got != 2 {
		t.Errorf("InstanceRate() = %v, want 2 (6/s shared by 3 instances)", got)
	}
	if _, err := FromEnv(env(map[string]string{EnvConcurrency: "0"})); err == nil {
		t.Error("a concurrency of 0 was accepted")
	}
	if s, _ := FromEnv(env(nil)); s.InstanceRate() != DefaultLambdaRate {
		t.Errorf("default InstanceRate() = %v, want the whole rate", s.InstanceRate())
	}
}
