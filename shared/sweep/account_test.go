package sweep_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/sweep"
)

// deployedSweep is the sweep as the account runs it: the lister's handler
// sends batches to a real SQS queue, worker loops receive them and call
// the worker's handler as the SQS event source would, and the ledger, the
// run records and the alert topic are moto's DynamoDB and SNS.
type deployedSweep struct {
	m      motoAWS
	queue  string
	inbox  string
	lister *sweep.ListHandler
	worker *sweep.WorkerHandler
}

func newDeployedSweep(t *testing.T, tb *testbed) *deployedSweep {
	m := motoClients(t)
	table := m.table(t)
	topic, inbox := m.topic(t)
	queue, _ := m.queue(t, "sweep")
	notify := &sweep.Alerts{Sender: &alert.Publisher{Client: m.sns, TopicARN: topic}, Account: account, Region: region, Mode: tb.cfg.Mode}
	runs := &sweep.Runs{DB: m.db, Table: table}
	findings := ledger.NewTable(m.db, table)
	l := tb.lister()
	l.BatchFunctions, l.BatchRepositories = 2, 1 // several batches for two workers
	l.Queue = &sweep.SQSQueue{Client: m.sqs, URL: queue}
	return &deployedSweep{
		m: m, queue: queue, inbox: inbox,
		lister: &sweep.ListHandler{Lister: l, Runs: runs, Findings: findings, Notify: notify, Mode: tb.cfg.Mode, Log: zerolog.Nop()},
		worker: &sweep.WorkerHandler{Worker: *tb.worker(nil), Runs: runs, Findings: findings, Notify: notify, Log: zerolog.Nop()},
	}
}

// work receives batches until stop is closed and the queue is empty,
// deleting those the handler did not report failed, as the event source
// mapping does. It returns the bodies it handled.
func (d *deployedSweep) work(t *testing.T, stop <-chan struct{}) []string {
	ctx := context.Background()
	var handled []string
	for {
		// Only an empty receive sent after stop closed proves the queue
		// drained: one sent before may have been answered before the
		// lister's last batches arrived, and stopping on it left a run
		// with batches nobody handled, so it never finished.
		stopped := closed(stop)
		out, err := d.m.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.queue), MaxNumberOfMessages: 2, WaitTimeSeconds: 0})
		if err != nil {
			t.Errorf("receive: %v", err)
			return handled
		}
		if len(out.Messages) == 0 {
			if stopped {
				return handled
			}
			select {
			case <-stop:
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		var e events.SQSEvent
		receipts := map[string]*string{}
		for _, msg := range out.Messages {
			e.Records = append(e.Records, events.SQSMessage{MessageId: aws.ToString(msg.MessageId), Body: aws.ToString(msg.Body)})
			receipts[aws.ToString(msg.MessageId)] = msg.ReceiptHandle
		}
		resp, err := d.worker.Handle(ctx, e)
		if err != nil {
			t.Errorf("worker: %v", err)
		}
		for _, f := range resp.BatchItemFailures {
			t.Errorf("batch %s failed", f.ItemIdentifier)
			delete(receipts, f.ItemIdentifier)
		}
		for _, r := range e.Records {
			if h, ok := receipts[r.MessageId]; ok {
				if _, err := d.m.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.queue), ReceiptHandle: h}); err != nil {
					t.Errorf("delete: %v", err)
				}
				handled = append(handled, r.Body)
			}
		}
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// run sweeps once with two workers running beside the lister, and returns
// the bodies of the batches handled and the notifications sent.
func (d *deployedSweep) run(t *testing.T, id string) ([]string, []notification) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bodies []string
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := d.work(t, stop)
			mu.Lock()
			bodies = append(bodies, b...)
			mu.Unlock()
		}()
	}
	err := d.lister.Handle(context.Background(), events.CloudWatchEvent{ID: id})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("lister: %v", err)
	}
	return bodies, d.m.notifications(t, d.inbox)
}

func kinds(ns []notification) map[string]int {
	out := map[string]int{}
	for _, n := range ns {
		out[n.attr(alert.AttrKind)]++
	}
	return out
}

func TestDeployedSweepFinishesOnceAndTheNextSweepTellsNothingNew(t *testing.T) {
	tb := newTestbed(t, mixedWorld(), finding.ModeMonitor)
	d := newDeployedSweep(t, tb)

	bodies, got := d.run(t, "run-1")
	k := kinds(got)
	if len(bodies) < 4 {
		t.Errorf("%d batches handled: the sweep was not spread over several messages", len(bodies))
	}
	if k["finding"] == 0 || k["summary"] != 1 || len(got) != k["finding"]+1 {
		t.Fatalf("first sweep sent %v, want the findings' alerts and exactly one summary", k)
	}
	open, err := d.worker.Findings.OpenFindings(context.Background())
	if err != nil || len(open) != k["finding"] {
		t.Errorf("ledger holds %d open findings (%v), the alerts were %d", len(open), err, k["finding"])
	}

	// A batch delivered again after the run finished changes nothing.
	resp, err := d.worker.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "again", Body: bodies[0]}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivered batch: %+v, %v", resp, err)
	}
	if again := d.m.notifications(t, d.inbox); len(again) != 0 {
		t.Errorf("a redelivered batch sent %v", kinds(again))
	}

	// The next sweep finds the same: no finding is told again. Findings
	// are still open, so its run sends its one summary (docs/sweep.md).
	_, got = d.run(t, "run-2")
	if k := kinds(got); k["finding"] != 0 || k["summary"] != 1 {
		t.Errorf("second sweep sent %v, want no finding alert and one summary", k)
	}

	// Once everything is fixed, a sweep closes the findings and sends nothing.
	fixed := mixedWorld()
	fixed.Lambda.Functions = fixed.Lambda.Functions[:1] // only "good"
	fixed.Repos.Repositories = fixed.Repos.Repositories[:1]
	if err := tb.srv.LoadWorld(fixed); err != nil {
		t.Fatal(err)
	}
	_, got = d.run(t, "run-3")
	open, err = d.worker.Findings.OpenFindings(context.Background())
	if len(got) != 0 || err != nil || len(open) != 0 {
		t.Errorf("after the fix: sent %v, %d findings open (%v); want nothing", kinds(got), len(open), err)
	}
}
