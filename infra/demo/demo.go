package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// Scenario is one story played on a fresh copy of the demo world.
type Scenario struct {
	Name string
	// Mode is the guards' mode: monitor or enforce.
	Mode string
	// Play makes the changes, as the people in the story.
	Play func(ctx context.Context, b *testbed.Bed) error
	// Check says whether the account ended as expected, given the alerts
	// the scenario produced; the error says what is wrong.
	Check func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error
	// Setup, if set, adjusts the world before Play (it runs after the
	// world is loaded).
	Setup func(ctx context.Context, b *testbed.Bed) error
}

// Result is how one scenario ended.
type Result struct {
	Scenario string
	Mode     string
	Err      error
	Took     time.Duration
}

// Options configure a run.
type Options struct {
	// Only runs the scenarios whose name contains this text.
	Only string
	// Root is the repository root; default found from the working directory.
	Root string
	// Finally, if set, runs on the last mode's account after its scenarios,
	// before it is shut down (the CLI audits the account there).
	Finally func(ctx context.Context, b *testbed.Bed) error
}

// Run plays every scenario, printing the timeline to w, and returns the
// results; it fails only if the local account cannot be brought up.
func Run(ctx context.Context, w io.Writer, opts Options) ([]Result, error) {
	byMode := map[string][]Scenario{}
	var modes []string
	for _, s := range Scenarios() {
		if opts.Only != "" && !strings.Contains(s.Name, opts.Only) {
			continue
		}
		if _, ok := byMode[s.Mode]; !ok {
			modes = append(modes, s.Mode)
		}
		byMode[s.Mode] = append(byMode[s.Mode], s)
	}
	var results []Result
	for _, mode := range modes {
		fmt.Fprintf(w, "\n=== bringing up the local account with the guards in %s mode\n", mode)
		bed, err := testbed.Start(ctx, testbed.Options{
			Root: opts.Root, World: testbed.DemoWorld(), Parameters: testbed.GuardParameters(mode),
		})
		if err != nil {
			return results, fmt.Errorf("start the local account: %w", err)
		}
		p := &player{bed: bed, w: w, offsets: map[string]int{}}
		for _, s := range byMode[mode] {
			results = append(results, p.play(ctx, s))
		}
		if opts.Finally != nil && mode == modes[len(modes)-1] {
			err = opts.Finally(ctx, bed)
		}
		bed.Close()
		if err != nil {
			return results, err
		}
	}
	if opts.Only == "" || strings.Contains(OrganizationScenario, opts.Only) {
		r, err := runOrganization(ctx, w, opts.Root)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

type player struct {
	bed     *testbed.Bed
	w       io.Writer
	trail   int64
	offsets map[string]int
	// bodyShown: one whole alert body is shown per run.
	bodyShown bool
}

func (p *player) play(ctx context.Context, s Scenario) Result {
	start := time.Now()
	res := Result{Scenario: s.Name, Mode: s.Mode}
	fmt.Fprintf(p.w, "\n--- %s (%s)\n", s.Name, s.Mode)
	fail := func(err error) Result {
		res.Err, res.Took = err, time.Since(start)
		fmt.Fprintf(p.w, "  FAIL     %v\n", err)
		return res
	}
	if err := p.bed.Emulator.LoadWorld(testbed.DemoWorld()); err != nil {
		return fail(fmt.Errorf("reset the world: %w", err))
	}
	if s.Setup != nil {
		if err := s.Setup(ctx, p.bed); err != nil {
			return fail(fmt.Errorf("setup: %w", err))
		}
	}
	// Events recorded while setting up are not part of the story.
	if err := p.bed.Settle(ctx); err != nil {
		return fail(err)
	}
	p.skip(ctx)
	if err := s.Play(ctx, p.bed); err != nil {
		return fail(fmt.Errorf("play: %w", err))
	}
	if err := p.bed.Settle(ctx); err != nil {
		return fail(fmt.Errorf("settle: %w", err))
	}
	alerts, err := p.bed.Alerts(ctx)
	if err != nil {
		return fail(err)
	}
	p.timeline(alerts)
	if err := s.Check(ctx, p.bed, alerts); err != nil {
		return fail(err)
	}
	res.Took = time.Since(start)
	fmt.Fprintf(p.w, "  ok       as expected (%s)\n", res.Took.Round(time.Millisecond))
	return res
}

// skip moves past everything recorded so far: trail, logs and alerts.
func (p *player) skip(ctx context.Context) {
	events := p.bed.Emulator.Env.Trail.Since(p.trail)
	if n := len(events); n > 0 {
		p.trail = events[n-1].Seq
	}
	for id, fn := range p.bed.Functions {
		p.offsets[id] = len(fn.Logs())
	}
	_, _ = p.bed.Alerts(ctx)
}

// actorName shortens a guard role's session to the guard's name.
func actorName(rec cloudtrail.Record) string {
	a := rec.UserIdentity.Actor()
	if i := strings.LastIndex(a, "/"); i >= 0 && strings.HasSuffix(a, "Function") {
		return "guard:" + a[i+1:]
	}
	return a
}

func resourceOf(rec cloudtrail.Record) string {
	var req map[string]any
	_ = rec.Request(&req)
	for _, k := range []string{"functionName", "repositoryName", "approvalRuleTemplateName", "associationArn", "codeSigningConfigArn"} {
		if v, ok := req[k].(string); ok && v != "" {
			if k == "functionName" {
				if i := strings.LastIndex(v, ":function:"); i >= 0 {
					v = v[i+len(":function:"):]
				}
			}
			if name, ok := req["name"].(string); ok && k == "functionName" {
				v += ":" + name
			}
			return v
		}
	}
	if r, ok := req["Repository"].(map[string]any); ok {
		if cc, ok := r["CodeCommit"].(map[string]any); ok {
			return fmt.Sprint(cc["Name"])
		}
	}
	if v, ok := req["AssociationArn"].(string); ok {
		return v[strings.LastIndex(v, ":")+1:]
	}
	return ""
}

func list(v any) string {
	switch t := v.(type) {
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	case nil:
		return "-"
	}
	return fmt.Sprint(v)
}
