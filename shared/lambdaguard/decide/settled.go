package decide

import (
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

// Settled reports whether a glance (observe.Reader.Glance) settles a quick
// event: the version read is a published or $LATEST zip whose code, layers
// (and their accounts) and loader variables are trusted, no update is under
// way, it runs with no guard role, and it is not the guard's own. Through an
// alias, the version must be a published one ($LATEST behind an alias is a
// finding). Anything else is read in full.
func Settled(s snapshot.Snapshot, cfg settings.Settings, alias bool) bool {
	c := s.Latest
	switch {
	case !s.LatestRead, IsGuardFunction(s, cfg), cfg.FunctionExempt(s.Name),
		c.PackageType != snapshot.PackageZip, c.LastUpdateStatus == "InProgress",
		cfg.IsGuardRole(c.Role), alias && (c.Version == snapshot.Latest || c.Version == ""):
		return false
	}
	// What the version holds on its own, as decide judges it: code and
	// its signature, layers and their accounts, loader variables.
	return ownVerdict(c, s.Account, cfg).Trusted
}
