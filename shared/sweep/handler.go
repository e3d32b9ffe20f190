package sweep

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/logging"
)

// SQSSender is the part of the SQS client the queue uses.
type SQSSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSQueue sends batches to the sweep queue.
type SQSQueue struct {
	Client SQSSender
	URL    string
}

// Send implements Queue.
func (q *SQSQueue) Send(ctx context.Context, b Batch) error {
	body, err := b.Encode()
	if err != nil {
		return err
	}
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)})
	if err != nil {
		return fmt.Errorf("send batch %d to the sweep queue: %w", b.Index, err)
	}
	return nil
}

// RunRecorder is the part of Runs the lister's handler uses.
type RunRecorder interface {
	RunStore
	Start(ctx context.Context, run string, at time.Time) error
	Listed(ctx context.Context, run string, st ListStats) (Progress, error)
}

// ListHandler is functions/sweep: on the schedule, it lists the region and
// sends the batches.
type ListHandler struct {
	Lister   *Lister
	Runs     RunRecorder
	Findings Findings
	Notify   Notifier
	// Hub, when set, keeps Security Hub in step (see Tracker.Hub).
	Hub  Hub
	Mode finding.Mode
	Log  zerolog.Logger
	Now  func() time.Time
}

// Handle runs one sweep; the scheduled event's id names the run, so a
// retried invocation continues the same run instead of starting another.
func (h *ListHandler) Handle(ctx context.Context, e events.CloudWatchEvent) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	run := e.ID
	if run == "" {
		run = strconv.FormatInt(now().UnixMilli(), 10)
	}
	// The logger travels in ctx, so the guards' reads log with the run.
	ctx, log := logging.Invocation(ctx, h.Log.With().Str("run", run).Logger())
	if err := h.Runs.Start(ctx, run, now()); err != nil {
		return err
	}
	st, err := h.Lister.List(ctx, run)
	if err != nil {
		log.Error().Err(err).Int("batches", st.Batches).Msg("sweep listing failed")
		return err
	}
	p, err := h.Runs.Listed(ctx, run, st)
	if err != nil {
		return err
	}
	log.Info().Int("batches", st.Batches).Int("functions", st.Functions).Int("repositories", st.Repositories).
		Int("exempt", st.Exempt).Int("code_signing_configs", st.CodeSigningConfigs).Msg("sweep listed")
	tr := &Tracker{Run: run, Mode: h.Mode, Findings: h.Findings, Runs: h.Runs, Notify: h.Notify, Hub: h.Hub, Now: h.Now}
	return tr.MaybeFinish(ctx, p)
}

// WorkerHandler is functions/sweep-worker: it evaluates the batches SQS
// delivers and reports the ones that failed, so only those come back.
type WorkerHandler struct {
	// Worker is copied per batch, with the batch's tracker as its sink.
	Worker   Worker
	Runs     RunStore
	Findings Findings
	Notify   Notifier
	// Hub, when set, keeps Security Hub in step (see Tracker.Hub).
	Hub Hub
	Log zerolog.Logger
	Now func() time.Time
}

// Handle evaluates each message's batch.
func (h *WorkerHandler) Handle(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	// The logger travels in ctx, so the guards' actions log what the
	// sweep repairs.
	ctx, log := logging.Invocation(ctx, h.Log)
	for _, m := range e.Records {
		if err := h.one(ctx, m.Body); err != nil {
			log.Error().Err(err).Str("message_id", m.MessageId).Msg("sweep batch failed")
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func (h *WorkerHandler) one(ctx context.Context, body string) error {
	b, err := DecodeBatch(body)
	if err != nil {
		return err
	}
	log := logging.From(ctx).With().Str("run", b.Run).Int("batch", b.Index).Logger()
	ctx = logging.With(ctx, log)
	tr := &Tracker{Run: b.Run, Mode: h.Worker.Settings.Mode, Findings: h.Findings, Runs: h.Runs, Notify: h.Notify, Hub: h.Hub, Now: h.Now,
		Cause: b.Cause}
	w := h.Worker
	w.Sink = tr
	if err := w.Process(ctx, b); err != nil {
		return fmt.Errorf("batch %d of run %s: %w", b.Index, b.Run, err)
	}
	if b.CodeSigningConfig != "" {
		// A fan-out batch belongs to no sweep run: nothing to count or close.
		log.Info().Str("code_signing_config", b.CodeSigningConfig).Int("functions", len(b.Names)).
			Msg("code signing config batch evaluated")
		return nil
	}
	log.Info().Int("functions", len(b.Functions)).
		Int("repositories", len(b.Repositories)).Msg("sweep batch evaluated")
	return tr.BatchDone(ctx, b.Index)
}
