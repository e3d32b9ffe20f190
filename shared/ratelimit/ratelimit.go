package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"

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

// Bucket is a token bucket: rate tokens a second, holding at most burst.
type Bucket struct {
	name  string
	rate  float64
	burst float64
	clock Clock

	mu     sync.Mutex
	tokens float64
	last   time.Time
	calls  int64
	waited time.Duration
}

// NewBucket returns a full bucket.
func NewBucket(name string, rate, burst float64, clock Clock) *Bucket {
	if clock == nil {
		clock = realClock{}
	}
	if burst < 1 {
		burst = 1
	}
	return &Bucket{name: name, rate: rate, burst: burst, clock: clock, tokens: burst, last: clock.Now()}
}

// Wait takes one token, sleeping until one is free or ctx ends.
func (b *Bucket) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := b.clock.Now()
		if now.After(b.last) {
			b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
			b.last = now
		}
		if b.tokens >= 1 {
			b.tokens--
			b.calls++
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		if need < time.Millisecond {
			need = time.Millisecond
		}
		b.waited += need
		b.mu.Unlock()
		if err := b.clock.Sleep(ctx, need); err != nil {
			return fmt.Errorf("wait for %s rate limit: %w", b.name, err)
		}
	}
}

// Calls returns how many tokens the bucket has handed out.
func (b *Bucket) Calls() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// Waited returns the total time callers were told to wait.
func (b *Bucket) Waited() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waited
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
