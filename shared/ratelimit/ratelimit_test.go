package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// fakeClock only pretends to sleep: Sleep moves its time forward, or, with
// interrupt set, fails as a context ending mid-sleep would.
type fakeClock struct {
	mu        sync.Mutex
	now       time.Time
	slept     time.Duration
	interrupt bool
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.interrupt {
		return context.DeadlineExceeded
	}
	c.now = c.now.Add(d)
	c.slept += d
	return nil
}

func TestBucketPacesCalls(t *testing.T) {
	tests := []struct {
		name      string
		rate      float64
		burst     float64
		calls     int
		wantSlept time.Duration
	}{
		{"a burst passes at once", 5, 5, 5, 0},
		{"beyond the burst calls wait a token each", 5, 5, 15, 2 * time.Second},
		{"a burst of one paces from the second call", 10, 1, 11, time.Second},
		{"the GetFunction rate", GetFunctionRate, GetFunctionRate, 150, 2 * time.Second},
		// An instance's share of 5/s among two: 2.5/s, bursting 2, not 3.
		{"a fractional burst rounds down", 2.5, 2.5, 3, 400 * time.Millisecond},
		{"a burst below one is one", 0.5, 0.5, 2, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			b := NewBucket("b", tt.rate, tt.burst, c)
			for i := 0; i < tt.calls; i++ {
				if err := b.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if d := c.slept - tt.wantSlept; d < -time.Millisecond*5 || d > time.Millisecond*5 {
				t.Errorf("slept %v, want %v", c.slept, tt.wantSlept)
			}
			if b.Calls() != int64(tt.calls) {
				t.Errorf("calls %d, want %d", b.Calls(), tt.calls)
			}
		})
	}
}

func TestBucketRefillsWhileIdleUpToBurst(t *testing.T) {
	c := newClock()
	b := NewBucket("b", 5, 5, c)
	for i := 0; i < 5; i++ {
		_ = b.Wait(context.Background())
	}
	c.Sleep(context.Background(), time.Hour) // idle: refills to the burst, no more
	c.slept = 0
	for i := 0; i < 6; i++ {
		_ = b.Wait(context.Background())
	}
	if c.slept < 190*time.Millisecond || c.slept > 210*time.Millisecond {
		t.Errorf("after an idle hour 6 calls slept %v, want 200ms (burst 5, then one token at 5/s)", c.slept)
	}
}

func TestBucketWaitEndsWithContext(t *testing.T) {
	c := newClock()
	b := NewBucket("b", 1, 1, c)
	_ = b.Wait(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context = %v", err)
	}
	if b.Calls() != 1 {
		t.Errorf("calls %d", b.Calls())
	}
}

// TestBucketReturnsTheTokenOfAnInterruptedWait: a call whose context ends
// while it waits takes no token, so the next caller does not wait for it.
func TestBucketReturnsTheTokenOfAnInterruptedWait(t *testing.T) {
	c := newClock()
	b := NewBucket("b", 1, 1, c)
	_ = b.Wait(context.Background())
	c.interrupt = true
	if err := b.Wait(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("interrupted Wait = %v", err)
	}
	c.interrupt = false
	if err := b.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.slept != time.Second {
		t.Errorf("the call after an interrupted one slept %v, want 1s (one token at 1/s, not two)", c.slept)
	}
	if b.Calls() != 2 {
		t.Errorf("calls %d, want 2", b.Calls())
	}
}

func TestLimiterRoutesOperations(t *testing.T) {
	l := New(0, newClock())
	tests := []struct{ op, bucket string }{
		{"GetFunction", BucketGetFunction},
		{"GetFunctionConfiguration", BucketControl},
		{"UpdateAlias", BucketControl},
		{"ListFunctions", BucketControl},
	}
	for _, tt := range tests {
		if got := l.Bucket(tt.op).name; got != tt.bucket {
			t.Errorf("%s draws on %s, want %s", tt.op, got, tt.bucket)
		}
	}
	if r := l.Bucket("UpdateAlias").limiter.Limit(); r != DefaultControlRate {
		t.Errorf("default control rate %v", r)
	}
}

// lambdaAPI answers like Lambda: GetFunction and ListFunctions, with the
// first throttled attempts answered 429 TooManyRequestsException.
func lambdaAPI(t *testing.T, throttleFirst int) (*httptest.Server, *int) {
	var mu sync.Mutex
	attempts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		n := attempts
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n <= throttleFirst {
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`))
			return
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && r.Method == http.MethodGet:
			_, _ = w.Write([]byte(`{"Configuration":{"FunctionName":"payments-api"}}`))
		case r.URL.Path == "/2015-03-31/functions/" || r.URL.Path == "/2015-03-31/functions":
			_, _ = w.Write([]byte(`{"Functions":[{"FunctionName":"payments-api"}]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"Type":"User","message":"not here"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &attempts
}

func client(srv *httptest.Server, l *Limiter) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "eu-west-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
	}, l.LambdaOptions(), func(o *lambda.Options) {
		// Keep the test quick: the policy, not the backoff, is tested.
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, 1)
	})
}

func TestLambdaClientCountsAttemptsPerBucket(t *testing.T) {
	srv, attempts := lambdaAPI(t, 0)
	l := New(5, newClock())
	c := client(srv, l)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments-api")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	got := l.Counts()
	if got[BucketGetFunction] != 3 || got[BucketControl] != 1 || *attempts != 4 {
		t.Errorf("counts %v, server saw %d", got, *attempts)
	}
}

// TestLambdaClientRetriesTooManyRequests: a 429 is retried, and the retry
// takes a token too. One throttle only: after each, the SDK's adaptive mode
// slows the client on the real clock, which this test does not need.
func TestLambdaClientRetriesTooManyRequests(t *testing.T) {
	srv, attempts := lambdaAPI(t, 1)
	l := New(5, newClock())
	c := client(srv, l)
	out, err := c.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatalf("a 429 was not retried: %v", err)
	}
	if len(out.Functions) != 1 || *attempts != 2 {
		t.Errorf("functions %d, attempts %d", len(out.Functions), *attempts)
	}
	if got := l.Counts()[BucketControl]; got != 2 {
		t.Errorf("control bucket let %d attempts through, want 2 (the retry takes a token too)", got)
	}
}
