package sweep_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/sweep"
)

// repairableWorld has only problems enforce mode can repair completely.
func repairableWorld() *emulator.World {
	signed := func(name string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{
			Name: name, CodeSigningConfig: "csc-0000000000000000a",
			CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}, SignedBy: "trusted"},
			Versions:  []lambdaemu.VersionWorld{{}},
		}
	}
	good := signed("good")
	good.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "1"}}
	tampered := signed("tampered")
	tampered.Versions = []lambdaemu.VersionWorld{{CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "v1"}, SignedBy: "trusted"}}}
	tampered.CodeWorld = lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "backdoor"}}
	released := signed("released-latest")
	released.Aliases = []lambdaemu.AliasWorld{{Name: "live", FunctionVersion: "$LATEST"}}
	closed := false
	return &emulator.World{
		Lambda: lambdaemu.World{
			SigningProfiles: []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}},
			CodeSigningConfigs: []lambdaemu.CSCWorld{{
				ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce",
			}},
			Functions: []lambdaemu.FunctionWorld{good, tampered, released},
		},
		Repos: repoemu.World{
			Repositories:        []repoemu.Repository{{Name: "unreviewed", DefaultBranch: "main"}},
			CodeGuruClosedToNew: &closed,
			AssociationDelay:    "0s",
		},
	}
}

// accountSweep wires a sweep as the account runs it: the lister sends each
// batch to the worker (as SQS would), the tracker records each batch done,
// and whoever completes the run finishes it.
type accountSweep struct {
	tb     *testbed
	ledger *ledger.Memory
	runs   *sweep.MemoryRuns
	sent   *sender
}

func newAccountSweep(tb *testbed) *accountSweep {
	return &accountSweep{tb: tb, ledger: &ledger.Memory{}, runs: &sweep.MemoryRuns{}, sent: &sender{}}
}

type syncQueue struct {
	w  *sweep.Worker
	tr *sweep.Tracker
}

func (q syncQueue) Send(ctx context.Context, b sweep.Batch) error {
	// Round-trip through the message encoding, as SQS would carry it.
	body, err := b.Encode()
	if err != nil {
		return err
	}
	b, err = sweep.DecodeBatch(body)
	if err != nil {
		return err
	}
	if err := q.w.Process(ctx, b); err != nil {
		return err
	}
	return q.tr.BatchDone(ctx, b.Index)
}

func (a *accountSweep) run(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	tr := &sweep.Tracker{
		Run: id, Mode: a.tb.cfg.Mode, Findings: a.ledger, Runs: a.runs,
		Notify: &sweep.Alerts{Sender: a.sent, Account: account, Region: region, Mode: a.tb.cfg.Mode},
	}
	w := a.tb.worker(tr)
	lg := lambdaguard.New(a.tb.lambda, a.tb.cfg)
	w.Details = a.tb.lambda
	w.RecheckFunction = func(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
		d, _, err := lg.EvaluateFunction(ctx, s.Name, observe.ScopeFull)
		return d, err
	}
	w.RecheckRepository = repoguard.New(a.tb.cc, a.tb.cg, a.tb.cfg).Evaluate
	if err := a.runs.Start(ctx, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	l := a.tb.lister()
	l.Queue = syncQueue{w: w, tr: tr}
	st, err := l.List(ctx, id)
	if err != nil {
		t.Fatalf("sweep %s: %v", id, err)
	}
	p, err := a.runs.Listed(ctx, id, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.MaybeFinish(ctx, p); err != nil {
		t.Fatalf("finish %s: %v", id, err)
	}
}

func alertKeys(s *sender) []string {
	var out []string
	for _, a := range s.alerts {
		st := make([]string, 0, len(a.Actions))
		for _, r := range a.Actions {
			st = append(st, fmt.Sprintf("%s=%s", r.Action.Kind, r.Status))
		}
		out = append(out, a.Finding.Key()+" "+strings.Join(st, ","))
	}
	return out
}

func TestEnforceSweepRepairsAndTheNextSweepIsQuiet(t *testing.T) {
	ctx := context.Background()
	tb := newTestbed(t, repairableWorld(), finding.ModeEnforce)
	as := newAccountSweep(tb)

	as.run(t, "run-1")
	t.Logf("first sweep alerts: %v", alertKeys(as.sent))
	wantAlerts := []string{
		"lambda.unsigned-code|function|tampered",
		"lambda.alias-latest|alias|released-latest:live",
		"|repository|unreviewed",
	}
	for _, w := range wantAlerts {
		found := false
		for _, a := range as.sent.alerts {
			if strings.Contains(a.Finding.Key(), w) {
				found = true
				for _, r := range a.Actions {
					if r.Status != "done" {
						t.Errorf("%s: action %s ended %s (%s), want done", a.Finding.Key(), r.Action.Kind, r.Status, r.Message)
					}
				}
			}
		}
		if !found {
			t.Errorf("no alert for %s", w)
		}
	}

	// The account is repaired: the event guards find nothing left.
	lg := lambdaguard.New(tb.lambda, tb.cfg)
	for _, fn := range []string{"good", "tampered", "released-latest"} {
		d, _, err := lg.EvaluateFunction(ctx, fn, observe.ScopeFull)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Findings) != 0 {
			t.Errorf("%s still has %v after the enforce sweep", fn, d.Findings)
		}
	}
	open, _ := as.ledger.OpenFindings(ctx)
	if len(open) != 0 {
		t.Errorf("ledger keeps %d findings open after repair: %v", len(open), open)
	}
	if len(as.sent.summaries) != 0 {
		t.Errorf("summary sent although nothing is open: %+v", as.sent.summaries)
	}

	// Second sweep: nothing new, nothing sent, nothing written to Lambda.
	as.sent.reset()
	before := len(tb.srv.Env.Trail.Since(0))
	as.run(t, "run-2")
	if len(as.sent.alerts) != 0 || len(as.sent.summaries) != 0 {
		t.Errorf("second sweep alerted: %v, summaries %d", alertKeys(as.sent), len(as.sent.summaries))
	}
	if after := len(tb.srv.Env.Trail.Since(0)); after != before {
		t.Errorf("second sweep wrote %d events to the trail", after-before)
	}
}

func TestMonitorSweepAlertsOnceAndSummarisesEachRun(t *testing.T) {
	tb := newTestbed(t, mixedWorld(), finding.ModeMonitor)
	as := newAccountSweep(tb)
	as.run(t, "run-1")
	first := len(as.sent.alerts)
	if first == 0 {
		t.Fatal("first sweep sent no alert")
	}
	if len(as.sent.summaries) != 1 || len(as.sent.summaries[0].Findings) != first {
		t.Errorf("first sweep: %d summaries, want one listing all %d open findings", len(as.sent.summaries), first)
	}
	for _, a := range as.sent.alerts {
		for _, r := range a.Actions {
			if r.Status != "planned" {
				t.Errorf("monitor mode took %s on %s", r.Action.Kind, a.Finding.Resource)
			}
		}
	}
	as.sent.reset()
	as.run(t, "run-2")
	if len(as.sent.alerts) != 0 {
		t.Errorf("second sweep re-sent open findings: %v", alertKeys(as.sent))
	}
	if len(as.sent.summaries) != 1 {
		t.Errorf("second sweep sent %d summaries, want 1 (findings are still open)", len(as.sent.summaries))
	}

	// A function fixed out of band is closed by the next sweep, not alerted.
	if err := tb.srv.LoadWorld(func() *emulator.World {
		w := mixedWorld()
		w.Lambda.Functions = w.Lambda.Functions[:1] // only "good" is left
		w.Repos.Repositories = w.Repos.Repositories[:1]
		return w
	}()); err != nil {
		t.Fatal(err)
	}
	as.sent.reset()
	as.run(t, "run-3")
	open, _ := as.ledger.OpenFindings(context.Background())
	if len(open) != 0 || len(as.sent.alerts) != 0 || len(as.sent.summaries) != 0 {
		t.Errorf("after the fix: %d open, %d alerts, %d summaries; want none", len(open), len(as.sent.alerts), len(as.sent.summaries))
	}
	hist, _ := as.ledger.History(context.Background(), finding.ResourceFunction, "unsigned")
	if len(hist) == 0 {
		t.Errorf("the ledger kept no history of the unsigned function's findings")
	}
}
