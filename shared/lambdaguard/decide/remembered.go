package decide

import (
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// ParamRemembered, on a restore, says its target is the remembered release
// and holds the sha256 remembered of it: the action reads the version
// again and restores only that code, trusted; otherwise the guard forgets
// the release and decides on a listing of the versions.
const ParamRemembered = "rememberedSha256"

// remembered reports whether the target is the remembered release: a
// trusted version to go back to, known without listing every version. A
// newer trusted version read in the same snapshot would be the target
// instead, and is not known to be the newest without the listing.
func remembered(s snapshot.Snapshot, target snapshot.Code, have bool) bool {
	return have && s.Remembered != "" && target.Version == s.Remembered
}

// fromMemory marks a repair whose target is the remembered release.
func fromMemory(a finding.Action, s snapshot.Snapshot, target snapshot.Code) finding.Action {
	if remembered(s, target, true) {
		a.Params[ParamRemembered] = target.CodeSha256
	}
	return a
}
