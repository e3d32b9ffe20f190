package sweep

import (
	"context"
	"errors"
	"fmt"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// Cause is the event behind a fan-out batch, for its alerts.
type Cause struct {
	EventID   string `json:"id,omitempty"`
	EventName string `json:"name,omitempty"`
	Actor     string `json:"actor,omitempty"`
}

// CodeSigningJudge judges the functions of a code signing config whose
// policy changed: the Lambda guard. The policy is read once per batch; each
// function costs one GetFunction (its own 100/s quota), and a version
// listing when the batch asks for it or a repair needs a target.
type CodeSigningJudge interface {
	ReadCodeSigningConfig(ctx context.Context, arn string) (*snapshot.CodeSigningConfig, error)
	EvaluateUnderCSC(ctx context.Context, name string, csc *snapshot.CodeSigningConfig, versions bool) (finding.Decision, error)
}

// codeSigningBatch judges a fan-out batch: each function with the
// config's current policy, acted on and reported as a sweep result.
func (w *Worker) codeSigningBatch(ctx context.Context, b Batch) error {
	if w.CodeSigningConfigs == nil {
		return fmt.Errorf("batch %d of %s: no judge for code signing config batches", b.Index, b.Run)
	}
	csc, err := w.CodeSigningConfigs.ReadCodeSigningConfig(ctx, b.CodeSigningConfig)
	if err != nil {
		return fmt.Errorf("read code signing config %s: %w", b.CodeSigningConfig, err)
	}
	var errs []error
	for _, name := range b.Names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.Settings.FunctionExempt(name) {
			continue
		}
		d, err := w.CodeSigningConfigs.EvaluateUnderCSC(ctx, name, csc, b.Versions)
		if err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", name, err))
			continue
		}
		s := pipeline.Subject{Type: finding.ResourceFunction, Name: name}
		if err := w.finish(ctx, s, d, w.LambdaActor, w.RecheckFunction); err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
