package observe

import (
	"context"
	"slices"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// ReadSeen is Read, but $LATEST and the published versions the scope names
// (Published) are taken from glances of the function made just before
// (Glance) instead of read again: the glance was the same GetFunction, a
// few milliseconds earlier. A quick event the glance did not settle (an
// unsigned code update) is then decided with the glance and
// GetFunctionCodeSigningConfig. Versions the scope does not name are not
// seeded, so the snapshot holds what Read would have read.
func (r *Reader) ReadSeen(ctx context.Context, name string, scope Scope, seen []snapshot.Snapshot) (snapshot.Snapshot, error) {
	s := snapshot.Snapshot{Name: snapshot.FunctionName(name), Versions: map[string]snapshot.Code{}}
	for _, g := range seen {
		if g.Name != s.Name || !g.LatestRead {
			continue
		}
		switch v := g.Latest.Version; {
		case v == snapshot.Latest && scope.Latest:
			s.Latest, s.LatestRead, s.ARN, s.Account = g.Latest, true, g.ARN, g.Account
			s.PackageType, s.ReservedConcurrency = g.PackageType, g.ReservedConcurrency
			scope.Latest = false
		case slices.Contains(scope.Published, v):
			s.Versions[v] = g.Latest // readVersion skips a version known
		}
	}
	return r.read(ctx, s, scope)
}
