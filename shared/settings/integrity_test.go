package settings

import (
	"errors"
	"strings"
	"testing"
)

const (
	guardFn   = "arn:aws:lambda:eu-west-1:111122223333:function:selfguard-lambda-guard"
	releaseP  = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release"
	guardProf = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/selfguard/AbCdEf1234"
)

func TestEnforceModeWithNoTrustedProfileRefusesToStart(t *testing.T) {
	_, err := ForGuard(env(map[string]string{EnvMode: "enforce"}))
	if !errors.Is(err, ErrEnforceTrustsNothing) {
		t.Fatalf("FromEnv(enforce, no trusted profiles) = %v, want ErrEnforceTrustsNothing", err)
	}
	for _, want := range []string{EnvTrustedProfiles, "contain every function"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := ForGuard(env(map[string]string{EnvMode: "enforce", EnvTrustedProfiles: releaseP})); err != nil {
		t.Errorf("enforce with a trusted profile: %v", err)
	}
	if _, err := ForGuard(env(map[string]string{EnvMode: "monitor"})); err != nil {
		t.Errorf("monitor with no trusted profile only alerts and may start: %v", err)
	}
	if _, err := FromEnv(env(map[string]string{EnvMode: "enforce"})); err != nil {
		t.Errorf("a tool that only judges may read enforce with no trusted profile: %v", err)
	}
	if _, err := ForGuard(env(map[string]string{EnvMode: "enforce", EnvLambdaRate: "99"})); err == nil || errors.Is(err, ErrEnforceTrustsNothing) {
		t.Errorf("ForGuard must report FromEnv's errors first: %v", err)
	}
}

func TestFromEnvRejectsBadIntegritySettings(t *testing.T) {
	tests := map[string]map[string]string{
		"guard function by name":      {EnvGuardFunctionARNs: "selfguard-lambda-guard"},
		"guard function qualified":    {EnvGuardFunctionARNs: guardFn + ":1"},
		"guard function not function": {EnvGuardFunctionARNs: "arn:aws:lambda:eu-west-1:111122223333:layer:x"},
		"guard profile not signer":    {EnvGuardSigningProfile: "arn:aws:iam::111122223333:role/x"},
		"stack role that is a user":   {EnvStackRoleARNs: "arn:aws:iam::111122223333:user/x"},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := FromEnv(env(m)); err == nil {
				t.Errorf("FromEnv(%v) accepted bad settings", m)
			}
		})
	}
}

func TestGuardFunctionARNsAreKnownExactly(t *testing.T) {
	s, err := FromEnv(env(map[string]string{EnvGuardFunctionARNs: guardFn + ", arn:aws:lambda:eu-west-1:111122223333:function:selfguard-sweep"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want bool
	}{
		{guardFn, true},
		{guardFn + ":7", true},
		{"selfguard-lambda-guard", true},
		{"selfguard-sweep", true},
		{"selfguard-lambda-guard-copy", false},
		{"arn:aws:lambda:eu-west-1:111122223333:function:selfguard-lambda-guard-copy", false},
		{"arn:aws:lambda:us-east-1:111122223333:function:selfguard-lambda-guard", false},
		{"arn:aws:lambda:eu-west-1:444455556666:function:selfguard-lambda-guard", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.IsGuardFunction(tt.ref); got != tt.want {
			t.Errorf("IsGuardFunction(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

func TestGuardSignedOnlyByItsOwnProfile(t *testing.T) {
	s := Settings{GuardSigningProfile: guardProf, TrustedProfiles: []string{releaseP}}
	if !s.GuardSigned(guardProf) {
		t.Error("the guard's own profile version is not accepted")
	}
	if s.GuardSigned(releaseP+"/v1") || s.GuardSigned("") {
		t.Error("the guard's functions accept code a developer's release profile signed, or unsigned code")
	}
	if (Settings{}).GuardSigned(guardProf) {
		t.Error("with no guard profile configured, nothing counts as guard-signed")
	}
}

func TestEveryStackRoleIsAGuardRoleForBorrowing(t *testing.T) {
	const sweep = "arn:aws:iam::111122223333:role/selfguard-sweep"
	s, err := FromEnv(env(map[string]string{EnvStackRoleARNs: sweep, EnvGuardRoleARNs: "arn:aws:iam::111122223333:role/selfguard-lambda-guard"}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.IsGuardRole(sweep) || !s.IsGuardRole("arn:aws:iam::111122223333:role/selfguard-lambda-guard") || s.IsGuardRole(sweep+"-copy") {
		t.Error("the stack's roles, and only they, are guard roles")
	}
}
