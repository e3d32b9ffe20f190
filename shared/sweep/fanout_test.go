package sweep_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/sweep"
)

const sharedCSCID = "csc-0000000000000000c"

var sharedCSCARN = "arn:aws:lambda:" + region + ":" + account + ":code-signing-config:" + sharedCSCID

// sharedCSCWorld is n signed functions using one code signing config (not
// the configured one), and an exempt function using it too.
func sharedCSCWorld(n int) *emulator.World {
	w := &emulator.World{Lambda: lambdaemu.World{
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "trusted", Version: "v000000001"}},
		CodeSigningConfigs: []lambdaemu.CSCWorld{
			{ID: "csc-0000000000000000a", AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce"},
			{ID: sharedCSCID, AllowedPublishers: []string{"trusted"}, UntrustedArtifactOnDeployment: "Enforce"},
		},
	}}
	for i := 0; i <= n; i++ {
		name := fmt.Sprintf("team-%05d", i)
		if i == n {
			name = "sandbox-team"
		}
		w.Lambda.Functions = append(w.Lambda.Functions, lambdaemu.FunctionWorld{
			Name: name, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": name}, SignedBy: "trusted"},
			CodeSigningConfig: sharedCSCID,
		})
	}
	return w
}

// TestAChangedCodeSigningConfigIsJudgedForEveryFunctionThroughTheWorkers:
// a code signing config used by many functions is weakened. The guard's
// invocation only lists its functions and sends them to the sweep queue,
// well inside its timeout at its share of the quota; the sweep workers judge
// every function and alert each one's finding, naming the event and who
// caused it. SELFGUARD_FANOUT_FUNCTIONS sets the number of functions
// (default 60; docs/sweep.md has the figures for 1,000).
func TestAChangedCodeSigningConfigIsJudgedForEveryFunctionThroughTheWorkers(t *testing.T) {
	n := 60
	if v, err := strconv.Atoi(os.Getenv("SELFGUARD_FANOUT_FUNCTIONS")); err == nil && v > 0 {
		n = v
	}
	tb := newTestbed(t, sharedCSCWorld(n), finding.ModeMonitor)
	m := motoClients(t)
	ctx := context.Background()
	admin := lambda.NewFromConfig(clientConfig(t, emulator.ActorAdmin), func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) })
	if _, err := admin.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: aws.String(sharedCSCARN),
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyWarn}}); err != nil {
		t.Fatal(err)
	}
	queue, _ := m.queue(t, "sweep")
	topic, inbox := m.topic(t)
	table := m.table(t)

	// The guard, at its share of the shared bucket (LambdaRate 5 over
	// GuardConcurrency 2), within its function's 120 s timeout.
	guardLimit := ratelimit.New(2.5, nil)
	guard := lambdaguard.New(lambda.NewFromConfig(clientConfig(t, emulator.ActorGuard), guardLimit.LambdaOptions(),
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) }), tb.cfg)
	guard.Batches = &sweep.SQSQueue{Client: m.sqs, URL: queue}
	gctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	start := time.Now()
	d, err := guard.Evaluate(gctx, pipeline.Subject{Type: finding.ResourceCodeSigningConfig, Name: sharedCSCARN,
		Event: &cloudtrail.Record{EventID: "ev-csc-1", EventName: "UpdateCodeSigningConfig", EventSource: cloudtrail.SourceLambda,
			UserIdentity:      cloudtrail.UserIdentity{Type: "IAMUser", UserName: "admin"},
			RequestParameters: []byte(`{"codeSigningConfigArn":"` + sharedCSCARN + `","codeSigningPolicies":{"untrustedArtifactOnDeployment":"Warn"}}`)}})
	guardTime := time.Since(start)
	if err != nil {
		t.Fatalf("the guard's invocation: %v", err)
	}
	if len(d.Findings) != 0 {
		t.Errorf("the guard judged %d findings itself; the workers are to", len(d.Findings))
	}
	// The listings, and one read of the config to tell whether the
	// functions' own findings will show the weakening.
	pages := int64((n+1+49)/50) + 1
	if got := guardLimit.Counts()[ratelimit.BucketControl]; got != pages {
		t.Errorf("the guard made %d shared-bucket calls, want %d", got, pages)
	}

	// Two sweep workers, together at the sweep's LambdaRate (5/s), with the
	// guard's rules, the ledger and the alert topic on moto.
	workerLimit := ratelimit.New(5, nil)
	judge := lambdaguard.New(lambda.NewFromConfig(clientConfig(t, emulator.ActorGuard), workerLimit.LambdaOptions(),
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(tb.url) }), tb.cfg)
	notify := &sweep.Alerts{Sender: &alert.Publisher{Client: m.sns, TopicARN: topic}, Account: account, Region: region, Mode: tb.cfg.Mode}
	w := tb.worker(nil)
	w.CodeSigningConfigs, w.LambdaActor = judge, judge
	ds := &deployedSweep{m: m, queue: queue, inbox: inbox, worker: &sweep.WorkerHandler{Worker: *w,
		Runs: &sweep.Runs{DB: m.db, Table: table}, Findings: ledger.NewTable(m.db, table), Notify: notify, Log: zerolog.Nop()}}
	stop := make(chan struct{})
	close(stop)
	start = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); ds.work(t, stop) }()
	}
	wg.Wait()
	workTime := time.Since(start)

	alerted := map[string]int{}
	for _, a := range m.notifications(t, inbox) {
		if a.attr("rule") == "lambda.csc-warn-only" {
			alerted[a.attr("resource")]++
		}
		if !strings.Contains(a.Message, "UpdateCodeSigningConfig") || !strings.Contains(a.Message, "admin") {
			t.Errorf("alert does not name the event and who caused it: %.400s", a.Message)
		}
	}
	for i := 0; i < n; i++ {
		if name := fmt.Sprintf("team-%05d", i); alerted[name] != 1 {
			t.Errorf("%s alerted %d times, want once", name, alerted[name])
		}
	}
	if alerted["sandbox-team"] != 0 {
		t.Error("the exempt function was judged")
	}
	c := workerLimit.Counts()
	t.Logf("%d functions: guard %v (%d shared calls), workers %v (%d shared, %d GetFunction), %d alerts",
		n, guardTime.Round(time.Millisecond), pages, workTime.Round(time.Millisecond), c[ratelimit.BucketControl], c[ratelimit.BucketGetFunction], len(alerted))
}
