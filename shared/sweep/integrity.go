package sweep

import "github.com/selfguard/selfguard/shared/settings"

// borrowsGuardRole reports whether any version listed runs with one of the
// stack's own roles. An exempt function is still swept when it does: an
// exemption waives the signing rules, never the integrity rule.
func (f Function) borrowsGuardRole(cfg settings.Settings) bool {
	if cfg.IsGuardRole(f.Latest.Role) {
		return true
	}
	for _, v := range f.Versions {
		if cfg.IsGuardRole(v.Role) {
			return true
		}
	}
	return false
}
