package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/testbed"
)

// Services an outage can take away from the guard.
const (
	OutageSNS      = "sns"
	OutageDynamoDB = "dynamodb"
)

// RuleAliasLatest is the rule the outage's attacker trips.
const RuleAliasLatest = "lambda.alias-latest"

// OutageOptions shape an outage run; zero values take the defaults.
type OutageOptions struct {
	Service string // OutageSNS or OutageDynamoDB
	Mode    string // monitor or enforce (default enforce)
	// Outage is how long the service is unreachable from the first change
	// on (default 12s); the changes are spread over it.
	Outage time.Duration
	// Events is how many functions the attacker points at $LATEST (default 6).
	Events int
	// TimeScale scales Lambda's retry delays (default 0.05: 3 s, then 6 s;
	// events expire after 3 minutes).
	TimeScale float64
	// Progress receives progress lines; GuardLogs the guard's raw output.
	Progress, GuardLogs io.Writer
}

func (o *OutageOptions) defaults() {
	if o.Service == "" {
		o.Service = OutageSNS
	}
	if o.Mode == "" {
		o.Mode = "enforce"
	}
	if o.Outage <= 0 {
		o.Outage = 12 * time.Second
	}
	if o.Events <= 0 {
		o.Events = 6
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 0.05
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// OutageReport is what an outage run measured and whether its checks held.
type OutageReport struct {
	Options      OutageOptions `json:"-"`
	Recovered    time.Duration `json:"recovered"` // first change to every delivery ended
	Failed       int           `json:"failedAttempts"`
	Deliveries   DeliveryTally `json:"deliveries"`
	Replayed     int           `json:"replayed"`
	AlertsPerEvt map[int]int   `json:"alertsPerEvent"` // alerts for one change -> how many changes
	GuardWrites  int           `json:"guardWrites"`
	Checks       Checks        `json:"checks"`
}

// RunOutage starts the guard with its endpoint for the service on a port
// that refuses connections (testbed.Options.Env), has the attacker move prod
// aliases to $LATEST, opens the port (a proxy to moto) after the outage,
// lets Lambda's retries run out, replays the dead letters as an operator
// would, and checks that every change was alerted exactly once.
func RunOutage(ctx context.Context, o OutageOptions) (*OutageReport, error) {
	o.defaults()
	rep := &OutageReport{Options: o}
	sink := &LogSink{Echo: o.GuardLogs}
	fmt.Fprintf(o.Progress, "outage: %s unreachable for %s, %s mode, %d changes\n", o.Service, o.Outage, o.Mode, o.Events)
	w := testbed.DemoWorld()
	signed := w.Lambda.Functions[1] // orders-api: signed, Enforce CSC, prod -> 1
	w.Lambda.Functions = nil
	for i := 0; i < o.Events; i++ {
		f := signed
		f.Name = FunctionName(i)
		w.Lambda.Functions = append(w.Lambda.Functions, f)
	}
	envVar := map[string]string{OutageSNS: "AWS_ENDPOINT_URL_SNS", OutageDynamoDB: "AWS_ENDPOINT_URL_DYNAMODB"}[o.Service]
	if envVar == "" {
		return nil, fmt.Errorf("outage of %q: want %s or %s", o.Service, OutageSNS, OutageDynamoDB)
	}
	// The guard's endpoint for the service is the gate's port: closed once
	// the bed is up, opened (to moto) when the outage ends.
	g, err := newGate()
	if err != nil {
		return nil, err
	}
	defer g.Close()
	bed, err := testbed.Start(ctx, testbed.Options{
		World: w, Parameters: testbed.GuardParameters(o.Mode), Functions: []string{GuardFunction},
		TimeScale: o.TimeScale, LogWriter: sink, Env: map[string]string{envVar: "http://" + g.addr},
	})
	if err != nil {
		return nil, err
	}
	defer bed.Close()
	g.Shut()

	startSeq := int64(len(bed.Emulator.Env.Trail.Since(0)))
	mallory := bed.Lambda(emulator.ActorAttacker)
	start := time.Now()
	pollCtx, stopPoll := context.WithCancel(ctx)
	var polling sync.WaitGroup
	polling.Add(1)
	go func() { defer polling.Done(); bed.Bus.PollTrail(pollCtx, bed.URL, 100*time.Millisecond) }()
	// The changes are spread over the outage: the early ones run out of
	// Lambda's retries before it ends, the late ones are saved by them.
	for i := 0; i < o.Events; i++ {
		at := start.Add(o.Outage * time.Duration(i) / time.Duration(o.Events))
		select {
		case <-ctx.Done():
			stopPoll()
			return nil, ctx.Err()
		case <-time.After(time.Until(at)):
		}
		if _, err := mallory.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(FunctionName(i)), Name: aws.String("prod"), FunctionVersion: aws.String("$LATEST"),
		}); err != nil {
			stopPoll()
			return nil, fmt.Errorf("attacker moves %s:prod: %w", FunctionName(i), err)
		}
	}
	select {
	case <-ctx.Done():
		stopPoll()
		return nil, ctx.Err()
	case <-time.After(time.Until(start.Add(o.Outage))):
	}
	if err := g.Open(strings.TrimPrefix(bed.Moto.URL, "http://")); err != nil {
		stopPoll()
		return nil, err
	}
	fmt.Fprintf(o.Progress, "outage: %s reachable again after %s\n", o.Service, time.Since(start).Round(time.Millisecond))
	stopPoll()
	polling.Wait()
	if err := bed.Settle(ctx); err != nil {
		return nil, err
	}
	rep.Recovered = time.Since(start)
	rep.Deliveries = TallyDeliveries(bed.Bus.Deliveries(), bed.Bus.DeadLetters(), GuardFunction)
	for _, d := range bed.Bus.Deliveries() {
		if d.Target == GuardFunction && d.Result != eventbus.ResultOK && d.Result != eventbus.ResultExpired {
			rep.Failed++
		}
	}
	// An operator replays the dead-letter queue once the service is back.
	var replayErrs []string
	for _, dl := range bed.Bus.DeadLetters() {
		if dl.Target != GuardFunction {
			continue
		}
		rep.Replayed++
		_, fnErr, err := bed.Functions[GuardFunction].Invoke(ctx, dl.Payload)
		if err != nil || fnErr != "" {
			replayErrs = append(replayErrs, fmt.Sprintf("%s: %v %s", dl.EventID, err, fnErr))
		}
	}
	if err := bed.Settle(ctx); err != nil {
		return nil, err
	}
	final := TallyDeliveries(bed.Bus.Deliveries(), bed.Bus.DeadLetters(), GuardFunction)

	calls, err := ParseCalls(bed.Emulator.Env.Trail.Since(startSeq))
	if err != nil {
		return nil, err
	}
	changes := map[string]string{} // CloudTrail event id -> function
	guardWrites := map[string]int{}
	for _, c := range calls {
		switch {
		case !c.Write():
		case c.Issuer == bed.Roles[GuardFunction]:
			guardWrites[c.Function]++
			rep.GuardWrites++
		default:
			changes[c.EventID] = c.Function
		}
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	per := map[string]int{}
	for _, a := range alerts {
		if k := KeyOf(a); k.Rule == RuleAliasLatest {
			per[k.EventID]++
		}
	}
	rep.AlertsPerEvt = map[int]int{}
	var off []string
	for id, fn := range changes {
		rep.AlertsPerEvt[per[id]]++
		if per[id] != 1 {
			off = append(off, fmt.Sprintf("%s (%s): %d alerts", fn, id, per[id]))
		}
	}

	cs := &rep.Checks
	dt := rep.Deliveries
	cs.Add("handler failed during the outage", rep.Failed > 0,
		"%d failed attempts (the handler returned an error, so Lambda retries)", rep.Failed)
	cs.Add("every event ended ok or dead-lettered", dt.Unfinished == 0 && final.Events == len(changes)+rep.GuardWrites,
		"%d events (%d changes, %d the guard's own writes): %d ok first time, %d ok after Lambda's retries, %d dead letters%s",
		final.Events, len(changes), rep.GuardWrites, dt.FirstTimeOK, dt.RetriedOK, dt.DeadLetters, dt.reasons())
	cs.Add("dead letters replayed", len(replayErrs) == 0, "%d replayed; failures: %s", rep.Replayed, listOrNone(replayErrs))
	cs.Add("every change alerted exactly once", len(off) == 0 && len(changes) == o.Events,
		"%d changes; alerts per change -> changes: %v; off: %s", len(changes), rep.AlertsPerEvt, listOrNone(off))
	wantWrites := 0
	if o.Mode == "enforce" {
		wantWrites = 1
	}
	var dup []string
	for i := 0; i < o.Events; i++ {
		if n := guardWrites[FunctionName(i)]; n != wantWrites {
			dup = append(dup, fmt.Sprintf("%s: %d", FunctionName(i), n))
		}
	}
	cs.Add("no duplicate action", len(dup) == 0, "%d guard writes, want %d per function; off: %s", rep.GuardWrites, wantWrites, listOrNone(dup))
	return rep, nil
}

// Print writes the figures and the checks.
func (r *OutageReport) Print(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "\n== Outage: %s unreachable for %s, %s mode, %d changes, retries x%.2f\n", o.Service, o.Outage, o.Mode, o.Events, o.TimeScale)
	fmt.Fprintf(w, "   all deliveries ended %s after the first change; %d failed attempts; %d dead letters replayed; guard writes %d\n",
		r.Recovered.Round(time.Millisecond), r.Failed, r.Replayed, r.GuardWrites)
	r.Checks.Print(w)
}

// gate is a TCP port that refuses connections once shut, until opened,
// then forwards them to a target: a service that is down, then back.
type gate struct {
	addr string
	mu   sync.Mutex
	ln   net.Listener
}

// newGate holds a free port (so that nothing started meanwhile takes it)
// until Shut.
func newGate() (*gate, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("reserve a port: %w", err)
	}
	return &gate{addr: ln.Addr().String(), ln: ln}, nil
}

// Shut closes the port: connections are refused until Open.
func (g *gate) Shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
}

// Open starts forwarding to target (host:port).
func (g *gate) Open(target string) error {
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		return fmt.Errorf("open gate %s: %w", g.addr, err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go forward(c, target)
		}
	}()
	return nil
}

func forward(c net.Conn, target string) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer t.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(t, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, t); done <- struct{}{} }()
	<-done
}

// Close stops accepting.
func (g *gate) Close() { g.Shut() }
