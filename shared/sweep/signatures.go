package sweep

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// SignatureChecker fills in AWS Signer's word on every trusted signature of
// a snapshot (observe.Signatures is one): the listing says who signed,
// Signer whether that still holds, for $LATEST and every published version.
type SignatureChecker interface {
	CheckAll(ctx context.Context, s *snapshot.Snapshot) error
}

func (w *Worker) checkSignatures(ctx context.Context, snap *snapshot.Snapshot) error {
	if w.Signatures == nil {
		return nil
	}
	if err := w.Signatures.CheckAll(ctx, snap); err != nil {
		return fmt.Errorf("check signatures with AWS Signer: %w", err)
	}
	return nil
}
