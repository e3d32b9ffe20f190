package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/selfguard/selfguard/shared/ratelimit/adaptive"
)

// Bucket names and rates.
const (
	BucketGetFunction = "get-function"
	BucketControl     = "control"
	// GetFunctionRate is half of Lambda's 100/s GetFunction quota.
	GetFunctionRate = 50
	// DefaultControlRate is the share of the 15/s control-plane bucket the
	// guards take unless configured otherwise.
	DefaultControlRate = 5
	// MaxAttempts bounds the SDK's attempts per call.
	MaxAttempts = adaptive.MaxAttempts
)

// Clock tells the time and sleeps; tests inject one that only pretends.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Bucket paces calls with golang.org/x/time/rate's token bucket: rate
// tokens a second, holding at most burst. It takes the time from its Clock
// instead of rate.Limiter.Wait's real one, so tests pace calls on a fake
// clock, and counts the tokens it hands out.
type Bucket struct {
	name    string
	limiter *rate.Limiter
	clock   Clock

	mu    sync.Mutex
	calls int64
}

// NewBucket returns a full bucket. A burst below one is one; a fractional
// burst rounds down, so instances sharing a rate never burst above it
// together.
func NewBucket(name string, perSecond, burst float64, clock Clock) *Bucket {
	if clock == nil {
		clock = realClock{}
	}
	b := max(1, int(burst))
	l := rate.NewLimiter(rate.Limit(perSecond), b)
	return &Bucket{name: name, limiter: l, clock: clock}
}

// Wait takes one token, sleeping until it is due or ctx ends; a token
// reserved for a wait that ctx ends goes back to the bucket.
func (b *Bucket) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for %s rate limit: %w", b.name, err)
	}
	now := b.clock.Now()
	r := b.limiter.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("wait for %s rate limit: a call can never be allowed at %v/s", b.name, b.limiter.Limit())
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := b.clock.Sleep(ctx, d); err != nil {
			r.CancelAt(b.clock.Now())
			return fmt.Errorf("wait for %s rate limit: %w", b.name, err)
		}
	}
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	return nil
}

// Calls returns how many tokens the bucket has handed out.
func (b *Bucket) Calls() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// Limiter routes each Lambda operation to its bucket.
type Limiter struct {
	buckets map[string]*Bucket
	// byOp names the bucket of operations that do not use the control one.
	byOp map[string]string
}

// New returns a limiter for Lambda with the control-plane bucket at
// controlRate per second (DefaultControlRate when not above 0) and
// GetFunction at GetFunctionRate. clock nil means the real one.
func New(controlRate float64, clock Clock) *Limiter {
	if controlRate <= 0 {
		controlRate = DefaultControlRate
	}
	l := &Limiter{
		buckets: map[string]*Bucket{
			// Bursts of one second's worth keep even a cold start's
			// flurry below the quota.
			BucketControl:     NewBucket(BucketControl, controlRate, controlRate, clock),
			BucketGetFunction: NewBucket(BucketGetFunction, GetFunctionRate, GetFunctionRate, clock),
		},
		byOp: map[string]string{"GetFunction": BucketGetFunction},
	}
	l.addGetPolicy(controlRate, clock)
	return l
}

// Bucket returns the bucket an operation draws on.
func (l *Limiter) Bucket(operation string) *Bucket {
	if name, ok := l.byOp[operation]; ok {
		return l.buckets[name]
	}
	return l.buckets[BucketControl]
}

// Counts returns the calls (attempts) each bucket has let through.
func (l *Limiter) Counts() map[string]int64 {
	out := make(map[string]int64, len(l.buckets))
	for name, b := range l.buckets {
		out[name] = b.Calls()
	}
	return out
}

// Middleware adds the limiter to an SDK client's stack. It sits after the
// retry middleware, so every attempt, not just every call, takes a token.
func (l *Limiter) Middleware(stack *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("SelfguardRateLimit",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := l.Bucket(awsmiddleware.GetOperationName(ctx)).Wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			return next.HandleFinalize(ctx, in)
		})
	if err := stack.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
		return stack.Finalize.Add(mw, middleware.After)
	}
	return nil
}

// Retryer is adaptive.Retryer: the SDK's adaptive retry mode with 429
// TooManyRequestsException retried and MaxAttempts attempts. Code without a
// Lambda client imports package adaptive instead, so as not to link Lambda.
func Retryer() aws.Retryer { return adaptive.Retryer() }

// LambdaOptions applies the limiter and the adaptive retryer to a Lambda
// client: lambda.NewFromConfig(cfg, limiter.LambdaOptions()).
func (l *Limiter) LambdaOptions() func(*lambda.Options) {
	return func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, l.Middleware)
		o.Retryer = Retryer()
	}
}

// LambdaOptions is New(rate, nil).LambdaOptions(), for callers that need no
// counts.
func LambdaOptions(rate float64) func(*lambda.Options) {
	return New(rate, nil).LambdaOptions()
}
