package lambdaguard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/selfguard/selfguard/shared/rules"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard/act"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/settings"
)

// API is the part of the Lambda client the guard uses.
type API interface {
	observe.API
	act.API
	ListFunctionsByCodeSigningConfig(ctx context.Context, in *lambda.ListFunctionsByCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsByCodeSigningConfigOutput, error)
}

// Guard is the Lambda guard.
type Guard struct {
	API        API
	Reader     *observe.Reader
	Remediator *act.Remediator
	Settings   settings.Settings
	// SettleTimeout bounds the wait for an update in progress before the
	// guard reads again after a conflict; 30 s if zero.
	SettleTimeout time.Duration
	// History is the ledger's audit trail: what the guard contained, so
	// that a lifted containment is judged. Nil: lifts are not judged.
	History History
	// Signatures asks AWS Signer whether trusted signatures still hold
	// (signatures.go); nil judges them on their profile alone.
	Signatures *observe.Signatures
	// Batches, when set, takes the functions of a changed code signing
	// config to the sweep workers (fanout.go); nil judges them in line.
	Batches Batches
	// Releases remembers each function's newest trusted release. Nil: a
	// restore target is found by listing the versions.
	Releases Releases

	pending pendingReleases
}

// History reads the ledger's audit entries of one resource.
type History interface {
	History(ctx context.Context, rt finding.ResourceType, resource string) ([]ledger.Entry, error)
}

var _ pipeline.Evaluator = (*Guard)(nil)

// New returns a guard that reads and acts through api.
func New(api API, cfg settings.Settings) *Guard {
	r := observe.NewReader(api)
	r.ConfiguredCSC = cfg.CodeSigningConfigARN
	return &Guard{API: api, Reader: r, Remediator: act.New(api, cfg), Settings: cfg}
}

// Permissions returns every IAM action the guard needs: the checks and
// actions of the code-signing and release rules, as the registry declares them.
func Permissions() []string {
	return rules.Permissions(rules.CodeSigning, rules.Releases, rules.Integrity)
}

// scopeOf says what a subject needs read. A code signing config subject
// (UpdateCodeSigningConfig) reads each of its functions with the config's
// policy, even the configured config's, which code events leave unread. A
// function subject qualified by a version number (a publish event) reads
// that version too.
func scopeOf(s pipeline.Subject) observe.Scope {
	switch {
	case s.Type == finding.ResourceAlias && s.Qualifier != "":
		return listingVersions(observe.ScopeAlias(s.Qualifier))
	case s.Type == finding.ResourceCodeSigningConfig:
		return observe.ScopeCodeSigningConfig
	case s.Type == finding.ResourceFunction && isVersionNumber(s.Qualifier):
		return observe.ScopePublished(s.Qualifier)
	case s.Event != nil && s.Event.Operation() == cloudtrail.UpdateFunctionConfiguration:
		return listingVersions(observe.ScopeCode)
	}
	return observe.ScopeCode
}

func isVersionNumber(q string) bool {
	n, err := strconv.Atoi(q)
	return err == nil && n > 0
}

// Evaluate implements pipeline.Evaluator. A code signing config subject is
// judged through every function that uses it. With the event that named
// the subject, the edge rules judge what it says was done as well.
func (g *Guard) Evaluate(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	if s.Type == finding.ResourceCodeSigningConfig {
		if g.Batches != nil {
			return g.fanOut(ctx, s)
		}
		return g.evaluateCSC(ctx, s.Name, s.Event)
	}
	if s.Type == finding.ResourceSigningJob || s.Type == finding.ResourceSigningProfile {
		return g.evaluateRevocation(ctx, s)
	}
	var seen []snapshot.Snapshot
	if s.Quick {
		settled, glances := g.settledAtAGlance(ctx, s)
		if settled {
			return finding.Decision{}, nil
		}
		seen = glances
	}
	if s.Event == nil {
		d, _, err := g.evaluateFunction(ctx, s.Name, scopeOf(s), true, seen)
		return d, err
	}
	rec := *s.Event
	reads := decide.EdgeReadsOf(rec, g.Settings)
	var contained *decide.Containment
	if reads.Containment {
		c, err := g.containment(ctx, snapshot.FunctionName(s.Name))
		if err != nil || c == nil {
			// Concurrency selfguard did not set is not its business.
			return finding.Decision{}, err
		}
		contained = c
	}
	d, snap, err := g.evaluateFunction(ctx, s.Name, scopeOf(s), true, seen)
	if err != nil || !snap.LatestRead {
		return d, err
	}
	if snap, err = g.readEdge(ctx, snap, reads); err != nil {
		if errors.Is(err, snapshot.ErrNotFound) {
			return finding.Decision{}, nil
		}
		return d, fmt.Errorf("observe %s for %s: %w", snap.Name, rec.EventName, err)
	}
	return decide.WithEdge(rec, snap, d, g.Settings, contained), nil
}

// readEdge reads what the edge rules need beyond the level scope, into a
// copy: the level decision stays the level scope's.
func (g *Guard) readEdge(ctx context.Context, s snapshot.Snapshot, reads decide.EdgeReads) (snapshot.Snapshot, error) {
	if !reads.Versions && reads.CSC == "" {
		return s, nil
	}
	s.Versions = maps.Clone(s.Versions)
	s.ConfigsRead = maps.Clone(s.ConfigsRead)
	if reads.Versions && !s.VersionsListed {
		if err := g.Reader.ReadVersions(ctx, &s); err != nil {
			return s, err
		}
	}
	if err := g.Reader.ReadCSC(ctx, &s, reads.CSC); err != nil {
		return s, err
	}
	return s, nil
}

// containment is what the ledger says the guard last contained fn for,
// nil if never (within the audit trail's retention).
func (g *Guard) containment(ctx context.Context, fn string) (*decide.Containment, error) {
	if g.History == nil {
		return nil, nil
	}
	entries, err := g.History.History(ctx, finding.ResourceFunction, fn)
	if err != nil {
		return nil, fmt.Errorf("read what was contained of %s: %w", fn, err)
	}
	var last *decide.Containment
	for _, e := range entries {
		for _, a := range e.Actions {
			if a.Status != string(pipeline.OutcomeDone) || a.Taken == nil || a.Taken.Kind != rules.ActionContain {
				continue
			}
			if last == nil || e.Time.After(last.Time) {
				last = &decide.Containment{Time: e.Time, EventID: e.EventID, Rules: a.Taken.For}
			}
		}
	}
	return last, nil
}

// settledAtAGlance dismisses a quick subject with one GetFunction (its own
// quota) when that shows it trusted, so a flood of benign changes takes
// nothing from the shared 15/s bucket. Whatever it does not settle (an
// error included) is read in full, without reading again what the glances
// saw (seen). A published version (a publish event's subject) must show
// trusted too; one settled is learned as the function's release.
func (g *Guard) settledAtAGlance(ctx context.Context, s pipeline.Subject) (settled bool, seen []snapshot.Snapshot) {
	alias := s.Type == finding.ResourceAlias
	glances := []string{""}
	switch {
	case alias:
		glances = []string{s.Qualifier}
	case isVersionNumber(s.Qualifier):
		glances = append(glances, s.Qualifier)
	}
	for _, q := range glances {
		snap, err := g.Reader.Glance(ctx, s.Name, q)
		if err != nil {
			return false, seen
		}
		if !decide.Settled(snap, g.Settings, alias) {
			return false, append(seen, snap)
		}
		// A trusted profile's signature holds only while Signer vouches
		// for it (revoked, expired): asked as a full read would ask.
		err = g.checkSignatures(ctx, &snap, observe.Scope{})
		if seen = append(seen, snap); err != nil || !decide.Settled(snap, g.Settings, alias) {
			return false, seen
		}
	}
	g.learnSettled(ctx, seen)
	return true, seen
}

// EvaluateFunction reads one function in a scope and decides. A function
// that is gone gives an empty decision. An exempt one is read with one
// GetFunction (its own quota) and judged only by the integrity rules: an
// exemption waives the signing rules, never the use of the guard's roles.
func (g *Guard) EvaluateFunction(ctx context.Context, name string, scope observe.Scope) (finding.Decision, snapshot.Snapshot, error) {
	return g.evaluateFunction(ctx, name, scope, true, nil)
}

// evaluateFunction is EvaluateFunction; recall lets a code event take its
// restore target from the remembered release instead of a listing, and
// what glances just saw (seen) is not read again.
func (g *Guard) evaluateFunction(ctx context.Context, name string, scope observe.Scope, recall bool, seen []snapshot.Snapshot) (finding.Decision, snapshot.Snapshot, error) {
	name = snapshot.FunctionName(name)
	log := logging.From(ctx).With().Str(logging.FieldResource, name).Logger()
	if g.Settings.FunctionExempt(name) {
		log.Info().Msg("function is exempt from the signing rules; checking its role only")
		scope = observe.Scope{Latest: true}
	}
	var memory <-chan recalled
	if recall && g.recalls(name) && scope.Latest && !scope.Versions {
		memory = g.recall(ctx, name)
	}
	snap, err := g.Reader.ReadSeen(ctx, name, scope, seen)
	if errors.Is(err, snapshot.ErrNotFound) {
		log.Info().Msg("function no longer exists; nothing to do")
		return finding.Decision{}, snap, nil
	}
	if err != nil {
		return finding.Decision{}, snap, fmt.Errorf("observe function %s: %w", name, err)
	}
	if snap.LatestRead && snap.Latest.LastUpdateStatus == string(types.LastUpdateStatusInProgress) {
		// The change that raised the event is still being applied: decide
		// on its result, not on a state that is about to change (acting on
		// it now would only meet a 409 or a 412 and cost a second decision).
		g.settle(ctx, name)
		if snap, err = g.Reader.Read(ctx, name, scope); err != nil {
			if errors.Is(err, snapshot.ErrNotFound) {
				return finding.Decision{}, snap, nil
			}
			return finding.Decision{}, snap, fmt.Errorf("observe function %s: %w", name, err)
		}
	}
	if err := g.checkSignatures(ctx, &snap, scope); err != nil {
		return finding.Decision{}, snap, err
	}
	if memory != nil && decide.NeedsVersions(snap, g.Settings) {
		if snap = withRemembered(snap, <-memory); snap.Remembered != "" {
			// Signer's word on the remembered target, as on a listed one.
			if err := g.checkSignatures(ctx, &snap, scope); err != nil {
				return finding.Decision{}, snap, err
			}
		}
	}
	if decide.NeedsVersions(snap, g.Settings) {
		if err := g.Reader.ReadVersions(ctx, &snap); err != nil {
			if errors.Is(err, snapshot.ErrNotFound) {
				return finding.Decision{}, snap, nil
			}
			return finding.Decision{}, snap, fmt.Errorf("observe versions of %s: %w", name, err)
		}
		if err := g.checkSignatures(ctx, &snap, scope); err != nil {
			return finding.Decision{}, snap, err
		}
	}
	if decide.NeedsAliases(snap, g.Settings) {
		if err := g.Reader.ReadAliases(ctx, &snap); err != nil {
			if errors.Is(err, snapshot.ErrNotFound) {
				return finding.Decision{}, snap, nil
			}
			return finding.Decision{}, snap, fmt.Errorf("observe aliases of %s: %w", name, err)
		}
		if err := g.checkSignatures(ctx, &snap, scope); err != nil {
			return finding.Decision{}, snap, err
		}
	}
	d := decide.Decide(snap, g.Settings)
	g.learn(ctx, snap, len(d.Actions) > 0 && g.Settings.Mode == finding.ModeEnforce)
	return d, snap, nil
}

func (g *Guard) evaluateCSC(ctx context.Context, arn string, event *cloudtrail.Record) (finding.Decision, error) {
	var all finding.Decision
	var fns []snapshot.Snapshot
	p := lambda.NewListFunctionsByCodeSigningConfigPaginator(g.API, &lambda.ListFunctionsByCodeSigningConfigInput{
		CodeSigningConfigArn: aws.String(arn),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return all, fmt.Errorf("list functions of code signing config %s: %w", arn, err)
		}
		for _, fa := range page.FunctionArns {
			d, snap, err := g.EvaluateFunction(ctx, fa, observe.ScopeCodeSigningConfig)
			if err != nil {
				return all, err
			}
			all.Findings = append(all.Findings, d.Findings...)
			all.Actions = append(all.Actions, d.Actions...)
			if snap.LatestRead {
				fns = append(fns, snap)
			}
		}
	}
	if event == nil || len(decide.WeakenedBy(*event, g.Settings)) == 0 {
		return all, nil
	}
	return g.cscEdge(ctx, arn, *event, fns, all)
}

// cscEdge judges an UpdateCodeSigningConfig event that weakened the config:
// it reads the config as it is now and the versions of its functions.
func (g *Guard) cscEdge(ctx context.Context, arn string, rec cloudtrail.Record, fns []snapshot.Snapshot, level finding.Decision) (finding.Decision, error) {
	probe := snapshot.Snapshot{}
	if err := g.Reader.ReadCSC(ctx, &probe, arn); err != nil {
		return level, err
	}
	var now *snapshot.CodeSigningConfig
	if c, ok := probe.ConfigsRead[arn]; ok {
		now = &c
	}
	for i := range fns {
		var err error
		if fns[i], err = g.readEdge(ctx, fns[i], decide.EdgeReads{Versions: true}); err != nil && !errors.Is(err, snapshot.ErrNotFound) {
			return level, fmt.Errorf("observe versions of %s: %w", fns[i].Name, err)
		}
	}
	return decide.WithCSCEdge(rec, now, fns, level, g.Settings), nil
}

// Act implements pipeline.Evaluator. The action is carried out with the
// revisions it was planned on; if the function changed meanwhile, the guard
// reads and decides once more and carries out the fresh decision's action
// of the same kind, if any.
func (g *Guard) Act(ctx context.Context, s pipeline.Subject, a finding.Action) pipeline.Outcome {
	if g.Settings.Mode != finding.ModeEnforce {
		return pipeline.Failed(a, pipeline.ErrMonitorMode)
	}
	if o, own := g.refuseOwn(a); own {
		return o
	}
	o := g.Remediator.Do(ctx, a)
	fn := a.Params[decide.ParamFunction]
	if fn == "" {
		fn = snapshot.FunctionName(s.Name)
	}
	defer g.flush(ctx, fn)
	stale := errors.Is(o.Err, act.ErrStaleRelease)
	if stale {
		g.forget(ctx, fn, a.Params[decide.ParamVersion])
	}
	if !errors.Is(o.Err, act.ErrConflict) {
		return o
	}
	log := logging.From(ctx).With().Str(logging.FieldResource, fn).Str(logging.FieldAction, string(a.Kind)).Logger()
	log.Info().Err(o.Err).Msg("function changed since it was read; reading again")
	g.settle(ctx, fn)
	scope := scopeOf(s)
	if a.Kind == rules.ActionMoveAlias {
		scope = listingVersions(observe.ScopeAlias(a.Params[decide.ParamAlias]))
	}
	d, _, err := g.evaluateFunction(ctx, fn, scope, !stale, nil)
	if err != nil {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed, Err: fmt.Errorf("re-read after conflict: %w", err), Message: err.Error()}
	}
	fresh, ok := freshFor(d, a)
	if !ok {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeNotNeeded,
			Message: fn + " changed meanwhile and no longer needs " + string(a.Kind)}
	}
	o = g.Remediator.Do(ctx, fresh)
	o.Action = a
	if errors.Is(o.Err, act.ErrConflict) {
		o.Message = fn + " changed again while being repaired; left alone until the next event or sweep"
	}
	return o
}

// ErrOwnFunction refuses an action on one of the stack's own functions. The
// decision never plans one; this is the last line should a payload or a bug
// ever name one.
var ErrOwnFunction = errors.New("selfguard never acts on its own functions")

func (g *Guard) refuseOwn(a finding.Action) (pipeline.Outcome, bool) {
	fn := a.Params[decide.ParamFunction]
	if fn == "" {
		fn = a.Resource
	}
	if !g.Settings.IsGuardFunction(snapshot.FunctionName(fn)) {
		return pipeline.Outcome{}, false
	}
	return pipeline.Outcome{Action: a, Status: pipeline.OutcomeRefused, Err: ErrOwnFunction,
		Message: fn + ": " + ErrOwnFunction.Error()}, true
}

// settle waits, bounded, for an update in progress to finish, so that a
// fresh read sees its result rather than another 409. It takes at most half
// the time left (act.WaitBudget): the read and the action after it need
// the rest.
func (g *Guard) settle(ctx context.Context, fn string) {
	d := g.SettleTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	const minDelay = 200 * time.Millisecond
	if d = act.WaitBudget(ctx, d); d < minDelay {
		return
	}
	w := lambda.NewFunctionUpdatedV2Waiter(g.API, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = minDelay, min(2*time.Second, d)
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, d); err != nil {
		log := logging.From(ctx)
		log.Debug().Err(err).Str(logging.FieldResource, fn).Msg("function did not settle")
	}
}
