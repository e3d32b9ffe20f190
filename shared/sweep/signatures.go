package sweep

import (
	"context"
	"fmt"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// SignatureChecker fills in AWS Signer's word on the trusted signatures a
// snapshot's decision asks about (observe.Signatures is one): the listing
// says who signed, Signer whether that still holds.
type SignatureChecker interface {
	Check(ctx context.Context, s *snapshot.Snapshot) error
}

func (w *Worker) checkSignatures(ctx context.Context, snap *snapshot.Snapshot) error {
	if w.Signatures == nil {
		return nil
	}
	if err := w.Signatures.Check(ctx, snap); err != nil {
		return fmt.Errorf("check signatures with AWS Signer: %w", err)
	}
	return nil
}
