package loadtest

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/testbed"
)

// envSwitch turns on the runs that bring up the local account; they take
// minutes, so make test's default run leaves them out.
const envSwitch = "SELFGUARD_LOADTEST"

func TestUsageSeparatesQuotaThrottlesFromInjectedFaults(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	calls := []Call{
		{Time: at, Operation: "UpdateFunctionCode", Issuer: "guard"},
		{Time: at, Operation: "UpdateFunctionCode", Issuer: "guard", ErrorCode: "TooManyRequestsException", ErrorMsg: "Rate exceeded"},
		{Time: at, Operation: "UpdateFunctionCode", Issuer: "guard", ErrorCode: "TooManyRequestsException", ErrorMsg: "injected fault"},
		{Time: at, Operation: "GetFunction", Issuer: "guard", ReadOnly: true},
		{Time: at.Add(time.Second), Operation: "ListVersionsByFunction", Issuer: "guard", ReadOnly: true},
		{Time: at, Operation: "PublishVersion", Issuer: "ci", ErrorCode: "ServiceException", ErrorMsg: "injected fault"},
	}
	got := Usage(calls, func(c Call) string { return c.Issuer })
	want := []BucketUse{
		{Party: "ci", Bucket: BucketControlPlane, Calls: 1, Injected: 1},
		{Party: "guard", Bucket: BucketControlPlane, Calls: 4, Admitted: 2, Throttled: 1, Injected: 1, PeakPerSecond: 1},
		{Party: "guard", Bucket: BucketGetFunction, Calls: 1, Admitted: 1, PeakPerSecond: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("Usage = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Usage[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTallyDeliveriesCountsRetriesDuplicatesAndDeadLetters(t *testing.T) {
	ds := []eventbus.Delivery{
		{Target: "g", EventID: "a", Attempt: 1, Result: eventbus.ResultOK},
		{Target: "g", EventID: "a", Attempt: 1, Duplicate: true, Result: eventbus.ResultOK},
		{Target: "g", EventID: "b", Attempt: 1, Result: eventbus.ResultFunctionError},
		{Target: "g", EventID: "b", Attempt: 2, Result: eventbus.ResultOK},
		{Target: "g", EventID: "c", Attempt: 1, Result: eventbus.ResultFunctionError},
		{Target: "g", EventID: "d", Attempt: 1, Result: eventbus.ResultFunctionError},
		{Target: "other", EventID: "e", Attempt: 1, Result: eventbus.ResultOK},
	}
	dls := []eventbus.DeadLetter{{Target: "g", EventID: "c", Reason: eventbus.ReasonRetriesExhausted, FunctionError: "Unhandled"}}
	got := TallyDeliveries(ds, dls, "g")
	if got.Events != 4 || got.Attempts != 6 || got.Duplicates != 1 || got.FirstTimeOK != 1 || got.RetriedOK != 1 ||
		got.DeadLetters != 1 || got.Unfinished != 1 {
		t.Errorf("TallyDeliveries = %+v, want 4 events, 6 attempts, 1 duplicate, 1 ok, 1 retried ok, 1 dead, 1 unfinished", got)
	}
}

func TestTallyAlertsFindsLostExtraAndTwiceDoneAlerts(t *testing.T) {
	alert := func(id, rule, res, outcome string) testbed.Alert {
		return testbed.Alert{Message: "What changed\nEvent id:    " + id + "\n",
			Attributes: map[string]string{"rule": rule, "resource": res, "outcome": outcome}}
	}
	findings := []GuardLine{
		{EventID: "e1", Rule: "r", Resource: "f1"},
		{EventID: "e2", Rule: "r", Resource: "f2"},
		{EventID: "e3", Rule: "r", Resource: "f3"},
		{EventID: "e3", Rule: "r", Resource: "f3"},
	}
	alerts := []testbed.Alert{
		alert("e1", "r", "f1", "done"),
		alert("e3", "r", "f3", "done"),
		alert("e3", "r", "f3", "done"),
		alert("e4", "r", "f4", "planned"),
	}
	got := TallyAlerts(alerts, findings)
	if len(got.Missing) != 1 || got.Missing[0].EventID != "e2" {
		t.Errorf("Missing = %v, want e2's", got.Missing)
	}
	if len(got.Extra) != 1 || got.Extra[0].EventID != "e4" {
		t.Errorf("Extra = %v, want e4's", got.Extra)
	}
	if len(got.DoubleDone) != 1 || got.DoubleDone[0].EventID != "e3" {
		t.Errorf("DoubleDone = %v, want e3's", got.DoubleDone)
	}
}

func TestLogSinkAssemblesLinesSplitAcrossWrites(t *testing.T) {
	s := &LogSink{}
	for _, chunk := range []string{`START RequestId: x` + "\n" + `{"level":"warn","decision":"fin`, `ding","rule":"r","event_id":"e"}` + "\n{\"level\":\"info\"}\n"} {
		if _, err := s.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if f := s.Findings(); len(f) != 1 || f[0].Rule != "r" || f[0].EventID != "e" {
		t.Errorf("Findings = %+v, want one finding of rule r for event e", f)
	}
	if n := len(s.Lines()); n != 2 {
		t.Errorf("%d JSON lines, want 2 (the RIE's line skipped)", n)
	}
}

func TestBurstFaultsFailTheAskedShareOfCalls(t *testing.T) {
	fs := BurstOptions{ErrorRate: 0.2, SlowOperations: []string{}}.Faults()
	ok := 1.0
	for _, f := range fs {
		ok *= 1 - f.ErrorRate
	}
	if d := (1 - ok) - 0.2; d > 1e-9 || d < -1e-9 {
		t.Errorf("faults fail %.4f of calls, want 0.2", 1-ok)
	}
	var faults awsproto.Faults
	faults.Set(fs)
	failed := 0
	for i := 0; i < 20000; i++ {
		if faults.Apply("lambda", "UpdateFunctionCode") != nil {
			failed++
		}
	}
	if share := float64(failed) / 20000; share < 0.18 || share > 0.22 {
		t.Errorf("the emulator failed %.3f of calls, want about 0.2", share)
	}
}

// TestBurstSmall runs a small burst end to end (SELFGUARD_LOADTEST=1).
func TestBurstSmall(t *testing.T) {
	if os.Getenv(envSwitch) == "" {
		t.Skip(envSwitch + " unset: the load runs are make bench-burst's, not make test's")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := RunBurst(ctx, BurstOptions{Functions: 10})
	if err != nil {
		t.Fatal(err)
	}
	logChecks(t, rep.Print, rep.Checks)
}

// TestOutage runs each outage (SELFGUARD_LOADTEST=1).
func TestOutage(t *testing.T) {
	if os.Getenv(envSwitch) == "" {
		t.Skip(envSwitch + " unset: the load runs are make bench-burst's, not make test's")
	}
	for _, svc := range []string{OutageSNS, OutageDynamoDB} {
		for _, mode := range []string{"monitor", "enforce"} {
			t.Run(svc+"/"+mode, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				rep, err := RunOutage(ctx, OutageOptions{Service: svc, Mode: mode, Events: 6})
				if err != nil {
					t.Fatal(err)
				}
				logChecks(t, rep.Print, rep.Checks)
			})
		}
	}
}

// logChecks logs a run's figures and fails the test on a failed check.
func logChecks(t *testing.T, print func(io.Writer), cs Checks) {
	t.Helper()
	var b strings.Builder
	print(&b)
	t.Log(b.String())
	if !cs.Passed() {
		t.Error("a check failed")
	}
}

func TestSummarizeTakesPercentilesAndCountsUnactedRunsAsTheCap(t *testing.T) {
	runs := func(ds ...time.Duration) []*FloodReport {
		var out []*FloodReport
		for _, d := range ds {
			out = append(out, &FloodReport{EventToAction: d, Acted: d > 0})
		}
		return out
	}
	s := Summarize(runs(3*time.Second, time.Second, 2*time.Second, 5*time.Second, 4*time.Second), time.Hour)
	if s.P50 != 3*time.Second || s.P99 != 5*time.Second || !s.AllActed {
		t.Errorf("five runs: %+v, want p50 3s, p99 5s (the slowest), all acted", s)
	}
	s = Summarize(runs(time.Second, 0), time.Hour)
	if s.P99 != time.Hour || s.AllActed {
		t.Errorf("a run with no action: %+v, want it counted as the cap", s)
	}
}

// TestFloodSmall is a short flood: the attack among 100 benign events must
// be acted on.
func TestFloodSmall(t *testing.T) {
	if os.Getenv(envSwitch) == "" {
		t.Skip(envSwitch + " unset: the load runs are make bench-flood's, not make test's")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := RunFlood(ctx, FloodOptions{Functions: 20, Events: 100, Over: 10 * time.Second, Cap: 5 * time.Minute, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Acted {
		t.Fatalf("the guard did not act on the attack within the cap: %+v", rep)
	}
	t.Logf("event to action %s, %d deliveries ended meanwhile, guard calls %v", rep.EventToAction, rep.Ahead, rep.GuardCalls)
}

func TestCallsToOtherServicesDrawOnNoLambdaBucket(t *testing.T) {
	cases := map[Call]string{
		{Operation: "GetFunction", Source: "lambda.amazonaws.com"}:        BucketGetFunction,
		{Operation: "GetFunction"}:                                        BucketGetFunction,
		{Operation: "UpdateFunctionCode", Source: "lambda.amazonaws.com"}: BucketControlPlane,
		{Operation: "DescribeSigningJob", Source: "signer.amazonaws.com"}: BucketOther,
	}
	for c, want := range cases {
		if got := c.Bucket(); got != want {
			t.Errorf("%s %s: bucket %s, want %s", c.Source, c.Operation, got, want)
		}
	}
}
