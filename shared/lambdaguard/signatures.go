package lambdaguard

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// checkSignatures asks Signer about the signatures the decision wants
// judged (observe.Signatures); without Signatures nothing is asked.
func (g *Guard) checkSignatures(ctx context.Context, snap *snapshot.Snapshot) error {
	if g.Signatures == nil {
		return nil
	}
	if err := g.Signatures.Check(ctx, snap); err != nil {
		return fmt.Errorf("check signatures of %s with AWS Signer: %w", snap.Name, err)
	}
	return nil
}
