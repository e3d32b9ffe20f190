package lambdaguard

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// checkSignatures asks Signer about the signatures the decision wants
// judged (observe.Signatures): every one in a scope that lists every
// version, else what an event's decision uses. Without Signatures nothing
// is asked.
func (g *Guard) checkSignatures(ctx context.Context, snap *snapshot.Snapshot, scope observe.Scope) error {
	if g.Signatures == nil {
		return nil
	}
	check := g.Signatures.Check
	if scope.Versions {
		check = g.Signatures.CheckAll
	}
	if err := check(ctx, snap); err != nil {
		return fmt.Errorf("check signatures of %s with AWS Signer: %w", snap.Name, err)
	}
	return nil
}
