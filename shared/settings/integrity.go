package settings

import (
	"errors"
	"fmt"
	"strings"

	"github.com/selfguard/selfguard/shared/finding"
)

// ErrEnforceTrustsNothing is the refusal to start in enforce mode with no
// trusted signing profile: every function's code would count as untrusted,
// and the guard would contain every function of the account.
var ErrEnforceTrustsNothing = errors.New("enforce mode with no trusted signing profile would contain every function; " +
	"set TrustedSigningProfileArns or deploy in monitor mode")

// ForGuard reads the settings of a guard function (FromEnv) and refuses,
// at its start, settings that would turn it against the account. A tool
// that only judges (selfguard audit, evaluate) reads FromEnv and may judge
// with no trusted profile, warning that everything then looks untrusted.
func ForGuard(getenv func(string) string) (Settings, error) {
	s, err := FromEnv(getenv)
	if err != nil {
		return Settings{}, err
	}
	if s.Mode == finding.ModeEnforce && len(s.TrustedProfiles) == 0 {
		return Settings{}, fmt.Errorf("%s=%s with %s empty: %w", EnvMode, s.Mode, EnvTrustedProfiles, ErrEnforceTrustsNothing)
	}
	return s, nil
}

// readIntegrity reads what the guard knows about itself.
func (s *Settings) readIntegrity(getenv func(string) string) error {
	s.GuardFunctionARNs = List(getenv(EnvGuardFunctionARNs))
	s.GuardSigningProfile = strings.TrimSpace(getenv(EnvGuardSigningProfile))
	s.StackRoleARNs = List(getenv(EnvStackRoleARNs))
	for _, a := range s.StackRoleARNs {
		if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":role/") {
			return fmt.Errorf("%s: %q is not an IAM role ARN", EnvStackRoleARNs, a)
		}
	}
	for _, a := range s.GuardFunctionARNs {
		if !strings.HasPrefix(a, "arn:") || strings.Count(a, ":") != 6 || !strings.Contains(a, ":function:") {
			return fmt.Errorf("%s: %q is not an unqualified function ARN", EnvGuardFunctionARNs, a)
		}
	}
	if p := s.GuardSigningProfile; p != "" && (!strings.HasPrefix(p, "arn:") || !strings.Contains(p, ":signer:")) {
		return fmt.Errorf("%s: %q is not a signing profile ARN", EnvGuardSigningProfile, p)
	}
	return nil
}

// IsGuardFunction reports whether ref (a function name, or a function ARN,
// qualified or not) is one of the stack's own functions. An ARN must equal
// one of them exactly; a bare name is compared with their names, which is
// the same thing within the one account and region the guard reads.
func (s Settings) IsGuardFunction(ref string) bool {
	if strings.HasPrefix(ref, "arn:") {
		if parts := strings.Split(ref, ":"); len(parts) == 8 {
			ref = strings.Join(parts[:7], ":") // drop the qualifier
		}
		for _, a := range s.GuardFunctionARNs {
			if ref == a {
				return true
			}
		}
		return false
	}
	for _, a := range s.GuardFunctionARNs {
		if ref != "" && ref == a[strings.LastIndex(a, ":")+1:] {
			return true
		}
	}
	return false
}

// IsGuardRole reports whether an execution role ARN is exactly one of the
// stack's own roles (StackRoleARNs, or a guard role whose writes are its own).
func (s Settings) IsGuardRole(roleARN string) bool {
	return contains(s.StackRoleARNs, roleARN) || contains(s.GuardRoleARNs, roleARN)
}

// GuardSigned reports whether code signed by profileVersionARN may run in
// the stack's own functions: it is the guard's signing profile version, or
// a version of it. With no guard profile configured nothing is.
func (s Settings) GuardSigned(profileVersionARN string) bool {
	p := s.GuardSigningProfile
	return p != "" && profileVersionARN != "" && (profileVersionARN == p || strings.HasPrefix(profileVersionARN, p+"/"))
}
