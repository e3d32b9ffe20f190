package exposureguard

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/exposureguard/act"
	"github.com/selfguard/selfguard/shared/exposureguard/decide"
	"github.com/selfguard/selfguard/shared/exposureguard/observe"
	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/rules"
	"github.com/selfguard/selfguard/shared/settings"
)

// Name is the guard's name in a pipeline.Composite and in logs.
const Name = "exposure"

// API is the part of the Lambda client the guard uses.
type API interface {
	observe.API
	act.API
}

// Guard is the exposure guard.
type Guard struct {
	Reader     *observe.Reader
	Remediator *act.Remediator
	Settings   settings.Settings
	// Region names layer version ARNs in findings.
	Region string
	// SettleInterval and SettleTimeout bound the wait for a mapping in
	// transition before reading it again (1 s and 30 s if zero).
	SettleInterval, SettleTimeout time.Duration
}

var _ pipeline.Evaluator = (*Guard)(nil)

// New returns a guard that reads and acts through api.
func New(api API, cfg settings.Settings) *Guard {
	g := &Guard{Reader: &observe.Reader{API: api, Account: cfg.Exposure.Account}, Remediator: &act.Remediator{API: api}, Settings: cfg}
	if c, ok := api.(interface{ Options() lambda.Options }); ok {
		g.Region = c.Options().Region
	}
	return g
}

// Permissions returns every IAM action the guard needs, as the registry
// declares the exposure rules' checks and actions.
func Permissions() []string { return rules.Permissions(rules.Exposure) }

// scope says what an aspect of a function needs read: a policy event its
// holder's policy; a URL event the URL and its holder's policy (a public
// statement only a URL can use is judged with it); a recursion event the
// setting; anything else all of it.
func scope(s pipeline.Subject) observe.Scope {
	q := s.Qualifier
	switch s.Aspect {
	case AspectPolicy:
		return observe.Scope{Qualifiers: []string{q}}
	case AspectURL:
		return observe.Scope{Qualifiers: []string{q}, URL: &q}
	case AspectRecursion:
		return observe.Scope{Recursion: true}
	}
	return observe.Full
}

// Evaluate implements pipeline.Evaluator.
func (g *Guard) Evaluate(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	switch s.Type {
	case finding.ResourceLayer:
		return g.EvaluateLayer(ctx, s.Name, s.Qualifier, "")
	case finding.ResourceEventSourceMapping:
		return g.EvaluateMapping(ctx, s.Name)
	}
	return g.EvaluateFunction(ctx, s.Name, scope(s))
}

// EvaluateFunction reads a function in a scope and decides. An exempt
// function is not read; a function that is gone gives an empty decision.
func (g *Guard) EvaluateFunction(ctx context.Context, name string, sc observe.Scope) (finding.Decision, error) {
	name, _ = lambdaarn.SplitFunction(name)
	log := logging.From(ctx)
	if g.Settings.FunctionExempt(name) {
		log.Info().Str(logging.FieldResource, name).Msg("function is exempt; skipped")
		return finding.Decision{}, nil
	}
	f, err := g.Reader.Function(ctx, name, sc)
	if errors.Is(err, observe.ErrNotFound) {
		log.Info().Str(logging.FieldResource, name).Msg("function no longer exists; nothing to do")
		return finding.Decision{}, nil
	}
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe function %s: %w", name, err)
	}
	if decide.NeedsURLs(f, g.Settings) {
		if err := g.Reader.URLs(ctx, &f); err != nil {
			if errors.Is(err, observe.ErrNotFound) {
				return finding.Decision{}, nil
			}
			return finding.Decision{}, fmt.Errorf("observe URLs of %s: %w", name, err)
		}
	}
	if f.Account == "" && len(f.Policies) > 0 {
		return finding.Decision{}, &pipeline.Permanent{Reason: "the guard's account is unknown: set " + settings.EnvAccount}
	}
	return decide.Function(f, g.Settings), nil
}

// EvaluateLayer reads a layer version's policy and decides. arn, if known,
// names the version in findings.
func (g *Guard) EvaluateLayer(ctx context.Context, name, version, arn string) (finding.Decision, error) {
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return finding.Decision{}, &pipeline.Permanent{Reason: "layer " + name + " version " + version, Err: err}
	}
	if arn == "" && g.Region != "" && g.Reader.Account != "" {
		arn = fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s:%d", partition(g.Region), g.Region, g.Reader.Account, name, v)
	}
	l, err := g.Reader.Layer(ctx, name, v, arn)
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe layer %s:%s: %w", name, version, err)
	}
	if l.Account == "" && len(l.Statements) > 0 {
		return finding.Decision{}, &pipeline.Permanent{Reason: "the guard's account is unknown: set " + settings.EnvAccount}
	}
	return decide.Layer(l, g.Settings), nil
}

// EvaluateMapping reads an event source mapping and decides.
func (g *Guard) EvaluateMapping(ctx context.Context, uuid string) (finding.Decision, error) {
	m, err := g.Reader.Mapping(ctx, uuid)
	if errors.Is(err, observe.ErrNotFound) {
		return finding.Decision{}, nil
	}
	if err != nil {
		return finding.Decision{}, fmt.Errorf("observe mapping %s: %w", uuid, err)
	}
	return g.DecideMapping(m), nil
}

// DecideMapping judges a mapping already read (the sweep's listing has them).
func (g *Guard) DecideMapping(m snapshot.Mapping) finding.Decision {
	fn, _ := lambdaarn.SplitFunction(m.FunctionARN)
	if g.Settings.FunctionExempt(fn) {
		return finding.Decision{}
	}
	return decide.Mapping(m, g.Settings)
}

// Act implements pipeline.Evaluator. When the resource changed since it
// was read, the guard reads and decides again and carries out the fresh
// decision's action on the same resource, if it still plans one.
func (g *Guard) Act(ctx context.Context, s pipeline.Subject, a finding.Action) pipeline.Outcome {
	if g.Settings.Mode != finding.ModeEnforce {
		return pipeline.Failed(a, pipeline.ErrMonitorMode)
	}
	o := g.Remediator.Do(ctx, a)
	if !errors.Is(o.Err, act.ErrConflict) {
		return o
	}
	log := logging.From(ctx)
	log.Info().Err(o.Err).Str(logging.FieldResource, a.Resource).Msg("changed since it was read; reading again")
	if s.Type == finding.ResourceEventSourceMapping {
		g.settleMapping(ctx, s.Name)
	}
	d, err := g.Evaluate(ctx, s)
	if err != nil {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeFailed, Err: fmt.Errorf("re-read after conflict: %w", err), Message: err.Error()}
	}
	// The same statement, not merely one with the same Sid.
	fresh, ok := d.Same(a, decide.ParamStatement)
	if !ok {
		return pipeline.Outcome{Action: a, Status: pipeline.OutcomeNotNeeded, Message: a.Resource + " changed meanwhile and no longer needs " + string(a.Kind)}
	}
	o = g.Remediator.Do(ctx, fresh)
	o.Action = a
	if errors.Is(o.Err, act.ErrConflict) {
		o.Message = a.Resource + " changed again while being repaired; left alone until the next event or sweep"
	}
	return o
}

// settleMapping waits, bounded, for a mapping in transition (Creating,
// Updating, Enabling, ...) to settle, since Lambda refuses to change it
// meanwhile.
func (g *Guard) settleMapping(ctx context.Context, uuid string) {
	every, limit := g.SettleInterval, g.SettleTimeout
	if every <= 0 {
		every = time.Second
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		m, err := g.Reader.Mapping(ctx, uuid)
		if err != nil || m.State == "Enabled" || m.State == "Disabled" {
			return
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func partition(region string) string {
	switch {
	case len(region) > 3 && region[:3] == "cn-":
		return "aws-cn"
	case len(region) > 7 && region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}
