package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// Invoker invokes a function of the template by logical id, as Lambda's
// asynchronous invocation would run it: a function error is reported in
// functionError (the handler failed), err is for failing to run it at all.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (functionError string, err error)
}

// Publisher publishes a message to a topic of the template, by logical id.
type Publisher interface {
	Publish(ctx context.Context, topic string, message string) error
}

// Result is the outcome of one delivery attempt.
type Result string

// Results of a delivery attempt.
const (
	ResultOK            Result = "ok"
	ResultFunctionError Result = "function-error"
	ResultError         Result = "error"
	ResultExpired       Result = "expired"
	ResultCancelled     Result = "cancelled"
)

// Delivery is one attempt to hand an event to a target.
type Delivery struct {
	Rule          string        `json:"rule"`
	Target        string        `json:"target"`
	Kind          TargetKind    `json:"kind"`
	EventID       string        `json:"eventId"`
	Attempt       int           `json:"attempt"`
	Duplicate     bool          `json:"duplicate,omitempty"`
	Result        Result        `json:"result"`
	FunctionError string        `json:"functionError,omitempty"`
	Error         string        `json:"error,omitempty"`
	At            time.Time     `json:"at"`
	Took          time.Duration `json:"took"`
}

// DeadLetter is an event the bus gave up on: what Lambda hands to a
// function's on-failure destination.
type DeadLetter struct {
	Rule          string     `json:"rule"`
	Target        string     `json:"target"`
	Kind          TargetKind `json:"kind"`
	EventID       string     `json:"eventId"`
	Payload       []byte     `json:"payload"`
	Attempts      int        `json:"attempts"`
	Reason        string     `json:"reason"`
	FunctionError string     `json:"functionError,omitempty"`
	Error         string     `json:"error,omitempty"`
	Destination   string     `json:"destination,omitempty"`
}

// Reasons a delivery ends in the dead-letter list; the first two are
// Lambda's own condition names for on-failure destinations.
const (
	ReasonRetriesExhausted = "RetriesExhausted"
	ReasonEventAgeExceeded = "EventAgeExceeded"
	ReasonCancelled        = "Cancelled"
)

// Options configure a Bus.
type Options struct {
	Invoker   Invoker
	Publisher Publisher
	// RetryDelays are the waits before the first, second... retry; the last
	// one repeats. Default: 1 and 2 minutes, as Lambda waits.
	RetryDelays []time.Duration
	// TimeScale multiplies every wait and every maximum event age, so tests
	// can run AWS's minutes in milliseconds. Default 1.
	TimeScale float64
	// Duplicate is the probability (0 to 1) that a matching event is
	// delivered twice, as EventBridge and Lambda each may.
	Duplicate float64
	// Seed seeds the duplicate draw.
	Seed uint64
	// OnFailure, if set, is called with every dead letter.
	OnFailure func(DeadLetter)
	// Logger receives one line per delivery attempt; default none.
	Logger *zerolog.Logger
	// Account and Region name the rules' ARNs. Defaults 123456789012, us-east-1.
	Account, Region string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Bus is a local EventBridge default bus delivering to the template's targets.
type Bus struct {
	rules     []Rule
	functions map[string]FunctionConfig
	opts      Options
	log       zerolog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	rng         *rand.Rand
	deliveries  []Delivery
	deadLetters []DeadLetter
	trailSeq    int64
}

// New returns a bus with the template's rules.
func New(t *Template, opts Options) *Bus {
	if len(opts.RetryDelays) == 0 {
		opts.RetryDelays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := zerolog.Nop()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{
		rules: t.Rules, functions: t.Functions, opts: opts, log: log, ctx: ctx, cancel: cancel,
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5e1f9a4d)),
	}
	if b.functions == nil {
		b.functions = map[string]FunctionConfig{}
	}
	return b
}

// Rules returns the bus's rules.
func (b *Bus) Rules() []Rule { return b.rules }

// Publish matches the event against every rule and starts delivering it to
// the targets of each matching rule; it returns the names of those rules
// without waiting for the deliveries.
func (b *Bus) Publish(ctx context.Context, event []byte) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := decodeEvent(event)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	id, _ := v.(map[string]any)["id"].(string)
	received := b.opts.Now()
	var matched []string
	for i := range b.rules {
		rule := &b.rules[i]
		if !rule.Pattern.MatchValue(v) {
			continue
		}
		matched = append(matched, rule.Name)
		for _, t := range rule.Targets {
			payload, err := b.payload(rule, t, event, received)
			if err != nil {
				return matched, fmt.Errorf("publish: rule %s target %s: %w", rule.Name, t.ID, err)
			}
			copies := 1
			if b.opts.Duplicate > 0 {
				b.mu.Lock()
				if b.rng.Float64() < b.opts.Duplicate {
					copies = 2
				}
				b.mu.Unlock()
			}
			for c := 0; c < copies; c++ {
				b.wg.Add(1)
				go b.deliver(rule.Name, t, id, payload, received, c > 0)
			}
		}
	}
	return matched, nil
}

func (b *Bus) payload(rule *Rule, t Target, event []byte, received time.Time) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputTransformer != nil:
		arn := "arn:aws:events:" + b.opts.Region + ":" + b.opts.Account + ":rule/" + rule.Name
		s, err := t.InputTransformer.Apply(event, rule.Name, arn, received)
		return []byte(s), err
	}
	return append([]byte(nil), event...), nil
}

func (b *Bus) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * b.opts.TimeScale)
}

func (b *Bus) deliver(rule string, t Target, eventID string, payload []byte, received time.Time, dup bool) {
	defer b.wg.Done()
	maxRetries, maxAge, dest := len(b.opts.RetryDelays), time.Duration(0), t.DeadLetterArn
	if t.Kind == TargetFunction {
		cfg, ok := b.functions[t.Name]
		if !ok {
			cfg = defaultFunctionConfig
		}
		maxRetries, maxAge = cfg.MaximumRetryAttempts, b.scaled(cfg.MaximumEventAge)
		if cfg.OnFailure != "" {
			dest = cfg.OnFailure
		}
	}
	dl := DeadLetter{Rule: rule, Target: t.Name, Kind: t.Kind, EventID: eventID, Payload: payload, Destination: dest}
	for attempt := 1; ; attempt++ {
		d := Delivery{Rule: rule, Target: t.Name, Kind: t.Kind, EventID: eventID, Attempt: attempt, Duplicate: dup, At: b.opts.Now()}
		fnErr, err := b.call(t, payload)
		d.Took = b.opts.Now().Sub(d.At)
		switch {
		case err != nil:
			d.Result, d.Error = ResultError, err.Error()
		case fnErr != "":
			d.Result, d.FunctionError = ResultFunctionError, fnErr
		default:
			d.Result = ResultOK
		}
		b.record(d)
		if d.Result == ResultOK {
			return
		}
		dl.Attempts, dl.FunctionError, dl.Error = attempt, d.FunctionError, d.Error
		if attempt > maxRetries {
			dl.Reason = ReasonRetriesExhausted
			b.deadLetter(dl)
			return
		}
		delay := b.scaled(b.opts.RetryDelays[min(attempt-1, len(b.opts.RetryDelays)-1)])
		if maxAge > 0 && b.opts.Now().Add(delay).Sub(received) > maxAge {
			b.record(Delivery{Rule: rule, Target: t.Name, Kind: t.Kind, EventID: eventID, Attempt: attempt + 1,
				Duplicate: dup, Result: ResultExpired, At: b.opts.Now()})
			dl.Reason = ReasonEventAgeExceeded
			b.deadLetter(dl)
			return
		}
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-b.ctx.Done():
			timer.Stop()
			b.record(Delivery{Rule: rule, Target: t.Name, Kind: t.Kind, EventID: eventID, Attempt: attempt + 1,
				Duplicate: dup, Result: ResultCancelled, At: b.opts.Now()})
			dl.Reason = ReasonCancelled
			b.deadLetter(dl)
			return
		}
	}
}

func (b *Bus) call(t Target, payload []byte) (string, error) {
	switch t.Kind {
	case TargetFunction:
		if b.opts.Invoker == nil {
			return "", errors.New("no invoker configured")
		}
		return b.opts.Invoker.Invoke(b.ctx, t.Name, payload)
	case TargetTopic:
		if b.opts.Publisher == nil {
			return "", errors.New("no publisher configured")
		}
		return "", b.opts.Publisher.Publish(b.ctx, t.Name, string(payload))
	}
	return "", fmt.Errorf("unknown target kind %q", t.Kind)
}

func (b *Bus) record(d Delivery) {
	b.mu.Lock()
	b.deliveries = append(b.deliveries, d)
	b.mu.Unlock()
	b.log.Info().Str("rule", d.Rule).Str("target", d.Target).Str("kind", string(d.Kind)).
		Str("event_id", d.EventID).Int("attempt", d.Attempt).Bool("duplicate", d.Duplicate).
		Str("result", string(d.Result)).Str("function_error", d.FunctionError).Str("error", d.Error).
		Dur("took", d.Took).Msg("delivery")
}

func (b *Bus) deadLetter(dl DeadLetter) {
	b.mu.Lock()
	b.deadLetters = append(b.deadLetters, dl)
	b.mu.Unlock()
	b.log.Warn().Str("rule", dl.Rule).Str("target", dl.Target).Str("event_id", dl.EventID).
		Int("attempts", dl.Attempts).Str("reason", dl.Reason).Msg("dead letter")
	if b.opts.OnFailure != nil {
		b.opts.OnFailure(dl)
	}
}

// Deliveries returns every delivery attempt so far, in the order they ended.
func (b *Bus) Deliveries() []Delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Delivery(nil), b.deliveries...)
}

// DeadLetters returns the events the bus gave up on.
func (b *Bus) DeadLetters() []DeadLetter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]DeadLetter(nil), b.deadLetters...)
}

// Wait blocks until every delivery started so far, retries included, has
// ended, or ctx ends.
func (b *Bus) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for deliveries: %w", ctx.Err())
	}
}

// Close stops pending retries (they end as dead letters) and waits for
// deliveries under way.
func (b *Bus) Close() {
	b.cancel()
	b.wg.Wait()
}

// FeedTrail publishes every event received on ch until ch is closed or ctx
// ends. Events that fail to publish are logged and skipped.
func (b *Bus) FeedTrail(ctx context.Context, ch <-chan awsproto.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			b.publishTrail(ctx, ev)
		}
	}
}

func (b *Bus) publishTrail(ctx context.Context, ev awsproto.Event) {
	b.mu.Lock()
	if ev.Seq > b.trailSeq {
		b.trailSeq = ev.Seq
	}
	b.mu.Unlock()
	if _, err := b.Publish(ctx, ev.Event); err != nil {
		b.log.Error().Err(err).Int64("seq", ev.Seq).Msg("publish trail event")
	}
}

// SyncTrail reads the emulator's trail (GET <baseURL>/_selfguard/trail)
// after the last event the bus has seen and publishes each new event.
func (b *Bus) SyncTrail(ctx context.Context, baseURL string) (int, error) {
	b.mu.Lock()
	since := b.trailSeq
	b.mu.Unlock()
	url := strings.TrimSuffix(baseURL, "/") + "/_selfguard/trail?since=" + fmt.Sprint(since)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("sync trail: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sync trail: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("sync trail: %s: %s", resp.Status, body)
	}
	var events []awsproto.Event
	if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
		return 0, fmt.Errorf("sync trail: decode: %w", err)
	}
	n := 0
	for _, ev := range events {
		if ev.Seq <= since {
			continue
		}
		b.publishTrail(ctx, ev)
		n++
	}
	return n, nil
}

// PollTrail calls SyncTrail every interval until ctx ends.
func (b *Bus) PollTrail(ctx context.Context, baseURL string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := b.SyncTrail(ctx, baseURL); err != nil && ctx.Err() == nil {
			b.log.Error().Err(err).Msg("poll trail")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// lastSeq is the sequence number of the last trail event the bus has seen.
func (b *Bus) lastSeq() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.trailSeq
}
