package sweep

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/exposureguard/observe"
	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// ExposureLister is the part of the Lambda client the lister uses to find
// what the exposure rules judge besides functions: layers and event source
// mappings, all on the shared control-plane bucket.
type ExposureLister interface {
	ListLayers(ctx context.Context, in *lambda.ListLayersInput, optFns ...func(*lambda.Options)) (*lambda.ListLayersOutput, error)
	ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, optFns ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, optFns ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// ExposureListerPermissions are the IAM actions the exposure listing needs.
var ExposureListerPermissions = []string{"lambda:ListLayers", "lambda:ListLayerVersions", "lambda:ListEventSourceMappings"}

// ExposureEvaluator judges who can reach what: the exposure guard.
type ExposureEvaluator interface {
	EvaluateFunction(ctx context.Context, name string, sc observe.Scope) (finding.Decision, error)
	EvaluateLayer(ctx context.Context, name, version, arn string) (finding.Decision, error)
	DecideMapping(m snapshot.Mapping) finding.Decision
	Evaluate(ctx context.Context, s pipeline.Subject) (finding.Decision, error)
}

var _ ExposureEvaluator = (*exposureguard.Guard)(nil)

// Batch sizes of the exposure listing: a layer version costs the worker
// one GetLayerVersionPolicy, a mapping nothing (the listing says it all).
const (
	DefaultBatchLayers   = 25
	DefaultBatchMappings = 100
)

// LayerVersion is one of the account's layer versions, as listed.
type LayerVersion struct {
	Name    string `json:"n"`
	Version int64  `json:"v"`
	ARN     string `json:"a"`
}

// Mapping is an event source mapping as listed: all its rule needs.
type Mapping struct {
	UUID     string `json:"u"`
	ARN      string `json:"a,omitempty"`
	Function string `json:"f"`
	Source   string `json:"s,omitempty"`
	State    string `json:"st"`
}

func (m Mapping) snapshot() snapshot.Mapping {
	return snapshot.Mapping{UUID: m.UUID, ARN: m.ARN, FunctionARN: m.Function, EventSourceARN: m.Source, State: m.State}
}

// listExposure sends the account's layer versions and event source
// mappings in batches: ListLayers (50 a page), ListLayerVersions per layer,
// ListEventSourceMappings (100 a page).
func (l *Lister) listExposure(ctx context.Context, run string, st *ListStats) error {
	b := &exposureBatcher{l: l, run: run, st: st}
	lp := lambda.NewListLayersPaginator(l.Exposure, &lambda.ListLayersInput{MaxItems: aws.Int32(50)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list layers: %w", err)
		}
		for _, layer := range page.Layers {
			vp := lambda.NewListLayerVersionsPaginator(l.Exposure, &lambda.ListLayerVersionsInput{LayerName: layer.LayerName, MaxItems: aws.Int32(50)})
			for vp.HasMorePages() {
				vpage, err := vp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("list versions of layer %s: %w", aws.ToString(layer.LayerName), err)
				}
				for _, v := range vpage.LayerVersions {
					st.Layers++
					b.batch.Layers = append(b.batch.Layers, LayerVersion{Name: aws.ToString(layer.LayerName), Version: v.Version, ARN: aws.ToString(v.LayerVersionArn)})
					if len(b.batch.Layers) >= DefaultBatchLayers {
						if err := b.flush(ctx); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	mp := lambda.NewListEventSourceMappingsPaginator(l.Exposure, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(100)})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list event source mappings: %w", err)
		}
		for _, m := range page.EventSourceMappings {
			fn, _ := lambdaarn.SplitFunction(aws.ToString(m.FunctionArn))
			if l.Settings.FunctionExempt(fn) {
				st.Exempt++
				continue
			}
			st.Mappings++
			s := observe.MappingOf(m)
			b.batch.Mappings = append(b.batch.Mappings, Mapping{UUID: s.UUID, ARN: s.ARN, Function: s.FunctionARN, Source: s.EventSourceARN, State: s.State})
			if len(b.batch.Mappings) >= DefaultBatchMappings {
				if err := b.flush(ctx); err != nil {
					return err
				}
			}
		}
	}
	return b.flush(ctx)
}

// exposureBatcher numbers and sends a listing's batches.
type exposureBatcher struct {
	l     *Lister
	run   string
	st    *ListStats
	batch Batch
}

func (b *exposureBatcher) flush(ctx context.Context) error {
	if len(b.batch.Layers) == 0 && len(b.batch.Mappings) == 0 {
		return nil
	}
	b.batch.Run, b.batch.Index = b.run, b.st.Batches
	if err := b.l.Queue.Send(ctx, b.batch); err != nil {
		return fmt.Errorf("send batch %d: %w", b.batch.Index, err)
	}
	b.st.Batches++
	b.batch = Batch{}
	return nil
}

// exposeFunction judges who can reach a listed function: the policies of
// the function, its aliases and its versions (GetPolicy each, on its own
// quota), its URLs and its recursion setting (one shared call each).
func (w *Worker) exposeFunction(ctx context.Context, f Function, aliases []string) error {
	if w.Exposure == nil {
		return nil
	}
	qualifiers := append([]string{""}, aliases...)
	for _, v := range f.Versions {
		qualifiers = append(qualifiers, v.Version)
	}
	subject := pipeline.Subject{Type: finding.ResourceFunction, Name: f.Name, Guard: exposureguard.Name}
	d, err := w.Exposure.EvaluateFunction(ctx, f.Name, observe.Scope{ARN: f.ARN, Qualifiers: qualifiers, AllURLs: true, Recursion: true})
	if err != nil {
		return fmt.Errorf("exposure: %w", err)
	}
	return w.finish(ctx, subject, d, w.ExposureActor, w.Exposure.Evaluate)
}

func (w *Worker) exposeLayer(ctx context.Context, l LayerVersion) error {
	v := strconv.FormatInt(l.Version, 10)
	subject := pipeline.Subject{Type: finding.ResourceLayer, Name: l.Name, Qualifier: v, Guard: exposureguard.Name}
	d, err := w.Exposure.EvaluateLayer(ctx, l.Name, v, l.ARN)
	if err != nil {
		return err
	}
	return w.finish(ctx, subject, d, w.ExposureActor, w.Exposure.Evaluate)
}

func (w *Worker) exposeMapping(ctx context.Context, m Mapping) error {
	subject := pipeline.Subject{Type: finding.ResourceEventSourceMapping, Name: m.UUID, Guard: exposureguard.Name}
	return w.finish(ctx, subject, w.Exposure.DecideMapping(m.snapshot()), w.ExposureActor, w.Exposure.Evaluate)
}

// processExposure judges a batch's layer versions and mappings.
func (w *Worker) processExposure(ctx context.Context, b Batch) error {
	if w.Exposure == nil {
		return nil
	}
	var errs []error
	for _, l := range b.Layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.exposeLayer(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("layer %s:%d: %w", l.Name, l.Version, err))
		}
	}
	for _, m := range b.Mappings {
		if err := w.exposeMapping(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("mapping %s: %w", m.UUID, err))
		}
	}
	return errors.Join(errs...)
}
