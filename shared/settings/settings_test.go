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

func TestDeletingVersionsIsOffUnlessChosen(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true} {
		s, err := FromEnv(env(map[string]string{EnvDeleteUntrustedVersions: v}))
		if err != nil || s.DeleteUntrustedVersions != want {
			t.Errorf("%s=%q: deletion %v, %v; want %v", EnvDeleteUntrustedVersions, v, s.DeleteUntrustedVersions, err, want)
		}
	}
}

func TestFromEnvRejectsBadSettings(t *testing.T) {
	tests := map[string]map[string]string{
		"unknown mode":            {EnvMode: "strict"},
		"zero approvals":          {EnvRequiredApprovals: "0"},
		"rate above the quota":    {EnvLambdaRate: "20"},
		"signer rate of nothing":  {EnvSignerRate: "0"},
		"signer rate not a rate":  {EnvSignerRate: "fast"},
		"rate that is NaN":        {EnvLambdaRate: "NaN"},
		"broken exemption":        {EnvExemptFunctions: "sandbox-["},
		"profile that is no ARN":  {EnvTrustedProfiles: "my-profile"},
		"guard role that is user": {EnvGuardRoleARNs: "arn:aws:iam::1:user/guard"},
		"deletion misspelt":       {EnvDeleteUntrustedVersions: "yes"},
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

func TestExemptions(t *testing.T) {
	s := Settings{ExemptFunctions: []string{"sandbox-*", "legacy"}}
	if !s.FunctionExempt("sandbox-42") || !s.FunctionExempt("legacy") || s.FunctionExempt("payments") {
		t.Error("function exemptions do not match as configured")
	}
}

// TestOwnWritesByRoleAndSession: Lambda names an execution role's session
// after the function, and anyone who may pass the guard's role to Lambda
// can run a function of their own with it. A write is the guard's own only
// when both the role and the session (one of the stack's functions) match.
func TestOwnWritesByRoleAndSession(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/selfguard-lambda-guard"
	s := Settings{GuardRoleARNs: []string{role, "arn:aws:iam::111122223333:role/ops/selfguard-repo-guard"},
		GuardFunctions: []string{"selfguard-lambda-guard", "selfguard-repo-guard"}}
	sts := "arn:aws:sts::111122223333:assumed-role/"
	tests := []struct {
		name           string
		issuer, caller string
		want           bool
	}{
		{"the guard function with its role", role, sts + "selfguard-lambda-guard/selfguard-lambda-guard", true},
		{"another of the stack's functions with the role", role, sts + "selfguard-lambda-guard/selfguard-repo-guard", true},
		{"a role with a path", "arn:aws:iam::111122223333:role/ops/selfguard-repo-guard", sts + "selfguard-repo-guard/selfguard-repo-guard", true},
		{"an attacker's function given the guard's role", role, sts + "selfguard-lambda-guard/innocent-looking", false},
		{"a session named like the guard's, longer", role, sts + "selfguard-lambda-guard/selfguard-lambda-guard-2", false},
		{"a role named like the guard's", "arn:aws:iam::111122223333:role/selfguard-lambda-guard-copy",
			sts + "selfguard-lambda-guard-copy/selfguard-lambda-guard", false},
		{"the caller's role not the issuer's", role, sts + "other-role/selfguard-lambda-guard", false},
		{"another account", role, "arn:aws:sts::444455556666:assumed-role/selfguard-lambda-guard/selfguard-lambda-guard", false},
		{"an IAM user", "arn:aws:iam::111122223333:user/selfguard-lambda-guard", "arn:aws:iam::111122223333:user/selfguard-lambda-guard", false},
		{"no caller", role, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.IsGuard(tt.issuer, tt.caller); got != tt.want {
				t.Errorf("IsGuard(%s, %s) = %v, want %v", tt.issuer, tt.caller, got, tt.want)
			}
		})
	}
	if (Settings{GuardRoleARNs: []string{role}}).IsGuard(role, sts+"selfguard-lambda-guard/selfguard-lambda-guard") {
		t.Error("without the stack's function names, a role alone made a write the guard's own")
	}
}

func TestGuardFunctionsFromEnv(t *testing.T) {
	s, err := FromEnv(env(map[string]string{EnvGuardFunctions: "selfguard-lambda-guard, selfguard-repo-guard"}))
	if err != nil || len(s.GuardFunctions) != 2 || s.GuardFunctions[1] != "selfguard-repo-guard" {
		t.Fatalf("GuardFunctions = %v, %v", s.GuardFunctions, err)
	}
	if _, err := FromEnv(env(map[string]string{EnvGuardFunctions: "arn:aws:lambda:eu-west-1:1:function:x"})); err == nil {
		t.Error("an ARN was accepted as a function name")
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

// TestSignerRateIsTheDeployersChoice: the pace of the guard's questions to
// AWS Signer is a parameter, for accounts whose Signer quotas allow more.
func TestSignerRateIsTheDeployersChoice(t *testing.T) {
	if s, err := FromEnv(env(nil)); err != nil || s.SignerRate != DefaultSignerRate {
		t.Errorf("default SignerRate = %v, %v; want %v", s.SignerRate, err, DefaultSignerRate)
	}
	if s, err := FromEnv(env(map[string]string{EnvSignerRate: "20"})); err != nil || s.SignerRate != 20 {
		t.Errorf("SignerRate = %v, %v; want 20", s.SignerRate, err)
	}
}
