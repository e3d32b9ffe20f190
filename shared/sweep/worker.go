package sweep

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/settings"
)

// AliasLister is the part of the Lambda client the worker uses. ListAliases
// per function is the one shared-bucket call the sweep cannot avoid: no
// listing spans functions' aliases.
type AliasLister interface {
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, optFns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
}

// WorkerPermissions are the IAM actions the worker's own reads need.
var WorkerPermissions = []string{"lambda:ListAliases"}

// FunctionGetter reads one function in full. GetFunction has its own
// quota (100/s), apart from the shared bucket.
type FunctionGetter interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
}

// RecheckFunc reads and judges a subject again after actions were taken,
// to tell which findings they resolved.
type RecheckFunc func(ctx context.Context, s pipeline.Subject) (finding.Decision, error)

// Actor carries out a planned action: the event-driven guards' Act.
type Actor interface {
	Act(ctx context.Context, s pipeline.Subject, a finding.Action) pipeline.Outcome
}

// Evaluator reads and judges one subject: the repository guard's Evaluate.
type Evaluator interface {
	Evaluate(ctx context.Context, s pipeline.Subject) (finding.Decision, error)
}

// DecideFunc is the Lambda guard's pure decision (decide.Decide).
type DecideFunc func(s snapshot.Snapshot, cfg settings.Settings) finding.Decision

// Result is what the sweep concluded about one resource.
type Result struct {
	Subject  pipeline.Subject `json:"subject"`
	Decision finding.Decision `json:"decision"`
	// Outcomes are the actions taken, in enforce mode only.
	Outcomes []pipeline.Outcome `json:"outcomes,omitempty"`
	// After is the decision on the state after the actions, when an
	// action was carried out and the worker could read again.
	After *finding.Decision `json:"after,omitempty"`
}

// Sink receives every result: the ledger and alerts in the account, the
// report in `selfguard audit`. A result with no findings still counts: it
// is how a finding is known to be gone.
type Sink interface {
	Result(ctx context.Context, r Result) error
}

// Worker evaluates batches with the event-driven guards' own rules and,
// in enforce mode, their own actions.
type Worker struct {
	Aliases AliasLister
	Decide  DecideFunc
	// Repositories evaluates repositories; nil skips repository batches.
	Repositories Evaluator
	// LambdaActor and RepositoryActor act in enforce mode. Nil never acts
	// (audit passes nil, so it cannot write whatever the mode says).
	LambdaActor     Actor
	RepositoryActor Actor
	// Details reads a function with GetFunction before acting on it, for
	// what the listing lacks (reserved concurrency, to contain reversibly
	// and not twice) and a fresh RevisionId. Nil: act on the listing.
	Details FunctionGetter
	// RecheckFunction and RecheckRepository read again after an action
	// was carried out; nil leaves that to the next sweep.
	RecheckFunction   RecheckFunc
	RecheckRepository RecheckFunc
	Settings          settings.Settings
	Sink              Sink
	// Exposure judges who can reach each function, layer version and
	// mapping; ExposureActor acts on it in enforce mode. Nil skips them.
	Exposure      ExposureEvaluator
	ExposureActor Actor
	// Signatures asks Signer whether trusted signatures still hold
	// (signatures.go); nil judges them on their profile alone.
	Signatures SignatureChecker
	// CodeSigningConfigs judges fan-out batches (fanout.go); nil fails them.
	CodeSigningConfigs CodeSigningJudge
}

// Process evaluates every resource of a batch. A resource that fails does
// not stop the others; the errors are returned together, so the batch is
// retried (evaluation is level-triggered, so repeating it is harmless).
func (w *Worker) Process(ctx context.Context, b Batch) error {
	if b.CodeSigningConfig != "" {
		return w.codeSigningBatch(ctx, b)
	}
	var errs []error
	for _, f := range b.Functions {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.function(ctx, f); err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", f.Name, err))
		}
	}
	if err := w.processExposure(ctx, b); err != nil {
		errs = append(errs, err)
	}
	for _, name := range b.Repositories {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.repository(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("repository %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (w *Worker) function(ctx context.Context, f Function) error {
	subject := pipeline.Subject{Type: finding.ResourceFunction, Name: f.Name}
	var nf *types.ResourceNotFoundException
	// An exempt function reaches a worker only when it borrows a guard
	// role: the decision then judges that alone, and its aliases are not
	// worth a shared-bucket call.
	exempt := w.Settings.FunctionExempt(f.Name)
	if exempt && !f.borrowsGuardRole(w.Settings) {
		return nil
	}
	var aliases []snapshot.Alias
	if !exempt {
		var err error
		aliases, err = w.aliases(ctx, f.Name)
		if errors.As(err, &nf) {
			return nil // deleted since the listing: nothing to judge
		}
		if err != nil {
			return err
		}
	}
	snap := f.Snapshot(aliases)
	if err := w.checkSignatures(ctx, &snap); err != nil {
		return err
	}
	d := w.Decide(snap, w.Settings)
	if w.acting(w.LambdaActor) && len(d.Actions) > 0 && w.Details != nil {
		out, err := w.Details.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.Name)})
		if errors.As(err, &nf) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get function: %w", err)
		}
		if out.Configuration != nil {
			snap.Latest = versionOf(*out.Configuration).code()
		}
		if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
			n := *out.Concurrency.ReservedConcurrentExecutions
			snap.ReservedConcurrency = &n
		}
		if err := w.checkSignatures(ctx, &snap); err != nil {
			return err
		}
		d = w.Decide(snap, w.Settings)
	}
	if err := w.finish(ctx, subject, d, w.LambdaActor, w.RecheckFunction); err != nil {
		return err
	}
	names := make([]string, len(aliases))
	for i, a := range aliases {
		names[i] = a.Name
	}
	return w.exposeFunction(ctx, f, names)
}

func (w *Worker) acting(a Actor) bool { return w.Settings.Mode == finding.ModeEnforce && a != nil }

func (w *Worker) aliases(ctx context.Context, name string) ([]snapshot.Alias, error) {
	var out []snapshot.Alias
	p := lambda.NewListAliasesPaginator(w.Aliases, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		for _, a := range page.Aliases {
			al := snapshot.Alias{
				Name: aws.ToString(a.Name), ARN: aws.ToString(a.AliasArn),
				FunctionVersion: aws.ToString(a.FunctionVersion), RevisionID: aws.ToString(a.RevisionId),
			}
			if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
				al.AdditionalWeights = make(map[string]float64, len(a.RoutingConfig.AdditionalVersionWeights))
				for v, wt := range a.RoutingConfig.AdditionalVersionWeights {
					al.AdditionalWeights[v] = wt
				}
			}
			out = append(out, al)
		}
	}
	return out, nil
}

func (w *Worker) repository(ctx context.Context, name string) error {
	if w.Repositories == nil || w.Settings.RepositoryExempt(name) {
		return nil
	}
	subject := pipeline.Subject{Type: finding.ResourceRepository, Name: name}
	d, err := w.Repositories.Evaluate(ctx, subject)
	if err != nil {
		return err
	}
	return w.finish(ctx, subject, d, w.RepositoryActor, w.RecheckRepository)
}

// finish acts in enforce mode, as the event-driven guard would, and hands
// the result on. An action that failed is reported in its outcome and the
// sink decides what to do with it; it does not fail the batch, since a
// retry would only repeat the same refusal.
func (w *Worker) finish(ctx context.Context, s pipeline.Subject, d finding.Decision, actor Actor, recheck RecheckFunc) error {
	r := Result{Subject: s, Decision: d}
	if w.acting(actor) {
		done := false
		for _, a := range d.Actions {
			o := actor.Act(ctx, s, a)
			r.Outcomes = append(r.Outcomes, o)
			done = done || o.Status == pipeline.OutcomeDone
		}
		if done && recheck != nil {
			after, err := recheck(ctx, s)
			if err != nil {
				return fmt.Errorf("read again after acting: %w", err)
			}
			r.After = &after
		}
	}
	if w.Sink == nil {
		return nil
	}
	return w.Sink.Result(ctx, r)
}
