package lambdaguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/sweep"
)

// Batches takes batches of work to the sweep workers: sweep.SQSQueue on
// the sweep queue.
type Batches interface {
	Send(ctx context.Context, b sweep.Batch) error
}

// FanOutPermissions are the IAM actions the fan-out needs besides the
// rules' own: sending to the sweep queue.
var FanOutPermissions = []string{"sqs:SendMessage"}

// FanOutBatch is how many functions one fan-out batch carries.
const FanOutBatch = sweep.DefaultBatchFunctions

// fanOut hands the functions of a code signing config whose policy changed
// to the sweep workers. Judging a config used by many functions in this
// one invocation would take about two shared-bucket calls per function
// and outlast the function's timeout beyond a few hundred; the guard only
// lists them (50 a call) and sends batches, and the workers, with their own
// share of the quota and a 15-minute timeout each, judge every function with
// the config's policy read once per batch, act in enforce mode and alert on
// every finding.
func (g *Guard) fanOut(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	cause, weakened := &sweep.Cause{}, false
	if rec := s.Event; rec != nil {
		cause = &sweep.Cause{EventID: rec.EventID, EventName: rec.EventName, Actor: rec.UserIdentity.Actor()}
		weakened = len(decide.WeakenedBy(*rec, g.Settings)) > 0
	}
	run := "csc-" + cause.EventID
	if cause.EventID == "" {
		run = "csc-" + s.Name
	}
	// A weakening event has the workers list each function's versions, so
	// that those published while the config was weak are judged too.
	next := func(i int) sweep.Batch {
		return sweep.Batch{Run: run, Index: i, CodeSigningConfig: s.Name, Versions: weakened, Cause: cause}
	}
	b := next(0)
	sent, functions := 0, 0
	flush := func() error {
		if len(b.Names) == 0 {
			return nil
		}
		if err := g.Batches.Send(ctx, b); err != nil {
			return fmt.Errorf("fan out code signing config %s: %w", s.Name, err)
		}
		sent++
		b = next(sent)
		return nil
	}
	p := lambda.NewListFunctionsByCodeSigningConfigPaginator(g.API, &lambda.ListFunctionsByCodeSigningConfigInput{
		CodeSigningConfigArn: aws.String(s.Name), MaxItems: aws.Int32(50),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return finding.Decision{}, fmt.Errorf("list functions of code signing config %s: %w", s.Name, err)
		}
		for _, arn := range page.FunctionArns {
			name := snapshot.FunctionName(arn)
			if g.Settings.FunctionExempt(name) {
				continue
			}
			functions++
			b.Names = append(b.Names, name)
			if len(b.Names) >= FanOutBatch {
				if err := flush(); err != nil {
					return finding.Decision{}, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return finding.Decision{}, err
	}
	log := logging.From(ctx)
	log.Info().Str(logging.FieldResource, s.Name).Int("functions", functions).Int("batches", sent).
		Msg("code signing config changed: its functions were sent to the sweep workers")
	if !weakened {
		return finding.Decision{}, nil
	}
	return g.weakenedEdge(ctx, s)
}

// weakenedEdge alerts a weakening the functions' own findings will not
// show: the config is strong again, or gone, by the time it is read.
func (g *Guard) weakenedEdge(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	now, err := g.ReadCodeSigningConfig(ctx, s.Name)
	if err != nil {
		return finding.Decision{}, err
	}
	if now != nil && decide.Weak(*now, g.Settings) {
		return finding.Decision{}, nil // the workers flag it on every function using it
	}
	return decide.WithCSCEdge(*s.Event, now, nil, finding.Decision{}, g.Settings), nil
}

// ReadCodeSigningConfig reads a code signing config's policy, once for a
// batch of its functions. A config deleted meanwhile gives nil: its
// functions are no longer attached to it.
func (g *Guard) ReadCodeSigningConfig(ctx context.Context, arn string) (*snapshot.CodeSigningConfig, error) {
	out, err := g.API.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: aws.String(arn)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get code signing config %s: %w", arn, err)
	}
	return observe.PolicyOf(arn, out), nil
}

// EvaluateUnderCSC judges one function that the listing says uses csc,
// with csc's policy: one GetFunction, and the version list when asked (a
// weakening event) or a repair needs it. An attachment changed since the
// listing is caught where it matters: the CSC action reads the attachment
// again before it writes.
func (g *Guard) EvaluateUnderCSC(ctx context.Context, name string, csc *snapshot.CodeSigningConfig, versions bool) (finding.Decision, error) {
	name = snapshot.FunctionName(name)
	if g.Settings.FunctionExempt(name) || csc == nil {
		return finding.Decision{}, nil
	}
	scope := observe.Scope{Latest: true, Versions: versions}
	snap, err := g.Reader.Read(ctx, name, scope)
	if errors.Is(err, snapshot.ErrNotFound) {
		return finding.Decision{}, nil
	}
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe function %s: %w", name, err)
	}
	if err := g.checkSignatures(ctx, &snap, scope); err != nil {
		return finding.Decision{}, err
	}
	if snap.PackageType != snapshot.PackageImage {
		c := *csc
		snap.CSC, snap.CSCRead = &c, true
	}
	if decide.NeedsVersions(snap, g.Settings) {
		if err := g.Reader.ReadVersions(ctx, &snap); err != nil {
			if errors.Is(err, snapshot.ErrNotFound) {
				return finding.Decision{}, nil
			}
			return finding.Decision{}, fmt.Errorf("observe versions of %s: %w", name, err)
		}
		if err := g.checkSignatures(ctx, &snap, scope); err != nil {
			return finding.Decision{}, err
		}
	}
	return decide.Decide(snap, g.Settings), nil
}
